/**
 * An instance: where it is and what it holds (variables, inbox, outbox), the message that created it, the branch
 * instances it forked, its history and, on request, the message flow it is part of (of its business keys too);
 * resume (when suspended) and terminate (while active), each confirmed first.
 */
import { html } from 'hono/html';
import type { InstanceState } from '../../functions/core/instance.ts';
import type { InboxEntry } from '../../functions/core/message.ts';
import type { HistoryPage } from '../../functions/core/ports.ts';
import { RESUBMITTED_FROM } from '../../functions/core/tracking.ts';
import type { ActivatingMessage, Branch, Story } from '../operations.ts';
import { instanceStatus } from './badges.ts';
import { eventsTable } from './events.ts';
import { businessKey, flowSection } from './flow.ts';
import { hiddenField, postForm } from './forms.ts';
import { type Html, time } from './html.ts';
import { layout, type PageContext } from './layout.ts';
import { idText, instanceHref, instanceLink, messageLink } from './links.ts';
import { cell, heading, row, table, textCell, timeCell } from './tables.ts';

export interface InstanceView {
  readonly state: InstanceState;
  readonly inbox: readonly InboxEntry[];
  /** The message that created it. */
  readonly activating: ActivatingMessage;
  /** The branch instances it forked (Parallel Actions), if any. */
  readonly branches: readonly Branch[];
  /** A page of its history: from its start, or from `after` when that is given. */
  readonly history: HistoryPage;
  readonly after?: string;
  /** The message flow it is part of, when asked for. */
  readonly flow?: Story;
}

export function instancePage(ctx: PageContext, view: InstanceView): Html {
  const { state, history, flow } = view;
  return layout(
    ctx,
    `Instance ${state.instanceId}`,
    '',
    html`
${details(state)}
${actions(ctx, state)}
<h2 id="activation">Activating message</h2>
${activation(view.activating, state)}
${view.branches.length > 0 ? branchTable(view.branches) : ''}
<h2>Variables</h2><pre>${JSON.stringify(state.vars, null, 2)}</pre>
<h2>Inbox</h2>
${inboxTable(state, view.inbox)}
<h2>Outbox (last commit)</h2>
${outbox(state)}
<h2 id="history">History</h2>
${eventsTable(history.events, false)}
${historyEnd(state, history, view.after)}
<h2 id="flow">Message flow</h2>
${
  flow
    ? flowSection(flow)
    : html`<p><a href="${instanceHref(state.instanceId)}?flow=1#flow">Show the message flow</a> <span
 class="muted">(of this instance and its business key: the instances and suspended messages tracked for it)</span></p>`
}`,
  );
}

function details(state: InstanceState): Html {
  const where = state.cursor.threads.map(
    (t) => html`${t.at}${t.timerDue ? html` (timer until ${time(t.timerDue)})` : ''} `,
  );
  const b = state.branchOf;
  const branchOf = b
    ? html`<dt>Branch of</dt><dd>${instanceLink(b.instanceId)} (${b.parallel}, branch ${b.branch})</dd>`
    : '';
  return html`<dl>
<dt>Orchestration</dt><dd>${state.orchestration}, version ${state.version}</dd>
<dt>Status</dt><dd>${instanceStatus(state)}${state.error ? html` — ${state.error.reason}` : ''}</dd>
<dt>Business key</dt><dd>${b ? html`<span class="muted">its orchestration's</span>` : businessKey(state)}</dd>
<dt>Where</dt><dd>${where}</dd>
<dt>Lease</dt><dd>${state.lease ? html`${state.lease.owner} until ${time(state.lease.expiresAt)}` : 'none'}</dd>
<dt>Revision</dt><dd>${state.revision}</dd>
${branchOf}
<dt>Created, updated</dt><dd>${time(state.createdAt)}, ${time(state.updatedAt)}</dd>
</dl>`;
}

/** The message that created it: its type, id, when it came, what it says; a resubmission names what it resubmits. */
function activation(a: ActivatingMessage, state: InstanceState): Html {
  const made = state.branchOf
    ? html`<p class="muted">A branch instance: its orchestration's step forked it, driven by this message.</p>`
    : '';
  const m = a.message;
  if (!m)
    return html`${made}<dl><dt>Message</dt><dd>${a.messageId} <span class="muted">(no longer held by the
 instance)</span></dd></dl>`;
  const { [RESUBMITTED_FROM]: from, ...properties } = m.properties;
  const resubmits = from
    ? html`<dt>Resubmits</dt><dd>the suspended message ${messageLink(from)} <span class="muted">(edited or not, by an
 operator)</span></dd>`
    : '';
  const shown =
    Object.keys(properties).length > 0
      ? html`<dt>Properties</dt><dd><pre>${JSON.stringify(properties, null, 2)}</pre></dd>`
      : '';
  return html`${made}<dl><dt>Type</dt><dd>${m.messageType}</dd><dt>Message</dt><dd>${m.messageId}</dd>
<dt>Received</dt><dd>${time(m.receivedAt)}</dd>${resubmits}
${shown}
</dl>
<pre class="body" aria-label="Activating message body">${JSON.stringify(m.body, null, 2)}</pre>`;
}

/** The branch instances it forked: each branch, its instance and how it ended (a failed one says so). */
function branchTable(branches: readonly Branch[]): Html {
  return html`<h2 id="branches">Branches</h2>
${table(
  ['branch', 'instance', 'status', 'detail'].map((label) => heading(label)),
  branches.map(({ instanceId, state }) =>
    row([
      cell(
        state?.branchOf ? `${state.branchOf.branch} (${state.branchOf.parallel})` : (instanceId.split('~').pop() ?? ''),
      ),
      cell(instanceLink(instanceId)),
      cell(state ? instanceStatus(state) : html`<span class="muted">no longer in the MessageBox</span>`),
      textCell(state?.error?.reason ?? ''),
    ]),
  ),
  'branches',
)}`;
}

/** Resume (a suspended instance) and terminate (an active one): each asks for confirmation first. */
function actions(ctx: PageContext, state: InstanceState): Html | string {
  if (state.status === 'completed' || state.status === 'terminated') return '';
  const resume =
    state.status === 'suspended' ? html`<button type="submit" name="action" value="resume">Resume</button> ` : '';
  return postForm(
    ctx,
    '/actions/confirm',
    html`${hiddenField('id', state.instanceId)}${hiddenField('scope', 'selected')}
${resume}<button type="submit" name="action" value="terminate" class="danger">Terminate</button>`,
  );
}

/** The messages delivered to it, and whether a receive has taken each yet. */
function inboxTable(state: InstanceState, inbox: readonly InboxEntry[]): Html {
  if (inbox.length === 0) return html`<p class="muted">Empty.</p>`;
  const consumed = new Set(state.consumed);
  return table(
    ['message', 'type', 'received', 'taken'].map((label) => heading(label)),
    inbox.map((m) =>
      row([
        cell(idText(m.messageId)),
        cell(m.messageType),
        timeCell(m.receivedAt),
        cell(consumed.has(m.messageId) ? 'yes' : 'not yet'),
      ]),
    ),
  );
}

/** What its last commit sends and starts (a branch instance by its id: the whole of it is on its own page). */
function outbox(state: InstanceState): Html {
  if (state.outbox.length === 0) return html`<p class="muted">Empty.</p>`;
  const entries = state.outbox.map((e) => (e.kind === 'fork' ? { kind: e.kind, branch: e.branch.instanceId } : e));
  return html`<pre>${JSON.stringify(entries, null, 2)}</pre>`;
}

function historyEnd(state: InstanceState, history: HistoryPage, after: string | undefined): Html | string {
  if (history.next) {
    const more = `${instanceHref(state.instanceId)}?after=${encodeURIComponent(history.next)}#history`;
    return html`<p><a href="${more}">More history</a></p>`;
  }
  return after ? html`<p class="muted">End of history.</p>` : '';
}
