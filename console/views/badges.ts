/** Statuses and outcomes as words the stylesheet colours (`.status-suspended`, `.outcome-failed`...). */
import { html } from 'hono/html';
import type { Html } from './html.ts';

/** An instance's status: running, waiting, suspended, completed or terminated. */
export const statusBadge = (status: string): Html => html`<span class="status-${status}">${status}</span>`;

/** How an operator's action ended (done, refused, failed), as a table cell. */
export const outcomeCell = (outcome: string): Html => html`<td class="outcome-${outcome}">${outcome}</td>`;
