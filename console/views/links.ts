/**
 * Links to the console's own pages, each naming what it opens. Ids go in the address encoded, on the page as text;
 * where room is short (tables, lists) a long id is shortened (`shortId`), and says itself whole in its title and as
 * its link's name.
 */
import { html } from 'hono/html';
import type { Content, Html } from './html.ts';

/** The address of an instance's page. */
export const instanceHref = (instanceId: string): string => `/instances/${encodeURIComponent(instanceId)}`;

/** The address of a suspended message's page. */
export const messageHref = (messageId: string): string => `/messages/${encodeURIComponent(messageId)}`;

/** The address of a DLQ's page. */
export const dlqHref = (queue: string): string => `/dlqs/${encodeURIComponent(queue)}`;

/** The address of the message flow of a business key, a message id or an instance id. */
export const flowHref = (text: string): string => `/flow?q=${encodeURIComponent(text)}`;

/** A UUID (an instance's, an SQS message's): its first 8 characters say which one among those a page shows. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A part of an id longer than this (and not a UUID) is cut to it. */
const LONGEST_PART = 24;

/** A fork's part of a branch instance's id: its number, then its orchestration's incarnation (`1.mxdin24r`). */
const FORK = /^(\d+)\.[0-9a-z]+$/;

/**
 * An id as a table shows it: each UUID in it by its first 8 characters (a branch instance's id,
 * `<instance>~<fork>~<branch>`, keeps its fork's number and its branch), any other long part cut; short ids as they
 * are.
 */
export function shortId(id: string): string {
  return id
    .split('~')
    .map((part, i) =>
      UUID.test(part)
        ? `${part.slice(0, 8)}…`
        : i > 0 && FORK.test(part)
          ? FORK.exec(part)![1]!
          : part.length > LONGEST_PART
            ? `${part.slice(0, 16)}…`
            : part,
    )
    .join('~');
}

/** A shortened id, its parts (an instance's, its fork's, its branch's) free to wrap between them, never within. */
const shortened = (id: string): Html =>
  html`${shortId(id)
    .split('~')
    .map((part, i) => (i === 0 ? part : html`~<wbr>${part}`))}`;

/** A link to a page about an id, shown short, whole in its title and its name. */
const idLink = (href: string, id: string): Html =>
  shortId(id) === id
    ? html`<a href="${href}">${id}</a>`
    : html`<a href="${href}" class="id" title="${id}" aria-label="${id}">${shortened(id)}</a>`;

export const instanceLink = (instanceId: string): Html => idLink(instanceHref(instanceId), instanceId);

export const messageLink = (messageId: string): Html => idLink(messageHref(messageId), messageId);

/** An id as text where it is not a link: shown short, whole in its title. */
export const idText = (id: string): Html =>
  shortId(id) === id ? html`${id}` : html`<span class="id" title="${id}">${shortened(id)}</span>`;

/** Text that may be of any length (a message type as it came), cut to `max` characters, whole in its title. */
export const clipped = (text: string, max = 48): Html =>
  text.length <= max ? html`${text}` : html`<span title="${text}">${text.slice(0, max)}…</span>`;

/** A search for what a text names: a business key, a message id or an instance id. */
export const searchLink = (text: string): Html => html`<a href="/search?q=${encodeURIComponent(text)}">${text}</a>`;

/** A search for an id (a resubmission's, say), shown short. */
export const searchIdLink = (id: string): Html => idLink(`/search?q=${encodeURIComponent(id)}`, id);

/** The message flow of a business key, a message id or an instance id. */
export const flowLink = (text: string, label: Content = text): Html => html`<a href="${flowHref(text)}">${label}</a>`;
