/**
 * Tables, as every console page draws them: column headings with `scope="col"`, a row's name with `scope="row"`, and
 * the stylesheet's `num` class on columns of numbers (right-aligned).
 */
import { html } from 'hono/html';
import { type Content, type Html, time } from './html.ts';

/** A column's heading. */
export const heading = (label: Content): Html => html`<th scope="col">${label}</th>`;

/** The heading of a column of numbers. */
export const numHeading = (label: Content): Html => html`<th scope="col" class="num">${label}</th>`;

/** The heading of a row: what the row is about (a queue, a host instance, an orchestration). */
export const rowHeading = (label: Content): Html => html`<th scope="row">${label}</th>`;

export const cell = (content: Content): Html => html`<td>${content}</td>`;

/** A cell with a time, kept on one line (`extra`, a pause before it, goes on the next). */
export const timeCell = (at: number | undefined, extra?: Content): Html =>
  html`<td class="time">${time(at)}${extra}</td>`;

/**
 * A cell of text from outside (a reason, a detail, a body, a message type as it came): it may break anywhere, so
 * no word of it, however long, makes its table wider than the page.
 */
export const textCell = (content: Content): Html => html`<td class="text">${content}</td>`;

/** A cell of a column of numbers. */
export const numCell = (content: Content): Html => html`<td class="num">${content}</td>`;

export const row = (cells: readonly Html[]): Html => html`<tr>${cells}</tr>`;

/** A table: its column headings, then its rows; `kind` names it for the stylesheet (`table.events`...). */
export function table(headings: readonly Html[], rows: readonly Html[], kind?: string): Html {
  return html`<table${kind ? html` class="${kind}"` : ''}><thead><tr>${headings}</tr></thead><tbody>
${rows}
</tbody></table>`;
}
