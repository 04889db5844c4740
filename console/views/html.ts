/**
 * What the console's views are made of. Each is a function that returns markup made with hono/html's `html` tagged
 * template (no JSX: `npm start` runs these sources through Node's type stripping, which cannot read it). `html` escapes
 * every value it interpolates (`&`, `<`, `>`, `"` and `'`) unless that value is markup `html` made itself, so any text
 * from an instance, a message or the operator reaches the page as text, never as markup. Nothing here calls `raw`.
 */
import type { HtmlEscapedString } from 'hono/utils/html';

/** Markup: what a view returns, and what another view may put in its own without escaping it again. */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/**
 * What a view may put in its markup: text and numbers (escaped), markup (as it is), nothing (undefined renders as
 * nothing), or a list of these (one after the other, nothing between them).
 */
export type Content = string | number | Html | undefined | readonly Content[];

/** A time as the console shows every time: UTC to the millisecond, `2026-11-24 10:20:00.000`; nothing for none. */
export const time = (at?: number): string => (at ? new Date(at).toISOString().replace('T', ' ').slice(0, 23) : '');
