/**
 * The frame of every page: the header with the console's sections, a search box, where it looks and who is at it, and
 * the page's title as its one h1. Styles come from the console's stylesheet only (console/static/console.css): no
 * inline style.
 */
import { html } from 'hono/html';
import type { Html } from './html.ts';

/** What every page needs of the console that serves it. */
export interface PageContext {
  /** The console's CSRF token, which each form carries (forms.ts). */
  readonly csrf: string;
  /** Who acts: shown in the header. */
  readonly operator: string;
  /** What the console looks at (the local cluster, or a stack): shown in the header. */
  readonly where: string;
  /** The stylesheet's address, versioned by its content (console/stylesheet.ts). */
  readonly stylesheet: string;
}

export interface LayoutOptions {
  /** Reload the page this often (the overview's counts). */
  readonly refreshSeconds?: number;
}

/** The console's sections, as the header lists them: their address and name. */
const SECTIONS = [
  ['/', 'Overview'],
  ['/search', 'Search'],
  ['/messages', 'Suspended messages'],
  ['/dlqs', 'DLQs'],
  ['/audit', 'Audit trail'],
] as const;

/** A page: `title` in the browser's tab and as the h1, `current` the section it belongs to ('' for none). */
export function layout(
  ctx: PageContext,
  title: string,
  current: string,
  body: Html,
  options: LayoutOptions = {},
): Html {
  const sections = SECTIONS.map(([href, label]) => sectionLink(href, label, current));
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
${options.refreshSeconds ? html`<meta http-equiv="refresh" content="${options.refreshSeconds}">` : ''}
<title>${title} · Baton console</title><link rel="stylesheet" href="${ctx.stylesheet}"></head>
<body><header><strong>Baton console</strong><nav aria-label="Main">${sections}</nav>
${headerSearch}
<span class="muted">${ctx.where} · ${ctx.operator}</span></header>
<main><h1>${title}</h1>${body}</main></body></html>`;
}

/**
 * The search every page has: a business key (an order's id), a message id or an instance id, whose instances and
 * suspended messages the search page shows. Named apart from the search page's own form, which has more fields.
 */
const headerSearch = html`<form method="get" action="/search" role="search" class="find"><input type="search"
 name="q" aria-label="Find a business key or an instance id" placeholder="Business key or instance id"
 required><button type="submit">Find</button></form>`;

const sectionLink = (href: string, label: string, current: string): Html =>
  html`<a href="${href}"${current === href ? html` aria-current="page"` : ''}>${label}</a> `;
