/**
 * The search, an instance's page, a message flow, and resume and terminate (one instance, the selected ones, or a
 * whole search).
 */
import type { Hono } from 'hono';
import type { Operations, SearchQuery } from '../operations.ts';
import { confirmPage, resultsPage } from '../views/actions.ts';
import { notFoundPage } from '../views/errors.ts';
import { flowPage } from '../views/flow.ts';
import { instancePage } from '../views/instance.ts';
import type { PageContext } from '../views/layout.ts';
import { type SearchForm, searchPage } from '../views/search.ts';
import { all, BadRequest, first } from './form.ts';

/** Where to look for an instance the MessageBox no longer has. */
const HISTORY_KEPT = 'its history longer: try the search';

export function instanceRoutes(app: Hono, operations: Operations, ctx: () => PageContext): void {
  app.get('/search', async (c) => {
    const q = c.req.query();
    const asked = ['q', 'orchestration', 'status', 'messageType', 'from', 'to'].some((k) => q[k]);
    let query: SearchForm = {
      text: q.q,
      orchestration: q.orchestration,
      status: q.status,
      messageType: q.messageType,
      fromText: q.from,
      toText: q.to,
    };
    try {
      query = searchQuery(q);
      if (!asked) return c.html(searchPage(ctx(), query, undefined));
      return c.html(searchPage(ctx(), query, await operations.search(query)));
    } catch (error) {
      return c.html(searchPage(ctx(), query, undefined, (error as Error).message), 400);
    }
  });

  app.get('/instances/:id', async (c) => {
    const id = c.req.param('id');
    const found = await operations.instance(id);
    if (!found)
      return c.html(
        notFoundPage(
          ctx(),
          `No instance ${id} in the MessageBox (a finished instance is kept 7 days; ${HISTORY_KEPT}).`,
        ),
        404,
      );
    const after = c.req.query('after');
    // Its flow, and its business keys' (a message held for its key, then suspended, is linked by the key only).
    const [history, flow] = await Promise.all([
      operations.history(id, after),
      c.req.query('flow') ? operations.flow([id, ...Object.values(found.state.correlations)]) : undefined,
    ]);
    return c.html(instancePage(ctx(), { ...found, history, flow, after }));
  });

  app.get('/flow', async (c) => {
    const q = c.req.query('q')?.trim() ?? '';
    return c.html(flowPage(ctx(), q, q ? await operations.flow(q) : undefined));
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
      return c.html(resultsPage(ctx(), 'Nothing selected', [], c.req.header('referer') ?? '/search'), 400);
    return c.html(confirmPage(ctx(), action, ids, '/search'));
  });

  app.post('/actions/run', async (c) => {
    const body = await c.req.parseBody({ all: true });
    const action = actionOf(body.action);
    const reason = String(first(body.reason) ?? '');
    if (action === 'terminate' && !reason.trim())
      return c.html(confirmPage(ctx(), action, all(body.id), '/search'), 400);
    const results = await operations.act(action, all(body.id), reason);
    const done = results.filter((r) => r.outcome === 'done').length;
    const title = `${action === 'resume' ? 'Resumed' : 'Terminated'}: ${done} of ${results.length}`;
    return c.html(resultsPage(ctx(), title, results, '/search'));
  });
}

function actionOf(value: unknown): 'resume' | 'terminate' {
  const action = first(value);
  if (action !== 'resume' && action !== 'terminate') throw new BadRequest(`unknown action ${JSON.stringify(action)}`);
  return action;
}

function searchQuery(q: Record<string, string | undefined>): SearchForm & SearchQuery {
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
