/**
 * Suspended messages: those that could not become an instance, with their reason. One is resubmitted (as it is, or
 * edited) as a new message naming it, sent again if that send failed, or discarded with a reason; each after a
 * confirmation. The original's record stays, body and reason.
 */
import { html } from 'hono/html';
import type { MessageResolution, SuspendedMessage } from '../../functions/core/instance.ts';
import { hiddenField, postForm } from './forms.ts';
import { type Html, time } from './html.ts';
import { layout, type PageContext } from './layout.ts';
import { clipped, flowLink, messageHref, messageLink, searchIdLink, searchLink } from './links.ts';
import { cell, heading, row, table, textCell, timeCell } from './tables.ts';

/** What each action on a suspended message is, as its confirmation page asks for it. */
export type MessageAction = 'resubmit' | 'again' | 'discard';

/** The fields of the message's page that its confirmation carries on. */
export interface MessageFields {
  readonly body?: string;
  readonly messageType?: string;
  readonly reason?: string;
}

const INTRO =
  'Messages that could not become an instance, with their reason. Open one to edit and resubmit it, or discard it.';
const OTHERS_ONLY = '(a resubmission goes to the others only)';
/** Sending a resubmission again, said on the message's page and on the confirmation. */
const TAKEN_ONCE = 'a copy that did arrive is taken once. Refused once its history shows it arrived.';
const AGAIN =
  'to the receive queue again, as it was claimed: ' +
  'if it did arrive, the receive host takes this copy as a redelivery.';

export function messagesPage(ctx: PageContext, messages: readonly SuspendedMessage[]): Html {
  return layout(
    ctx,
    'Suspended messages',
    '/messages',
    html`
<p>${INTRO}</p>
${messages.length === 0 ? html`<p>None.</p>` : suspendedTable(messages, { state: false })}`,
  );
}

/**
 * Suspended messages, as given (the list and a flow give them newest first): when each came, which it is (it opens its
 * page), its type, the business keys it carries (each a search), what an operator did with it when `state` is asked
 * for, and why it was kept.
 */
export function suspendedTable(messages: readonly SuspendedMessage[], options: { readonly state: boolean }): Html {
  const labels = ['received', 'message', 'type', 'business key', ...(options.state ? ['state'] : []), 'reason'];
  return table(
    labels.map((label) => heading(label)),
    messages.map((m) =>
      row([
        timeCell(m.receivedAt),
        cell(messageLink(m.messageId)),
        cell(clipped(m.attributes.MessageType ?? '')),
        cell((m.keys ?? []).map((key) => html`${searchLink(key)} `)),
        ...(options.state ? [cell(stateOf(m.resolution))] : []),
        textCell(m.reason),
      ]),
    ),
    'messages',
  );
}

/** Unresolved, or what an operator did with it. */
function stateOf(r: MessageResolution | undefined): Html {
  if (!r) return html`<span class="status-suspended">unresolved</span>`;
  const as = r.resubmittedAs ? html` as ${searchIdLink(r.resubmittedAs)}` : '';
  return html`${r.kind}${as} by ${r.by}`;
}

/** One suspended message: what it is and why it was kept; what can be done with it, or what was. */
export function messagePage(ctx: PageContext, m: SuspendedMessage): Html {
  return layout(
    ctx,
    `Suspended message ${m.messageId}`,
    '/messages',
    html`
${details(m)}
${m.resolution ? resolved(ctx, m) : unresolved(ctx, m)}`,
  );
}

function details(m: SuspendedMessage): Html {
  const issues = m.issues?.map((i) => html`<li><code>${i.path || '(body)'}</code>: ${i.message}</li>`) ?? [];
  const takenBy = m.takenBy?.length
    ? html`<dt>Taken by</dt><dd>${m.takenBy.join(', ')} <span class="muted">${OTHERS_ONLY}</span></dd>`
    : '';
  const keys = m.keys?.length
    ? html`<dt>Business key</dt><dd>${m.keys.map((key) => html`${flowLink(key)} `)}<span class="muted">(its message
 flow)</span></dd>`
    : '';
  return html`<dl><dt>Received</dt><dd>${time(m.receivedAt)} from ${m.source}</dd><dt>Reason</dt><dd>${m.reason}</dd>
${keys}
${issues.length ? html`<dt>Issues</dt><dd><ul>${issues}</ul></dd>` : ''}
<dt>Attributes</dt><dd><pre>${JSON.stringify(m.attributes, null, 2)}</pre></dd>
${takenBy}
${m.resolution ? resolution(m.resolution) : ''}
</dl>`;
}

/** What an operator did with it, by whom and when. */
function resolution(r: MessageResolution): Html {
  const as = r.resubmittedAs ? html` as ${searchLink(r.resubmittedAs)}` : '';
  return html`<dt>Resolved</dt><dd>${r.kind} by ${r.by} at ${time(r.at)}${as}${r.reason ? ` (${r.reason})` : ''}</dd>`;
}

/** Its body, the body it was resubmitted with, and, for a resubmission, sending it again. */
function resolved(ctx: PageContext, m: SuspendedMessage): Html {
  const r = m.resolution;
  const again =
    r?.kind === 'resubmitted' && r.resubmittedAs
      ? postForm(
          ctx,
          `${messageHref(m.messageId)}/confirm`,
          html`
<fieldset><legend>If the resubmission never arrived (its send failed after the record was claimed)</legend>
<button type="submit" name="action" value="again">Send it again</button> <span
 class="muted">The same message, ${r.resubmittedAs}: ${TAKEN_ONCE}</span></fieldset>`,
        )
      : '';
  const edited = r?.body === undefined ? '' : html`<h2>Resubmitted with this body</h2><pre>${r.body}</pre>`;
  return html`<h2>Body</h2><pre>${m.body}</pre>${edited}
${again}`;
}

/** The body to edit and resubmit, or a reason to discard it. */
function unresolved(ctx: PageContext, m: SuspendedMessage): Html {
  return html`
${postForm(
  ctx,
  `${messageHref(m.messageId)}/confirm`,
  html`
<fieldset><legend>Edit and resubmit to the receive queue (a new message that names this one; this one is kept)</legend>
<p><label>Message type <input name="messageType" value="${m.attributes.MessageType ?? ''}"></label></p>
<p><label for="body">Body</label><textarea id="body" name="body" rows="10">
${m.body}</textarea></p>
<button type="submit" name="action" value="resubmit">Resubmit</button></fieldset>
<fieldset><legend>Or discard it</legend><label>Reason <input name="reason" size="50"></label> <button type="submit"
 name="action" value="discard" class="danger">Discard</button></fieldset>
`,
)}`;
}

/** Resubmit it, send its resubmission again, or discard it? `fields` carries on what the message's page was given. */
export function messageConfirmPage(
  ctx: PageContext,
  m: SuspendedMessage,
  action: MessageAction,
  fields: MessageFields,
): Html {
  const titles = {
    resubmit: `Resubmit ${m.messageId}?`,
    again: `Send resubmission ${m.resolution?.resubmittedAs ?? ''} again?`,
    discard: `Discard ${m.messageId}?`,
  };
  return layout(
    ctx,
    titles[action],
    '/messages',
    html`
${postForm(
  ctx,
  `${messageHref(m.messageId)}/${action}`,
  html`
${confirmation(m, action, fields)}
<a href="${messageHref(m.messageId)}">Cancel</a>`,
)}`,
  );
}

function confirmation(m: SuspendedMessage, action: MessageAction, fields: MessageFields): Html {
  if (action === 'again')
    return html`<p>Sends ${m.resolution?.resubmittedAs ?? ''} ${AGAIN}</p>
<button type="submit">Send it again</button>`;
  const type = fields.messageType ?? '';
  const named = html`${type} message naming ${m.messageId}`;
  if (action === 'resubmit')
    return html`<p>Sends this body to the receive queue as a new ${named}; the original is kept.</p>
${hiddenField('messageType', type)}<textarea name="body" rows="8" readonly
 aria-label="Body to resubmit">
${fields.body ?? ''}</textarea>
<button type="submit">Resubmit</button>`;
  return html`<p>The message leaves the list; its record stays, with your reason.</p>
<p><label>Reason <input name="reason" required value="${fields.reason ?? ''}" size="50"></label></p><button
 type="submit" class="danger">Discard</button>`;
}
