/**
 * Forms. Every action is a POST through `postForm`, which carries the console's CSRF token (server.ts refuses a POST
 * without it) and asks for confirmation on a page of its own before anything is done.
 */
import { html } from 'hono/html';
import type { Content, Html } from './html.ts';
import type { PageContext } from './layout.ts';

/** The console's CSRF token, which every POST must carry. */
export const csrfField = (ctx: PageContext): Html => html`<input type="hidden" name="_csrf" value="${ctx.csrf}">`;

export const hiddenField = (name: string, value: string): Html =>
  html`<input type="hidden" name="${name}" value="${value}">`;

/** A form that posts to `action`, with the CSRF token first. */
export const postForm = (ctx: PageContext, action: string, content: Content): Html =>
  html`<form method="post" action="${action}">${csrfField(ctx)}${content}</form>`;
