import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Hono, type Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import { serve, type ServerType } from '@hono/node-server';
import type { Operations, SearchQuery } from './operations.ts';
import * as views from './views.ts';

export interface ConsoleOptions {
  readonly operations: Operations;
  /** @default 0, a free port */
  readonly port?: number;
  /** Where it serves; loopback only unless told otherwise. @default 127.0.0.1 */
  readonly host?: string;
  /** What the console looks at, shown in its header (the local cluster, or a stack). */
  readonly where: string;
  /** The secret that opens it (see consoleApp). @default a random one, new each time it starts */
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
 * The web console: the pages of views.ts over the operations of operations.ts. Only someone given its access token
 * may use it: any process on this machine can reach a loopback port, so the address alone opens nothing. The URL it
 * prints carries the token once (`?token=`, as Jupyter's does); that visit gets it back as an HttpOnly, SameSite=Strict
 * cookie and is sent on to the same page without it, and every page and action asks for the cookie (a request without
 * it gets 401, saying what to open). It answers only to its own address (a page elsewhere that points a name at
 * 127.0.0.1, DNS rebinding, is refused), refuses cross-site POSTs twice over (the Origin and Sec-Fetch-Site headers,
 * and a per-process CSRF token in every form, which only a page behind the cookie shows), and may not be framed.
 * Cookies are not kept apart by port: the cookie is named for the console's, so two consoles on one machine (the
 * local cluster's and a stack's) each keep their own.
 */
export function consoleApp(
  operations: Operations,
  options: { where: string; allowedHosts: () => readonly string[]; token: string },
) {
  const csrfToken = randomBytes(24).toString('base64url');
  const app = new Hono();
  const ctx = (): views.PageContext => ({ csrf: csrfToken, operator: operations.operator, where: options.where });

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
        styleSrc: ["'unsafe-inline'"],
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
          "this is not this console's access token: open the URL it printed when it started (a restart makes a new one)",
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
        'this console needs its access token: open the URL with ?token= that it printed when it started (npm start, or baton console --stack NAME)',
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

  app.get('/', async (c) => c.html(views.overviewPage(ctx(), await operations.overview())));

  app.get('/search', async (c) => {
    const q = c.req.query();
    const asked = ['q', 'orchestration', 'status', 'messageType', 'from', 'to'].some((k) => q[k]);
    let query: ReturnType<typeof searchQuery> = {
      text: q.q,
      orchestration: q.orchestration,
      status: q.status,
      messageType: q.messageType,
      fromText: q.from,
      toText: q.to,
    };
    try {
      query = searchQuery(q);
      if (!asked) return c.html(views.searchPage(ctx(), query, undefined));
      return c.html(views.searchPage(ctx(), query, await operations.search(query)));
    } catch (error) {
      return c.html(views.searchPage(ctx(), query, undefined, (error as Error).message), 400);
    }
  });

  app.get('/instances/:id', async (c) => {
    const id = c.req.param('id');
    const found = await operations.instance(id);
    if (!found)
      return c.html(
        views.notFoundPage(
          ctx(),
          `No instance ${id} in the MessageBox (a finished instance is kept 7 days; its history longer: try the search).`,
        ),
        404,
      );
    const after = c.req.query('after');
    const [history, flow] = await Promise.all([
      operations.history(id, after),
      c.req.query('flow') ? operations.flow(id) : undefined,
    ]);
    return c.html(views.instancePage(ctx(), found.state, found.inbox, history, flow, after));
  });

  app.post('/actions/confirm', async (c) => {
    const body = await c.req.parseBody({ all: true });
    const action = actionOf(body.action);
    const ids =
      first(body.scope) === 'all'
        ? await operations.searchAll(
            searchQuery(Object.fromEntries(new URLSearchParams(String(first(body.query) ?? '')))),
          )
        : all(body.id);
    if (ids.length === 0)
      return c.html(views.resultsPage(ctx(), 'Nothing selected', [], c.req.header('referer') ?? '/search'), 400);
    return c.html(views.confirmPage(ctx(), action, ids, '/search'));
  });

  app.post('/actions/run', async (c) => {
    const body = await c.req.parseBody({ all: true });
    const action = actionOf(body.action);
    const reason = String(first(body.reason) ?? '');
    if (action === 'terminate' && !reason.trim())
      return c.html(views.confirmPage(ctx(), action, all(body.id), '/search'), 400);
    const results = await operations.act(action, all(body.id), reason);
    return c.html(
      views.resultsPage(
        ctx(),
        `${action === 'resume' ? 'Resumed' : 'Terminated'}: ${results.filter((r) => r.outcome === 'done').length} of ${results.length}`,
        results,
        '/search',
      ),
    );
  });

  app.get('/messages', async (c) => c.html(views.messagesPage(ctx(), await operations.suspendedMessages())));
  app.get('/messages/:id', async (c) => {
    const message = await operations.suspendedMessage(c.req.param('id'));
    return message
      ? c.html(views.messagePage(ctx(), message))
      : c.html(views.notFoundPage(ctx(), `No suspended message ${c.req.param('id')}.`), 404);
  });
  app.post('/messages/:id/confirm', async (c) => {
    const message = await operations.suspendedMessage(c.req.param('id'));
    if (!message) return c.html(views.notFoundPage(ctx(), `No suspended message ${c.req.param('id')}.`), 404);
    const body = await c.req.parseBody();
    const action = body.action === 'discard' ? 'discard' : body.action === 'again' ? 'again' : 'resubmit';
    return c.html(
      views.messageConfirmPage(ctx(), message, action, {
        body: String(body.body ?? message.body),
        messageType: String(body.messageType ?? ''),
        reason: String(body.reason ?? ''),
      }),
    );
  });
  app.post('/messages/:id/resubmit', async (c) => {
    const body = await c.req.parseBody();
    const result = await operations.resubmit(c.req.param('id'), {
      body: typeof body.body === 'string' ? body.body : undefined,
      messageType: typeof body.messageType === 'string' ? body.messageType : undefined,
    });
    // A send that failed after the claim is sent again from the message's own page (it has left the list).
    const back = result.outcome === 'failed' ? `/messages/${encodeURIComponent(c.req.param('id'))}` : '/messages';
    return c.html(
      views.resultsPage(ctx(), result.outcome === 'done' ? 'Resubmitted' : 'Not resubmitted', [result], back),
      result.outcome === 'failed' ? 500 : 200,
    );
  });
  app.post('/messages/:id/again', async (c) => {
    const result = await operations.sendAgain(c.req.param('id'));
    return c.html(
      views.resultsPage(
        ctx(),
        result.outcome === 'done' ? 'Sent again' : 'Not sent again',
        [result],
        `/messages/${encodeURIComponent(c.req.param('id'))}`,
      ),
      result.outcome === 'failed' ? 500 : 200,
    );
  });
  app.post('/messages/:id/discard', async (c) => {
    const body = await c.req.parseBody();
    const reason = String(body.reason ?? '');
    if (!reason.trim())
      return c.html(
        views.resultsPage(
          ctx(),
          'Not discarded',
          [{ target: c.req.param('id'), outcome: 'refused', detail: 'discarding a message needs a reason' }],
          `/messages/${encodeURIComponent(c.req.param('id'))}`,
        ),
        400,
      );
    const result = await operations.discard(c.req.param('id'), reason);
    return c.html(
      views.resultsPage(ctx(), result.outcome === 'done' ? 'Discarded' : 'Not discarded', [result], '/messages'),
    );
  });

  app.get('/dlqs', async (c) => c.html(views.dlqsPage(ctx(), await operations.queueDepths())));
  app.get('/dlqs/:queue', async (c) =>
    c.html(views.dlqPage(ctx(), c.req.param('queue'), await operations.deadLetters(c.req.param('queue')))),
  );
  app.post('/dlqs/:queue/confirm', (c) => c.html(views.redriveConfirmPage(ctx(), c.req.param('queue'))));
  app.post('/dlqs/:queue/redrive', async (c) => {
    const result = await operations.redrive(c.req.param('queue'));
    return c.html(
      views.resultsPage(ctx(), result.outcome === 'done' ? 'Redriven' : 'Not redriven', [result], '/dlqs'),
      result.outcome === 'failed' ? 500 : 200,
    );
  });

  app.get('/audit', async (c) => c.html(views.auditPage(ctx(), await operations.auditTrail())));

  // A refusal (the CSRF check's 403) keeps its status; anything else is a failure, said on a page.
  app.onError((error, c: Context) =>
    error instanceof HTTPException
      ? error.getResponse()
      : c.html(views.layout(ctx(), 'Something failed', '', views.errorBody(error.message)), 500),
  );
  return app;
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

function first(value: unknown): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === 'string' ? v : undefined;
}

function all(value: unknown): string[] {
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter(
    (v): v is string => typeof v === 'string' && v !== '',
  );
}

function actionOf(value: unknown): 'resume' | 'terminate' {
  const action = first(value);
  if (action !== 'resume' && action !== 'terminate') throw new Error(`unknown action ${JSON.stringify(action)}`);
  return action;
}

function searchQuery(q: Record<string, string | undefined>): SearchQuery & { fromText?: string; toText?: string } {
  const when = (text: string | undefined, name: string) => {
    if (!text) return undefined;
    // datetime-local carries no zone: the console reads it as UTC, as it shows times.
    const at = Date.parse(/Z$|[+-]\d\d:\d\d$/.test(text) ? text : `${text}Z`);
    if (Number.isNaN(at)) throw new Error(`${name} is not a date and time: ${text}`);
    return at;
  };
  return {
    text: q.q || undefined,
    orchestration: q.orchestration || undefined,
    status: q.status || undefined,
    messageType: q.messageType || undefined,
    from: when(q.from, 'from'),
    to: when(q.to, 'to'),
    fromText: q.from || undefined,
    toText: q.to || undefined,
    page: q.page ? Number(q.page) || 1 : 1,
  };
}
