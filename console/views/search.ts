/**
 * The search: instances by a business key (a correlation value), a message id or an instance id, by orchestration,
 * status, message type and time, a page at a time; the selected ones, or all the results, resumed or terminated after
 * a confirmation. A text search shows the suspended messages that carry it too, and leads to its whole message flow.
 */
import { html } from 'hono/html';
import type { SearchPage, SearchQuery } from '../operations.ts';
import { instanceStatus } from './badges.ts';
import { businessKey } from './flow.ts';
import { hiddenField, postForm } from './forms.ts';
import type { Html } from './html.ts';
import { layout, type PageContext } from './layout.ts';
import { flowLink, instanceLink } from './links.ts';
import { suspendedTable } from './messages.ts';
import { cell, heading, row, table, timeCell } from './tables.ts';

/** A search as the operator typed it: its times as given, to show them back. */
export type SearchForm = SearchQuery & { fromText?: string; toText?: string };

const STATUSES = ['running', 'waiting', 'suspended', 'completed', 'terminated'];

/** The search form, and the results of the search it asked for (none before it asked), or why it could not run. */
export function searchPage(ctx: PageContext, query: SearchForm, result: SearchPage | undefined, error?: string): Html {
  return layout(
    ctx,
    'Search',
    '/search',
    html`
${searchForm(query)}
${error ? html`<p class="note" role="alert">${error}</p>` : ''}
${result ? results(ctx, query, result) : ''}`,
  );
}

function searchForm(query: SearchForm): Html {
  const statuses = STATUSES.map((s) => html`<option${query.status === s ? html` selected` : ''}>${s}</option>`);
  return html`<form method="get" action="/search" role="search">
<fieldset><legend>Find instances</legend>
<label>Business key, message id or instance id <input type="search" name="q" value="${query.text ?? ''}"
 aria-label="Search by business key, message id or instance id" size="40"></label>
<label>Orchestration <input name="orchestration" value="${query.orchestration ?? ''}"
 placeholder="name or name@version"></label>
<label>Status <select name="status"><option value="">any</option>${statuses}</select></label>
<label>Message type <input name="messageType" value="${query.messageType ?? ''}"></label>
<label>From <input name="from" type="datetime-local" value="${query.fromText ?? ''}"></label>
<label>To <input name="to" type="datetime-local" value="${query.toText ?? ''}"></label>
<button type="submit">Search</button></fieldset></form>`;
}

/** The query as the search page's address carries it (what its page links and a bulk action repeat). */
function searchParams(query: SearchForm): URLSearchParams {
  const fields = {
    q: query.text,
    orchestration: query.orchestration,
    status: query.status,
    messageType: query.messageType,
    from: query.fromText,
    to: query.toText,
  };
  return new URLSearchParams(
    Object.entries(fields).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''),
  );
}

function results(ctx: PageContext, query: SearchForm, result: SearchPage): Html {
  const truncated = result.truncated ? ' (stopped at its limit: narrow the search)' : '';
  const summary = html`
<p>${result.total} instance(s): ${result.basis}${truncated}.</p>
`;
  const text = query.text?.trim();
  const story = text ? held(text, result) : '';
  if (result.total === 0) return html`${summary}${story}`;
  const params = searchParams(query);
  const pageLink = (page: number) => `/search?${new URLSearchParams([...params, ['page', String(page)]]).toString()}`;
  const previous = result.page > 1 ? html`<a href="${pageLink(result.page - 1)}">Previous page</a>` : '';
  const next = result.page < result.pages ? html`<a href="${pageLink(result.page + 1)}">Next page</a>` : '';
  return html`${summary}
${postForm(
  ctx,
  '/actions/confirm',
  html`${hiddenField('query', params.toString())}
${resultTable(result, text)}
<p>Page ${result.page} of ${result.pages}. ${previous} ${next}</p>
<fieldset><legend>Act on the selected instances, or on all ${result.total} results</legend>
<label><input type="radio" name="scope" value="selected" checked> selected</label><label><input type="radio"
 name="scope" value="all"> all ${result.total} results of this search</label>
<button type="submit" name="action" value="resume">Resume</button> <button type="submit" name="action"
 value="terminate" class="danger">Terminate</button>
<span class="muted">Each asks for confirmation first.</span></fieldset>`,
)}${story}`;
}

/** For a text: the suspended messages it names (by the key they carry, or their id), and the way to its whole flow. */
function held(text: string, result: SearchPage): Html {
  const messages = result.messages ?? [];
  return html`<h2>Suspended messages</h2>
${
  messages.length === 0
    ? html`<p class="muted">None carries ${text}.</p>`
    : html`<p>${messages.length} suspended message(s) carry ${text} (refused, unreadable, or held because no
 instance had the key yet).</p>
${suspendedTable(messages, { state: true })}`
}
<p>${flowLink(text, html`The whole message flow of ${text}`)}: every instance and message tracked for it, in time
 order.</p>`;
}

function resultTable(result: SearchPage, searched: string | undefined): Html {
  const headings = [
    heading(html`<span class="muted">select</span>`),
    ...['instance', 'business key', 'orchestration', 'status', 'at', 'updated'].map((label) => heading(label)),
  ];
  const rows = result.rows.map((s) =>
    row([
      cell(html`<input type="checkbox" name="id" value="${s.instanceId}" aria-label="select ${s.instanceId}">`),
      cell(instanceLink(s.instanceId)),
      cell(businessKey(s, searched)),
      cell(`${s.orchestration}@${s.version}`),
      cell(instanceStatus(s)),
      cell(s.cursor.threads.map((t) => t.at).join(', ')),
      timeCell(s.updatedAt),
    ]),
  );
  return table(headings, rows, 'results');
}
