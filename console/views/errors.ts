/** What the console says when a page has nothing to show, or something failed. */
import { html } from 'hono/html';
import type { Html } from './html.ts';
import { layout, type PageContext } from './layout.ts';

/** Nothing under that address: `what` says what was looked for, and where else to look. */
export function notFoundPage(ctx: PageContext, what: string): Html {
  return layout(ctx, 'Not found', '', html`<p>${what}</p><p><a href="/search">Search</a></p>`);
}

/** A failure no page expected: what it said, on a page of its own. */
export function errorPage(ctx: PageContext, message: string): Html {
  return layout(
    ctx,
    'Something failed',
    '',
    html`<p class="note" role="alert">${message}</p><p><a href="/">Overview</a></p>`,
  );
}
