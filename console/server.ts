import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Hono, type Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import { serve, type ServerType } from '@hono/node-server';
import type { Operations } from './operations.ts';
import { first } from './routes/form.ts';
import { instanceRoutes } from './routes/instances.ts';
import { messageRoutes } from './routes/messages.ts';
import { queueRoutes } from './routes/queues.ts';
import { loadStylesheet, STYLESHEET_PATH } from './stylesheet.ts';
import { auditPage } from './views/audit.ts';
import { BadRequest } from './routes/form.ts';
import { errorPage } from './views/errors.ts';
import type { PageContext } from './views/layout.ts';
import { overviewPage } from './views/overview.ts';

export interface ConsoleOptions {
  readonly operations: Operations;
  /** @defaultValue 0, a free port */
  readonly port?: number;
  /** Where it serves; loopback only unless told otherwise. @defaultValue 127.0.0.1 */
  readonly host?: string;
  /** What the console looks at, shown in its header (the local cluster, or a stack). */
  readonly where: string;
  /** The secret that opens it (see consoleApp). @defaultValue a random one, new each time it starts */
  readonly token?: string;
}

export interface RunningConsole {
  /** Its address, without the token: what may be written down or shown to anyone. */
  readonly url: string;
  /** The address to open (once): `url` with the access token, which the first visit exchanges for a cookie. */
  readonly openUrl: string;
  stop(): Promise<void>;
}

/** The query parameter that carries the access token on the first visit. */
export const TOKEN_PARAMETER = 'token';

/**
 * The web console: the pages of views/ over the operations of operations.ts. Only someone given its access token
 * may use it: any process on this machine can reach a loopback port, so the address alone opens nothing. The URL it
 * prints carries the token once (`?token=`, as Jupyter's does); that visit gets it back as an HttpOnly, SameSite=Strict
 * cookie and is sent on to the same page without it, and every page and action asks for the cookie (a request without
 * it gets 401, saying what to open). It answers only to its own address (a page elsewhere that points a name at
 * 127.0.0.1, DNS rebinding, is refused), refuses cross-site POSTs twice over (the Origin and Sec-Fetch-Site headers,
 * and a per-process CSRF token in every form, which only a page behind the cookie shows), and may not be framed.
 * Cookies are not kept apart by port: the cookie is named for the console's, so two consoles on one machine (the
 * local cluster's and a stack's) each keep their own. Its pages take styles from its stylesheet only.
 */
export function consoleApp(operations: Operations, options: AppOptions) {
  const csrfToken = randomBytes(24).toString('base64url');
  const stylesheet = loadStylesheet();
  const app = new Hono();
  const ctx = (): PageContext => ({
    csrf: csrfToken,
    operator: operations.operator,
    where: options.where,
    stylesheet: stylesheet.href,
  });

  guard(app, options, csrfToken);
  app.get(STYLESHEET_PATH, (c) => {
    c.header('content-type', 'text/css; charset=utf-8');
    // Its address names its content (`?v=`): a browser keeps it until the console serves another one.
    c.header('cache-control', 'private, max-age=31536000, immutable');
    return c.body(stylesheet.css);
  });
  app.get('/', async (c) => c.html(overviewPage(ctx(), await operations.overview())));
  instanceRoutes(app, operations, ctx);
  messageRoutes(app, operations, ctx);
  queueRoutes(app, operations, ctx);
  app.get('/audit', async (c) => c.html(auditPage(ctx(), await operations.auditTrail())));

  // A refusal (the CSRF check's 403) keeps its status; anything else is a failure, said on a page.
  app.onError((error, c: Context) => {
    if (error instanceof HTTPException) return error.getResponse();
    return c.html(errorPage(ctx(), error.message), error instanceof BadRequest ? 400 : 500);
  });
  return app;
}

export interface AppOptions {
  /** What the console looks at, shown in its header. */
  readonly where: string;
  /** The addresses (host:port) it answers to. */
  readonly allowedHosts: () => readonly string[];
  /** The secret that opens it. */
  readonly token: string;
}

/** Who may ask anything of the console, as consoleApp says: its own address, its token, its own forms. */
function guard(app: Hono, options: AppOptions, csrfToken: string): void {
  app.use('*', async (c, next) => {
    const host = c.req.header('host') ?? '';
    if (!options.allowedHosts().includes(host))
      return c.text(`this console answers at ${options.allowedHosts().join(' or ')}, not ${host}`, 403);
    await next();
  });
  app.use(
    '*',
    secureHeaders({
      xFrameOptions: 'DENY',
      referrerPolicy: 'no-referrer',
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        // Its own stylesheet only: the pages carry no inline style (console/static/console.css).
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    }),
  );
  app.use('*', async (c, next) => {
    const cookie = `baton_console_${(c.req.header('host') ?? '').split(':').pop()}`;
    const given = c.req.method === 'GET' ? c.req.query(TOKEN_PARAMETER) : undefined;
    if (given !== undefined) {
      if (!same(given, options.token))
        return c.text(
          "this is not this console's access token: " +
            'open the URL it printed when it started (a restart makes a new one)',
          401,
        );
      setCookie(c, cookie, options.token, { httpOnly: true, sameSite: 'Strict', path: '/' });
      // On to the same page without the token, so it stays out of the address bar and of any link copied from it.
      const clean = new URL(c.req.url);
      clean.searchParams.delete(TOKEN_PARAMETER);
      return c.redirect(`${clean.pathname}${clean.search}`, 303);
    }
    if (!same(getCookie(c, cookie) ?? '', options.token)) {
      return c.text(
        'this console needs its access token: open the URL with ?token= that it printed when it started ' +
          '(npm start, or baton console --stack NAME)',
        401,
      );
    }
    await next();
  });
  app.use('*', csrf());
  app.use('*', async (c, next) => {
    if (c.req.method === 'POST') {
      const body = await c.req.parseBody({ all: true });
      if (!same(String(first(body._csrf) ?? ''), csrfToken))
        return c.text('this form did not come from this console (reload the page and try again)', 403);
    }
    await next();
  });
}

/** Serves the console on the loopback interface; resolves once it listens. */
export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const host = options.host ?? '127.0.0.1';
  let port = 0;
  const allowed = () => [`${host}:${port}`, ...(host === '127.0.0.1' ? [`localhost:${port}`] : [])];
  const token = options.token ?? randomBytes(24).toString('base64url');
  const app = consoleApp(options.operations, { where: options.where, allowedHosts: allowed, token });
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port ?? 0, hostname: host }, () => resolve(s));
    s.once('error', reject);
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}/`;
  return {
    url,
    openUrl: `${url}?${TOKEN_PARAMETER}=${encodeURIComponent(token)}`,
    stop: () =>
      new Promise<void>((resolve) => {
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** The same secret, compared in constant time. */
function same(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
