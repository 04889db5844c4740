/**
 * Tables, as every console page draws them: column headings with `scope="col"`, a row's name with `scope="row"`, and
 * the stylesheet's `num` class on columns of numbers (right-aligned).
 */
import { html } from 'hono/html';
import type { Content, Html } from './html.ts';

/** A column's heading. */
export const heading = (label: Content): Html => html`<th scope="col">${label}</th>`;

/** The heading of a column of numbers. */
export const numHeading = (label: Content): Html => html`<th scope="col" class="num">${label}</th>`;

/** The heading of a row: what the row is about (a queue, a host instance, an orchestration). */
export const rowHeading = (label: Content): Html => html`<th scope="row">${label}</th>`;

export const cell = (content: Content): Html => html`<td>${content}</td>`;

/** A cell of a column of numbers. */
export const numCell = (content: Content): Html => html`<td class="num">${content}</td>`;

export const row = (cells: readonly Html[]): Html => html`<tr>${cells}</tr>`;

/** A table: its column headings, then its rows. */
export function table(headings: readonly Html[], rows: readonly Html[]): Html {
  return html`<table><thead><tr>${headings}</tr></thead><tbody>
${rows}
</tbody></table>`;
}
