/**
 * The queues and their dead-letter queues: how deep each is, what waits in a DLQ (looked at, not taken), and its
 * redrive to the queue it came from.
 */
import { html } from 'hono/html';
import type { PeekedMessage, QueueDepth } from '../queues.ts';
import { postForm } from './forms.ts';
import type { Html } from './html.ts';
import { layout, type PageContext } from './layout.ts';
import { dlqHref, idText } from './links.ts';
import { cell, heading, numCell, numHeading, row, rowHeading, table, textCell, timeCell } from './tables.ts';

const DLQS = 'What failed past its retries. A message here is intact; redrive sends it back to its queue.';

/** A DLQ's body is shown up to this many characters, then whole on request. */
const SHOWN_BODY = 600;

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
      cell(idText(m.messageId)),
      timeCell(m.sentAt),
      numCell(m.receiveCount),
      textCell(attributes(m.attributes)),
      textCell(body(m.body)),
    ]),
  );
  return html`<p>${messages.length} message(s) shown (looked at, not taken).</p>
${table(headings, rows, 'dead-letters')}`;
}

/** A message's attributes, one a line, long values wrapped. */
const attributes = (a: Readonly<Record<string, string>>): Html =>
  html`<dl class="attributes">${Object.entries(a).map(
    ([name, value]) => html`<dt>${name}</dt><dd>${value}</dd>`,
  )}</dl>`;

/** A body: its start, wrapped; a longer one whole a click away (the text as it is, never cut). */
function body(text: string): Html {
  if (text.length <= SHOWN_BODY) return html`<pre>${text}</pre>`;
  return html`<pre>${text.slice(0, SHOWN_BODY)}…</pre><details><summary>The whole body (${text.length}
 characters)</summary><pre>${text}</pre></details>`;
}

/** Redrive this DLQ? Says how many messages it holds (as SQS counts them), which all go back to their queue. */
export function redriveConfirmPage(ctx: PageContext, queue: string, held: number | undefined): Html {
  const what =
    held === undefined
      ? html`Every message in the ${queue} DLQ goes back to the ${queue} queue.`
      : held === 0
        ? html`The ${queue} DLQ holds no message (as SQS counts them): nothing to move.`
        : html`The ${queue} DLQ holds ${held} message(s) (as SQS counts them, approximately): each goes back to the
 ${queue} queue.`;
  return layout(
    ctx,
    held === undefined ? `Redrive the ${queue} DLQ?` : `Redrive ${held} message(s) of the ${queue} DLQ?`,
    '/dlqs',
    html`
${postForm(
  ctx,
  `${dlqHref(queue)}/redrive`,
  html`<p>${what}</p>
<button type="submit">Redrive</button> <a href="${dlqHref(queue)}">Cancel</a>`,
)}`,
  );
}
