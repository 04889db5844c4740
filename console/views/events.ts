/** Tracked events (an instance's history, or a message flow): what happened, when, where, and by which host. */
import { html } from 'hono/html';
import type { TrackedEvent } from '../../functions/core/tracking.ts';
import type { Html } from './html.ts';
import { idText, instanceLink, messageLink } from './links.ts';
import { cell, heading, row, table, textCell, timeCell } from './tables.ts';

/** An event, with the time since the one before it when the history says (a gap over a second is shown). */
export type ShownEvent = TrackedEvent & { sincePreviousMs?: number };

/** Events that say something went wrong: their kind is coloured as a failure. */
const FAILURES = new Set<string>(['failed', 'suspended', 'message-suspended', 'terminated']);

/** The events in order; `withSubject` adds a column naming whose event each is (a flow spans several subjects). */
export function eventsTable(events: readonly ShownEvent[], withSubject: boolean): Html {
  if (events.length === 0) return html`<p class="muted">Nothing tracked yet.</p>`;
  const headings = [
    heading('time'),
    ...(withSubject ? [heading('instance or message')] : []),
    ...['event', 'shape', 'message', 'host instance', 'detail'].map((label) => heading(label)),
  ];
  return table(
    headings,
    events.map((e) =>
      row([
        timeCell(e.at, gap(e.sincePreviousMs)),
        ...(withSubject ? [cell(subject(e.subject))] : []),
        cell(FAILURES.has(e.kind) ? html`<span class="status-failed">${e.kind}</span>` : e.kind),
        cell(e.fromShape && e.shape && e.fromShape !== e.shape ? `${e.fromShape} → ${e.shape}` : (e.shape ?? '')),
        cell([
          e.messageType ?? '',
          ' ',
          e.messageId ? html`<span class="muted">${idText(e.messageId)}</span>` : '',
          e.port ? ` to ${e.port}` : '',
        ]),
        textCell(e.host ?? ''),
        textCell([e.related ? html`${instanceLink(e.related)} ` : '', e.detail ?? '']),
      ]),
    ),
    'events',
  );
}

/** A pause worth noticing before an event: over a second. */
const gap = (ms: number | undefined): Html | undefined =>
  ms && ms > 1_000 ? html`<span class="muted gap">(+${(ms / 1000).toFixed(1)} s)</span>` : undefined;

/** Whose event: a suspended message (`message:<id>`) as a link to its page, an instance as a link to its own. */
export const subject = (s: string): Html =>
  s.startsWith('message:') ? html`message ${messageLink(s.slice('message:'.length))}` : instanceLink(s);
