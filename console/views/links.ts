/** Links to the console's own pages, each naming what it opens. Ids go in the address encoded, on the page as text. */
import { html } from 'hono/html';
import type { Html } from './html.ts';

/** The address of an instance's page. */
export const instanceHref = (instanceId: string): string => `/instances/${encodeURIComponent(instanceId)}`;

/** The address of a suspended message's page. */
export const messageHref = (messageId: string): string => `/messages/${encodeURIComponent(messageId)}`;

/** The address of a DLQ's page. */
export const dlqHref = (queue: string): string => `/dlqs/${encodeURIComponent(queue)}`;

export const instanceLink = (instanceId: string): Html => html`<a href="${instanceHref(instanceId)}">${instanceId}</a>`;

export const messageLink = (messageId: string): Html => html`<a href="${messageHref(messageId)}">${messageId}</a>`;

/** A search for what a text names: a correlation value, a message id or an instance id. */
export const searchLink = (text: string): Html => html`<a href="/search?q=${encodeURIComponent(text)}">${text}</a>`;
