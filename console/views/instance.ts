/**
 * An instance: where it is and what it holds (variables, inbox, outbox), its history and, on request, the message
 * flow it is part of; resume (when suspended) and terminate (while active), each confirmed first.
 */
import { html } from 'hono/html';
import type { InstanceState } from '../../functions/core/instance.ts';
import type { InboxEntry } from '../../functions/core/message.ts';
import type { MessageFlow } from '../../functions/core/message-flow.ts';
import type { HistoryPage } from '../../functions/core/ports.ts';
import { statusBadge } from './badges.ts';
import { eventsTable, subject } from './events.ts';
import { hiddenField, postForm } from './forms.ts';
import { type Html, time } from './html.ts';
import { layout, type PageContext } from './layout.ts';
import { instanceHref, instanceLink, searchLink } from './links.ts';
import { cell, heading, row, table } from './tables.ts';

export interface InstanceView {
  readonly state: InstanceState;
  readonly inbox: readonly InboxEntry[];
  /** A page of its history: from its start, or from `after` when that is given. */
  readonly history: HistoryPage;
  readonly after?: string;
  /** The message flow it is part of, when asked for. */
  readonly flow?: MessageFlow;
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
    ? html`${flowSummary(flow)}${eventsTable(flow.events, true)}`
    : html`<p><a href="${instanceHref(state.instanceId)}?flow=1#flow">Show the message flow</a></p>`
}`,
  );
}

function details(state: InstanceState): Html {
  const where = state.cursor.threads.map(
    (t) => html`${t.at}${t.timerDue ? html` (timer until ${time(t.timerDue)})` : ''} `,
  );
  const correlations = Object.entries(state.correlations).map(([set, value]) => html`${set} = ${searchLink(value)} `);
  const b = state.branchOf;
  const branchOf = b
    ? html`<dt>Branch of</dt><dd>${instanceLink(b.instanceId)} (${b.parallel}, branch ${b.branch})</dd>`
    : '';
  return html`<dl>
<dt>Orchestration</dt><dd>${state.orchestration}, version ${state.version}</dd>
<dt>Status</dt><dd>${statusBadge(state.status)}${state.error ? html` — ${state.error.reason}` : ''}</dd>
<dt>Where</dt><dd>${where}</dd>
<dt>Lease</dt><dd>${state.lease ? html`${state.lease.owner} until ${time(state.lease.expiresAt)}` : 'none'}</dd>
<dt>Revision</dt><dd>${state.revision}</dd>
<dt>Correlation</dt><dd>${correlations}</dd>
${branchOf}
<dt>Created, updated</dt><dd>${time(state.createdAt)}, ${time(state.updatedAt)}</dd>
</dl>`;
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
        cell(m.messageId),
        cell(m.messageType),
        cell(time(m.receivedAt)),
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

function flowSummary(flow: MessageFlow): Html {
  const subjects = flow.subjects.map((s) => html`${subject(s)} `);
  const truncated = flow.truncated ? ' (truncated)' : '';
  return html`<p>${flow.subjects.length} instance(s) and message(s)${truncated}: ${subjects}</p>`;
}
