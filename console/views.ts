/**
 * The console's pages: server-rendered HTML, no build chain, no script needed. Accessible by construction: a
 * search field that is a searchbox named "Search", tables with headers, actions that are buttons named by what
 * they do, each asking for confirmation on a page of its own. Every value is escaped by `html`.
 */
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { InstanceState, SuspendedMessage } from '../functions/core/instance.ts';
import type { InboxEntry } from '../functions/core/message.ts';
import type { MessageFlow } from '../functions/core/message-flow.ts';
import type { HistoryPage } from '../functions/core/ports.ts';
import type { TrackedEvent } from '../functions/core/tracking.ts';
import type { AuditEntry } from './audit.ts';
import type { ActionResult, Overview, SearchPage, SearchQuery } from './operations.ts';
import type { PeekedMessage, QueueDepth } from './queues.ts';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
header{background:#1f2a44;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.4rem;align-items:center}
header a{color:#dfe6f5;text-decoration:none}header a[aria-current=page]{color:#fff;font-weight:600;border-bottom:2px solid #8fb3ff}
header strong{font-size:1.05rem;margin-right:1rem}
main{padding:1rem 1.4rem;max-width:1200px}
h1{font-size:1.3rem;margin:.4rem 0 1rem}h2{font-size:1.05rem;margin:1.4rem 0 .5rem}
table{border-collapse:collapse;background:#fff;width:100%;margin:.3rem 0 1rem}
th,td{border:1px solid #d8dde5;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#eef1f6;font-weight:600}
td.num,th.num{text-align:right}
.status-suspended,.outcome-failed{color:#a4161a;font-weight:600}.status-waiting{color:#8a5a00}.status-running{color:#1d5fbf}
.status-completed,.outcome-done{color:#1e7b34}.status-terminated,.outcome-refused{color:#6b6f76}
form.inline{display:inline}fieldset{border:1px solid #d8dde5;background:#fff;margin:.6rem 0;padding:.6rem}
label{margin-right:.8rem}input,select,textarea{font:inherit}textarea{width:100%;font-family:ui-monospace,monospace}
button{font:inherit;padding:.25rem .8rem;border:1px solid #1f2a44;background:#fff;border-radius:3px;cursor:pointer}
button.danger{border-color:#a4161a;color:#a4161a}
pre{background:#fff;border:1px solid #d8dde5;padding:.5rem;overflow:auto;max-height:24rem}
.muted{color:#6b6f76}.note{background:#fff7e0;border:1px solid #f0d68a;padding:.5rem .7rem}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem;background:#fff;border:1px solid #d8dde5;padding:.6rem}dt{font-weight:600}dd{margin:0}
`;

const NAV = [
  ['/', 'Overview'],
  ['/search', 'Search'],
  ['/messages', 'Suspended messages'],
  ['/dlqs', 'DLQs'],
  ['/audit', 'Audit trail'],
] as const;

export interface PageContext {
  readonly csrf: string;
  readonly operator: string;
  readonly where: string;
}

export function layout(
  ctx: PageContext,
  title: string,
  current: string,
  body: Html,
  options: { refreshSeconds?: number } = {},
): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
${options.refreshSeconds ? html`<meta http-equiv="refresh" content="${options.refreshSeconds}">` : ''}
<title>${title} · Baton console</title><style>${raw(STYLE)}</style></head>
<body><header><strong>Baton console</strong><nav aria-label="Main">${NAV.map(([href, label]) => html`<a href="${href}"${current === href ? raw(' aria-current="page"') : ''}>${label}</a> `)}</nav>
<span class="muted" style="margin-left:auto">${ctx.where} · ${ctx.operator}</span></header>
<main><h1>${title}</h1>${body}</main></body></html>`;
}

const time = (at?: number) => (at ? new Date(at).toISOString().replace('T', ' ').slice(0, 23) : '');
const statusCell = (status: string) => html`<span class="status-${status}">${status}</span>`;
const instanceLink = (id: string) => html`<a href="/instances/${encodeURIComponent(id)}">${id}</a>`;
const csrfField = (ctx: PageContext) => html`<input type="hidden" name="_csrf" value="${ctx.csrf}">`;

export function overviewPage(ctx: PageContext, o: Overview): Html {
  const statuses = ['running', 'waiting', 'suspended'];
  return layout(
    ctx,
    'Overview',
    '/',
    html`
<p class="muted">Refreshes every 5 seconds.</p>
<h2>Instances by status</h2>
<table><thead><tr><th scope="col">running</th><th scope="col">waiting</th><th scope="col">suspended</th><th scope="col">completed (24 h)</th><th scope="col">terminated (24 h)</th><th scope="col">suspended messages</th></tr></thead>
<tbody><tr>${statuses.map((s) => html`<td class="num"><a href="/search?status=${s}">${o.counts[s] ?? 0}</a></td>`)}
<td class="num"><a href="/search?status=completed">${o.ended24h.completed ?? 0}</a></td><td class="num"><a href="/search?status=terminated">${o.ended24h.terminated ?? 0}</a></td>
<td class="num"><a href="/messages">${o.counts.message ?? 0}</a></td></tr></tbody></table>
<p class="muted">Counts include parallel branch instances, each an instance of its own.</p>
<h2>Active instances by orchestration and version</h2>
${
  Object.keys(o.byOrchestration).length === 0
    ? html`<p>None running, waiting or suspended.</p>`
    : html`
<table><thead><tr><th scope="col">orchestration</th>${statuses.map((s) => html`<th scope="col" class="num">${s}</th>`)}</tr></thead><tbody>
${Object.entries(o.byOrchestration)
  .sort(([a], [b]) => a.localeCompare(b))
  .map(
    ([name, row]) =>
      html`<tr><th scope="row">${name}</th>${statuses.map((s) => html`<td class="num"><a href="/search?status=${s}&amp;orchestration=${encodeURIComponent(name)}">${row[s] ?? 0}</a></td>`)}</tr>`,
  )}
</tbody></table><p class="muted">From the first ${o.sampled} instances of each status.</p>`
}
<h2>Host instances</h2>
${
  o.hosts.length === 0
    ? html`<p class="muted">${o.hostsBasis ?? "On Lambda, host instances are execution environments; each instance's history names the one that ran each step."}</p>`
    : html`
<table><thead><tr><th scope="col">host instance</th><th scope="col">status</th><th scope="col">last heartbeat</th><th scope="col" class="num">work items</th><th scope="col" class="num">completed</th><th scope="col" class="num">restarts</th><th scope="col">zone</th></tr></thead><tbody>
${o.hosts.map((h) => html`<tr><th scope="row">${h.name}</th><td>${h.status}</td><td>${time(h.lastHeartbeat)}</td><td class="num">${h.workItems}</td><td class="num">${h.completed}</td><td class="num">${h.restarts ?? ''}</td><td>${h.zone ?? ''}</td></tr>`)}
</tbody></table>${o.hostsBasis ? html`<p class="muted">${o.hostsBasis}</p>` : ''}`
}
<h2>Queues</h2>
${queueTable(o.queues)}`,
    { refreshSeconds: 5 },
  );
}

function queueTable(queues: readonly QueueDepth[]): Html {
  return html`<table><thead><tr><th scope="col">queue</th><th scope="col" class="num">visible</th><th scope="col" class="num">in flight</th><th scope="col" class="num">delayed</th><th scope="col" class="num">DLQ</th></tr></thead><tbody>
${queues.map((q) => html`<tr><th scope="row">${q.name}</th><td class="num">${q.visible}</td><td class="num">${q.inFlight}</td><td class="num">${q.delayed}</td><td class="num">${q.dlq === undefined ? '' : html`<a href="/dlqs/${encodeURIComponent(q.name)}">${q.dlq}</a>`}</td></tr>`)}
</tbody></table>`;
}

export function searchPage(
  ctx: PageContext,
  query: SearchQuery & { fromText?: string; toText?: string },
  result: SearchPage | undefined,
  error?: string,
): Html {
  const params = new URLSearchParams(
    Object.entries({
      q: query.text,
      orchestration: query.orchestration,
      status: query.status,
      messageType: query.messageType,
      from: query.fromText,
      to: query.toText,
    }).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''),
  );
  const pageLink = (page: number) => `/search?${new URLSearchParams([...params, ['page', String(page)]]).toString()}`;
  return layout(
    ctx,
    'Search',
    '/search',
    html`
<form method="get" action="/search" role="search">
<fieldset><legend>Find instances</legend>
<label>Correlation value, message id or instance id <input type="search" name="q" value="${query.text ?? ''}" aria-label="Search by correlation value, message id or instance id" size="40"></label>
<label>Orchestration <input name="orchestration" value="${query.orchestration ?? ''}" placeholder="name or name@version"></label>
<label>Status <select name="status"><option value="">any</option>${['running', 'waiting', 'suspended', 'completed', 'terminated'].map((s) => html`<option${query.status === s ? raw(' selected') : ''}>${s}</option>`)}</select></label>
<label>Message type <input name="messageType" value="${query.messageType ?? ''}"></label>
<label>From <input name="from" type="datetime-local" value="${query.fromText ?? ''}"></label>
<label>To <input name="to" type="datetime-local" value="${query.toText ?? ''}"></label>
<button type="submit">Search</button></fieldset></form>
${error ? html`<p class="note" role="alert">${error}</p>` : ''}
${
  result
    ? html`
<p>${result.total} instance(s): ${result.basis}${result.truncated ? ' (stopped at its limit: narrow the search)' : ''}.</p>
${
  result.total === 0
    ? ''
    : html`
<form method="post" action="/actions/confirm">${csrfField(ctx)}<input type="hidden" name="query" value="${params.toString()}">
<table><thead><tr><th scope="col"><span class="muted">select</span></th><th scope="col">instance</th><th scope="col">orchestration</th><th scope="col">status</th><th scope="col">at</th><th scope="col">updated</th></tr></thead><tbody>
${result.rows.map((s) => html`<tr><td><input type="checkbox" name="id" value="${s.instanceId}" aria-label="select ${s.instanceId}"></td><td>${instanceLink(s.instanceId)}</td><td>${s.orchestration}@${s.version}</td><td>${statusCell(s.status)}</td><td>${s.cursor.threads.map((t) => t.at).join(', ')}</td><td>${time(s.updatedAt)}</td></tr>`)}
</tbody></table>
<p>Page ${result.page} of ${result.pages}. ${result.page > 1 ? html`<a href="${pageLink(result.page - 1)}">Previous page</a>` : ''} ${result.page < result.pages ? html`<a href="${pageLink(result.page + 1)}">Next page</a>` : ''}</p>
<fieldset><legend>Act on the selected instances, or on all ${result.total} results</legend>
<label><input type="radio" name="scope" value="selected" checked> selected</label><label><input type="radio" name="scope" value="all"> all ${result.total} results of this search</label>
<button type="submit" name="action" value="resume">Resume</button> <button type="submit" name="action" value="terminate" class="danger">Terminate</button>
<span class="muted">Each asks for confirmation first.</span></fieldset></form>`
}`
    : ''
}`,
  );
}

export function instancePage(
  ctx: PageContext,
  state: InstanceState,
  inbox: readonly InboxEntry[],
  history: HistoryPage,
  flow: MessageFlow | undefined,
  after?: string,
): Html {
  const consumed = new Set(state.consumed);
  const active = !['completed', 'terminated'].includes(state.status);
  return layout(
    ctx,
    `Instance ${state.instanceId}`,
    '',
    html`
<dl>
<dt>Orchestration</dt><dd>${state.orchestration}, version ${state.version}</dd>
<dt>Status</dt><dd>${statusCell(state.status)}${state.error ? html` — ${state.error.reason}` : ''}</dd>
<dt>Where</dt><dd>${state.cursor.threads.map((t) => html`${t.at}${t.timerDue ? html` (timer until ${time(t.timerDue)})` : ''} `)}</dd>
<dt>Lease</dt><dd>${state.lease ? html`${state.lease.owner} until ${time(state.lease.expiresAt)}` : 'none'}</dd>
<dt>Revision</dt><dd>${state.revision}</dd>
<dt>Correlation</dt><dd>${Object.entries(state.correlations).map(([set, value]) => html`${set} = <a href="/search?q=${encodeURIComponent(value)}">${value}</a> `)}</dd>
${state.branchOf ? html`<dt>Branch of</dt><dd>${instanceLink(state.branchOf.instanceId)} (${state.branchOf.parallel}, branch ${state.branchOf.branch})</dd>` : ''}
<dt>Created, updated</dt><dd>${time(state.createdAt)}, ${time(state.updatedAt)}</dd>
</dl>
${
  active
    ? html`<form method="post" action="/actions/confirm">${csrfField(ctx)}<input type="hidden" name="id" value="${state.instanceId}"><input type="hidden" name="scope" value="selected">
${state.status === 'suspended' ? html`<button type="submit" name="action" value="resume">Resume</button> ` : ''}<button type="submit" name="action" value="terminate" class="danger">Terminate</button></form>`
    : ''
}
<h2>Variables</h2><pre>${JSON.stringify(state.vars, null, 2)}</pre>
<h2>Inbox</h2>
${
  inbox.length === 0
    ? html`<p class="muted">Empty.</p>`
    : html`<table><thead><tr><th scope="col">message</th><th scope="col">type</th><th scope="col">received</th><th scope="col">taken</th></tr></thead><tbody>
${inbox.map((m) => html`<tr><td>${m.messageId}</td><td>${m.messageType}</td><td>${time(m.receivedAt)}</td><td>${consumed.has(m.messageId) ? 'yes' : 'not yet'}</td></tr>`)}</tbody></table>`
}
<h2>Outbox (last commit)</h2>
${
  state.outbox.length === 0
    ? html`<p class="muted">Empty.</p>`
    : html`<pre>${JSON.stringify(
        state.outbox.map((e) => (e.kind === 'fork' ? { kind: e.kind, branch: e.branch.instanceId } : e)),
        null,
        2,
      )}</pre>`
}
<h2>History</h2>
${eventsTable(history.events, false)}
${history.next ? html`<p><a href="/instances/${encodeURIComponent(state.instanceId)}?after=${encodeURIComponent(history.next)}#history">More history</a></p>` : after ? html`<p class="muted">End of history.</p>` : ''}
<h2>Message flow</h2>
${flow ? html`<p>${flow.subjects.length} instance(s) and message(s)${flow.truncated ? ' (truncated)' : ''}: ${flow.subjects.map((s) => (s.startsWith('message:') ? html`${s} ` : html`${instanceLink(s)} `))}</p>${eventsTable(flow.events, true)}` : html`<p><a href="/instances/${encodeURIComponent(state.instanceId)}?flow=1#flow">Show the message flow</a></p>`}`,
  );
}

function eventsTable(events: readonly (TrackedEvent & { sincePreviousMs?: number })[], withSubject: boolean): Html {
  if (events.length === 0) return html`<p class="muted">Nothing tracked yet.</p>`;
  return html`<table><thead><tr><th scope="col">time</th>${withSubject ? html`<th scope="col">instance</th>` : ''}<th scope="col">event</th><th scope="col">shape</th><th scope="col">message</th><th scope="col">host instance</th><th scope="col">detail</th></tr></thead><tbody>
${events.map((e) => html`<tr><td>${time(e.at)}${e.sincePreviousMs && e.sincePreviousMs > 1_000 ? html` <span class="muted">(+${(e.sincePreviousMs / 1000).toFixed(1)} s)</span>` : ''}</td>${withSubject ? html`<td>${e.subject.startsWith('message:') ? e.subject : instanceLink(e.subject)}</td>` : ''}<td>${e.kind}</td><td>${e.fromShape && e.shape && e.fromShape !== e.shape ? `${e.fromShape} → ${e.shape}` : (e.shape ?? '')}</td><td>${e.messageType ?? ''} ${e.messageId ? html`<span class="muted">${e.messageId}</span>` : ''}${e.port ? ` to ${e.port}` : ''}</td><td>${e.host ?? ''}</td><td>${e.related ? html`${instanceLink(e.related)} ` : ''}${e.detail ?? ''}</td></tr>`)}
</tbody></table>`;
}

export function confirmPage(
  ctx: PageContext,
  action: 'resume' | 'terminate',
  ids: readonly string[],
  back: string,
): Html {
  const verb = action === 'resume' ? 'Resume' : 'Terminate';
  return layout(
    ctx,
    `${verb} ${ids.length} instance(s)?`,
    '',
    html`
<form method="post" action="/actions/run">${csrfField(ctx)}<input type="hidden" name="action" value="${action}">
${ids.map((id) => html`<input type="hidden" name="id" value="${id}">`)}
<p>${action === 'resume' ? 'Each continues from its last persistence point.' : 'Each ends now; its running parallel branches end too. This cannot be undone.'}</p>
<ul>${ids.slice(0, 50).map((id) => html`<li>${instanceLink(id)}</li>`)}${ids.length > 50 ? html`<li>and ${ids.length - 50} more</li>` : ''}</ul>
${action === 'terminate' ? html`<p><label>Reason (kept in the instance and the audit trail) <input name="reason" required size="60"></label></p>` : ''}
<button type="submit" class="${action === 'terminate' ? 'danger' : ''}">${verb}</button> <a href="${back}">Cancel</a></form>`,
  );
}

export function resultsPage(ctx: PageContext, title: string, results: readonly ActionResult[], back: string): Html {
  return layout(
    ctx,
    title,
    '',
    html`
<table><thead><tr><th scope="col">target</th><th scope="col">outcome</th><th scope="col">detail</th></tr></thead><tbody>
${results.map((r) => html`<tr><td>${r.target}</td><td class="outcome-${r.outcome}">${r.outcome}</td><td>${r.detail ?? ''}</td></tr>`)}
</tbody></table><p><a href="${back}">Back</a> · <a href="/audit">Audit trail</a></p>`,
  );
}

export function messagesPage(ctx: PageContext, messages: readonly SuspendedMessage[]): Html {
  return layout(
    ctx,
    'Suspended messages',
    '/messages',
    html`
<p>Messages that could not become an instance, with their reason. Open one to edit and resubmit it, or discard it.</p>
${
  messages.length === 0
    ? html`<p>None.</p>`
    : html`<table><thead><tr><th scope="col">received</th><th scope="col">message</th><th scope="col">type</th><th scope="col">reason</th></tr></thead><tbody>
${messages.map((m) => html`<tr><td>${time(m.receivedAt)}</td><td><a href="/messages/${encodeURIComponent(m.messageId)}">${m.messageId}</a></td><td>${m.attributes.MessageType ?? ''}</td><td>${m.reason}</td></tr>`)}
</tbody></table>`
}`,
  );
}

export function messagePage(ctx: PageContext, m: SuspendedMessage): Html {
  return layout(
    ctx,
    `Suspended message ${m.messageId}`,
    '/messages',
    html`
<dl><dt>Received</dt><dd>${time(m.receivedAt)} from ${m.source}</dd><dt>Reason</dt><dd>${m.reason}</dd>
${m.issues?.length ? html`<dt>Issues</dt><dd><ul>${m.issues.map((i) => html`<li><code>${i.path || '(body)'}</code>: ${i.message}</li>`)}</ul></dd>` : ''}
<dt>Attributes</dt><dd><pre>${JSON.stringify(m.attributes, null, 2)}</pre></dd>
${m.takenBy?.length ? html`<dt>Taken by</dt><dd>${m.takenBy.join(', ')} <span class="muted">(a resubmission goes to the others only)</span></dd>` : ''}
${m.resolution ? html`<dt>Resolved</dt><dd>${m.resolution.kind} by ${m.resolution.by} at ${time(m.resolution.at)}${m.resolution.resubmittedAs ? html` as <a href="/search?q=${encodeURIComponent(m.resolution.resubmittedAs)}">${m.resolution.resubmittedAs}</a>` : ''}${m.resolution.reason ? ` (${m.resolution.reason})` : ''}</dd>` : ''}
</dl>
${
  m.resolution
    ? html`<h2>Body</h2><pre>${m.body}</pre>${m.resolution.body === undefined ? '' : html`<h2>Resubmitted with this body</h2><pre>${m.resolution.body}</pre>`}
${
  m.resolution.kind === 'resubmitted' && m.resolution.resubmittedAs
    ? html`<form method="post" action="/messages/${encodeURIComponent(m.messageId)}/confirm">${csrfField(ctx)}
<fieldset><legend>If the resubmission never arrived (its send failed after the record was claimed)</legend>
<button type="submit" name="action" value="again">Send it again</button> <span class="muted">The same message, ${m.resolution.resubmittedAs}: a copy that did arrive is taken once. Refused once its history shows it arrived.</span></fieldset></form>`
    : ''
}`
    : html`
<form method="post" action="/messages/${encodeURIComponent(m.messageId)}/confirm">${csrfField(ctx)}
<fieldset><legend>Edit and resubmit to the receive queue (a new message that names this one; this one is kept)</legend>
<p><label>Message type <input name="messageType" value="${m.attributes.MessageType ?? ''}"></label></p>
<p><label for="body">Body</label><textarea id="body" name="body" rows="10">${m.body}</textarea></p>
<button type="submit" name="action" value="resubmit">Resubmit</button></fieldset>
<fieldset><legend>Or discard it</legend><label>Reason <input name="reason" size="50"></label> <button type="submit" name="action" value="discard" class="danger">Discard</button></fieldset>
</form>`
}`,
  );
}

export function messageConfirmPage(
  ctx: PageContext,
  m: SuspendedMessage,
  action: 'resubmit' | 'again' | 'discard',
  fields: { body?: string; messageType?: string; reason?: string },
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
<form method="post" action="/messages/${encodeURIComponent(m.messageId)}/${action}">${csrfField(ctx)}
${
  action === 'again'
    ? html`<p>Sends ${m.resolution?.resubmittedAs ?? ''} to the receive queue again, as it was claimed: if it did arrive, the receive host takes this copy as a redelivery.</p>
<button type="submit">Send it again</button>`
    : action === 'resubmit'
      ? html`<p>Sends this body to the receive queue as a new ${fields.messageType ?? ''} message naming ${m.messageId}; the original is kept.</p>
<input type="hidden" name="messageType" value="${fields.messageType ?? ''}"><textarea name="body" rows="8" readonly aria-label="Body to resubmit">${fields.body ?? ''}</textarea>
<button type="submit">Resubmit</button>`
      : html`<p>The message leaves the list; its record stays, with your reason.</p>
<p><label>Reason <input name="reason" required value="${fields.reason ?? ''}" size="50"></label></p><button type="submit" class="danger">Discard</button>`
}
<a href="/messages/${encodeURIComponent(m.messageId)}">Cancel</a></form>`,
  );
}

export function dlqsPage(ctx: PageContext, queues: readonly QueueDepth[]): Html {
  return layout(
    ctx,
    'Dead-letter queues',
    '/dlqs',
    html`
<p>What failed past its retries. A message here is intact; redrive sends it back to its queue.</p>${queueTable(queues)}`,
  );
}

export function dlqPage(ctx: PageContext, queue: string, messages: readonly PeekedMessage[]): Html {
  return layout(
    ctx,
    `The ${queue} DLQ`,
    '/dlqs',
    html`
${
  messages.length === 0
    ? html`<p>Empty.</p>`
    : html`<p>${messages.length} message(s) shown (looked at, not taken).</p>
<table><thead><tr><th scope="col">message</th><th scope="col">sent</th><th scope="col">receives</th><th scope="col">attributes</th><th scope="col">body</th></tr></thead><tbody>
${messages.map((m) => html`<tr><td>${m.messageId}</td><td>${time(m.sentAt)}</td><td class="num">${m.receiveCount}</td><td><pre>${JSON.stringify(m.attributes)}</pre></td><td><pre>${m.body.length > 2_000 ? `${m.body.slice(0, 2_000)}…` : m.body}</pre></td></tr>`)}
</tbody></table>`
}
<form method="post" action="/dlqs/${encodeURIComponent(queue)}/confirm">${csrfField(ctx)}<button type="submit">Redrive</button> <span class="muted">Asks for confirmation first.</span></form>`,
  );
}

export function redriveConfirmPage(ctx: PageContext, queue: string): Html {
  return layout(
    ctx,
    `Redrive the ${queue} DLQ?`,
    '/dlqs',
    html`
<form method="post" action="/dlqs/${encodeURIComponent(queue)}/redrive">${csrfField(ctx)}<p>Every message in the ${queue} DLQ goes back to the ${queue} queue.</p>
<button type="submit">Redrive</button> <a href="/dlqs/${encodeURIComponent(queue)}">Cancel</a></form>`,
  );
}

export function auditPage(ctx: PageContext, entries: readonly AuditEntry[]): Html {
  return layout(
    ctx,
    'Audit trail',
    '/audit',
    html`
${
  entries.length === 0
    ? html`<p>No operator action yet.</p>`
    : html`<table><thead><tr><th scope="col">when</th><th scope="col">who</th><th scope="col">action</th><th scope="col">target</th><th scope="col">outcome</th><th scope="col">detail</th></tr></thead><tbody>
${entries.map((e) => html`<tr><td>${time(e.at)}</td><td>${e.who}</td><td>${e.action}</td><td>${/^(resubmit|discard)/.test(e.action) ? html`<a href="/messages/${encodeURIComponent(e.target)}">${e.target}</a>` : e.target}</td><td class="outcome-${e.outcome}">${e.outcome}</td><td>${e.detail ?? ''}</td></tr>`)}
</tbody></table>`
}`,
  );
}

export function notFoundPage(ctx: PageContext, what: string): Html {
  return layout(ctx, 'Not found', '', html`<p>${what}</p><p><a href="/search">Search</a></p>`);
}

export function errorBody(message: string): Html {
  return html`<p class="note" role="alert">${message}</p><p><a href="/">Overview</a></p>`;
}
