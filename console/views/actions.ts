/** Resume and terminate: the confirmation they ask for, and what any operator action did, target by target. */
import { html } from 'hono/html';
import type { ActionResult } from '../operations.ts';
import { outcomeCell } from './badges.ts';
import { hiddenField, postForm } from './forms.ts';
import type { Html } from './html.ts';
import { layout, type PageContext } from './layout.ts';
import { instanceLink } from './links.ts';
import { heading, row, table, textCell } from './tables.ts';

/** A confirmation lists this many instances, then says how many more. */
const LISTED = 50;

const CONSEQUENCE = {
  resume: 'Each continues from its last persistence point.',
  terminate: 'Each ends now; its running parallel branches end too. This cannot be undone.',
};

/** Resume or terminate these instances? A termination asks for its reason. `back` is where Cancel goes. */
export function confirmPage(
  ctx: PageContext,
  action: 'resume' | 'terminate',
  ids: readonly string[],
  back: string,
): Html {
  const verb = action === 'resume' ? 'Resume' : 'Terminate';
  const listed = ids.slice(0, LISTED).map((id) => html`<li>${instanceLink(id)}</li>`);
  const more = ids.length > LISTED ? html`<li>and ${ids.length - LISTED} more</li>` : '';
  const reason =
    action === 'terminate'
      ? html`<p><label>Reason (kept in the instance and the audit trail) <input name="reason" required
 size="60"></label></p>`
      : '';
  return layout(
    ctx,
    `${verb} ${ids.length} instance(s)?`,
    '',
    html`
${postForm(
  ctx,
  '/actions/run',
  html`${hiddenField('action', action)}
${ids.map((id) => hiddenField('id', id))}
<p>${CONSEQUENCE[action]}</p>
<ul>${listed}${more}</ul>
${reason}
<button type="submit" class="${action === 'terminate' ? 'danger' : ''}">${verb}</button> <a href="${back}">Cancel</a>`,
)}`,
  );
}

/** What an action did to each of its targets; `back` is where the operator came from. */
export function resultsPage(ctx: PageContext, title: string, results: readonly ActionResult[], back: string): Html {
  const rows = results.map((r) => row([textCell(r.target), outcomeCell(r.outcome), textCell(r.detail ?? '')]));
  return layout(
    ctx,
    title,
    '',
    html`
${table(
  ['target', 'outcome', 'detail'].map((label) => heading(label)),
  rows,
)}<p><a href="${back}">Back</a> · <a href="/audit">Audit trail</a></p>`,
  );
}
