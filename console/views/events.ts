/** Tracked events (an instance's history, or a message flow): what happened, when, where, and by which host. */
import { html } from 'hono/html';
import type { TrackedEvent } from '../../functions/core/tracking.ts';
import { type Html, time } from './html.ts';
import { instanceLink } from './links.ts';
import { cell, heading, row, table } from './tables.ts';

/** An event, with the time since the one before it when the history says (a gap over a second is shown). */
export type ShownEvent = TrackedEvent & { sincePreviousMs?: number };

/** The events in order; `withSubject` adds a column naming whose event each is (a flow spans several subjects). */
export function eventsTable(events: readonly ShownEvent[], withSubject: boolean): Html {
  if (events.length === 0) return html`<p class="muted">Nothing tracked yet.</p>`;
  const headings = [
    heading('time'),
    ...(withSubject ? [heading('instance')] : []),
    ...['event', 'shape', 'message', 'host instance', 'detail'].map((label) => heading(label)),
  ];
  return table(
    headings,
    events.map((e) =>
      row([
        cell([time(e.at), gap(e.sincePreviousMs)]),
        ...(withSubject ? [cell(subject(e.subject))] : []),
        cell(e.kind),
        cell(e.fromShape && e.shape && e.fromShape !== e.shape ? `${e.fromShape} → ${e.shape}` : (e.shape ?? '')),
        cell([
          e.messageType ?? '',
          ' ',
          e.messageId ? html`<span class="muted">${e.messageId}</span>` : '',
          e.port ? ` to ${e.port}` : '',
        ]),
        cell(e.host ?? ''),
        cell([e.related ? html`${instanceLink(e.related)} ` : '', e.detail ?? '']),
      ]),
    ),
  );
}

/** A pause worth noticing before an event: over a second. */
const gap = (ms: number | undefined): Html | undefined =>
  ms && ms > 1_000 ? html` <span class="muted">(+${(ms / 1000).toFixed(1)} s)</span>` : undefined;

/** Whose event: a message (`message:<id>`) as it is named, an instance as a link to its page. */
export const subject = (s: string): Html | string => (s.startsWith('message:') ? s : instanceLink(s));
