/**
 * The queues and their dead-letter queues: how deep each is, what waits in a DLQ (looked at, not taken), and its
 * redrive to the queue it came from.
 */
import { html } from 'hono/html';
import type { PeekedMessage, QueueDepth } from '../queues.ts';
import { postForm } from './forms.ts';
import { type Html, time } from './html.ts';
import { layout, type PageContext } from './layout.ts';
import { dlqHref } from './links.ts';
import { cell, heading, numCell, numHeading, row, rowHeading, table } from './tables.ts';

const DLQS = 'What failed past its retries. A message here is intact; redrive sends it back to its queue.';

/** A DLQ's body is shown up to this many characters. */
const SHOWN_BODY = 2_000;

/** Each queue's depth, and its DLQ's, which opens the DLQ. */
export function queueTable(queues: readonly QueueDepth[]): Html {
  return table(
    [heading('queue'), numHeading('visible'), numHeading('in flight'), numHeading('delayed'), numHeading('DLQ')],
    queues.map((q) =>
      row([
        rowHeading(q.name),
        numCell(q.visible),
        numCell(q.inFlight),
        numCell(q.delayed),
        numCell(q.dlq === undefined ? '' : html`<a href="${dlqHref(q.name)}">${q.dlq}</a>`),
      ]),
    ),
  );
}

export function dlqsPage(ctx: PageContext, queues: readonly QueueDepth[]): Html {
  return layout(
    ctx,
    'Dead-letter queues',
    '/dlqs',
    html`
<p>${DLQS}</p>${queueTable(queues)}`,
  );
}

/** What waits in one DLQ, and the button that redrives it (after a confirmation). */
export function dlqPage(ctx: PageContext, queue: string, messages: readonly PeekedMessage[]): Html {
  return layout(
    ctx,
    `The ${queue} DLQ`,
    '/dlqs',
    html`
${messages.length === 0 ? html`<p>Empty.</p>` : deadLetters(messages)}
${postForm(
  ctx,
  `${dlqHref(queue)}/confirm`,
  html`<button type="submit">Redrive</button> <span class="muted">Asks for confirmation first.</span>`,
)}`,
  );
}

function deadLetters(messages: readonly PeekedMessage[]): Html {
  const headings = ['message', 'sent', 'receives', 'attributes', 'body'].map((label) => heading(label));
  const rows = messages.map((m) =>
    row([
      cell(m.messageId),
      cell(time(m.sentAt)),
      numCell(m.receiveCount),
      cell(html`<pre>${JSON.stringify(m.attributes)}</pre>`),
      cell(html`<pre>${m.body.length > SHOWN_BODY ? `${m.body.slice(0, SHOWN_BODY)}…` : m.body}</pre>`),
    ]),
  );
  return html`<p>${messages.length} message(s) shown (looked at, not taken).</p>
${table(headings, rows)}`;
}

export function redriveConfirmPage(ctx: PageContext, queue: string): Html {
  return layout(
    ctx,
    `Redrive the ${queue} DLQ?`,
    '/dlqs',
    html`
${postForm(
  ctx,
  `${dlqHref(queue)}/redrive`,
  html`<p>Every message in the ${queue} DLQ goes back to the ${queue} queue.</p>
<button type="submit">Redrive</button> <a href="${dlqHref(queue)}">Cancel</a>`,
)}`,
  );
}
