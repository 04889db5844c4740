/** Statuses and outcomes as words the stylesheet colours (`.status-suspended`, `.outcome-failed`...). */
import { html } from 'hono/html';
import type { InstanceState } from '../../functions/core/instance.ts';
import { shownStatus } from '../operations/status.ts';
import type { Html } from './html.ts';

/** A status: running, waiting, suspended, completed, terminated, or failed (a branch that ended with its error). */
export const statusBadge = (status: string): Html => html`<span class="status-${status}">${status}</span>`;

/** An instance's status as an operator reads it (see `shownStatus`). */
export const instanceStatus = (state: Pick<InstanceState, 'status' | 'error'>): Html => statusBadge(shownStatus(state));

/** How an operator's action ended (done, refused, failed), as a table cell. */
export const outcomeCell = (outcome: string): Html => html`<td class="outcome-${outcome}">${outcome}</td>`;
