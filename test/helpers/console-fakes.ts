/**
 * The console's Hono app over the engine on in-memory fakes, as the route tests use it (test/console/routes.test.ts,
 * test/console/story.test.ts): requests go to `app.request()`, no server, no browser.
 */
import type { AuditEntry } from '../../console/audit.ts';
import { Operations } from '../../console/operations.ts';
import type { PeekedMessage, QueueDepth, Redrive } from '../../console/queues.ts';
import { consoleApp } from '../../console/server.ts';
import { code, complete, orchestration, receive, receiveCorrelated } from '../../functions/core/builder.ts';
import type { OrchestrationDefinition } from '../../functions/core/definition.ts';
import type { InstanceStatus } from '../../functions/core/instance.ts';
import { trackWorld } from './memory-history.ts';
import { orderIdOf } from './orders.ts';
import { createWorld, settle } from './world.ts';

/** An order prices itself (an order noted `fail` cannot be priced: suspended), then waits for its approval. */
const orders = orchestration(
  'Orders',
  1,
  [
    receive('order', 'Order', { into: 'order', correlation: 'order' }),
    code('price', (ctx) => {
      const { fail } = ctx.message('order').body as { fail?: string };
      if (fail) throw new Error(`pricing refused ${fail}`);
    }),
    receiveCorrelated('approval', 'Approval', { into: 'approval', correlation: 'order' }),
    complete('done'),
  ],
  { correlationSets: { order: { Order: orderIdOf, Approval: orderIdOf } } },
);

export const HOST = 'localhost:4580';
const ORIGIN = `http://${HOST}`;
const TOKEN = 'the-console-token';
export const HOSTILE = '<script>alert("x")</script>';

/**
 * The console's Hono app over the engine on in-memory fakes (no cluster, no browser): its MessageBox and history,
 * queues that keep what is sent and a DLQ of one message, an audit trail in an array. Three orders: one waiting, one
 * suspended, and a message the receive host could not read (kept as a suspended message).
 */
export async function overFakes(others: readonly OrchestrationDefinition[] = []) {
  const w = createWorld([orders, ...others]);
  const { history } = trackWorld(w);
  const audit: AuditEntry[] = [];
  const sent: { name: string; body: string; attributes: Readonly<Record<string, string>> }[] = [];
  const dlq: PeekedMessage[] = [
    { messageId: 'dead-1', body: `{"note":"${HOSTILE}"}`, attributes: { MessageType: 'Order' }, receiveCount: 5 },
  ];
  const operations = new Operations({
    store: Object.assign(w.store, {
      countByStatus: async (statuses: readonly string[] = []) =>
        Object.fromEntries(
          await Promise.all(
            statuses.map(async (s) => [
              s,
              s === 'message'
                ? (await w.store.listSuspendedMessages()).filter((m) => !m.resolution).length
                : (await w.store.listInstances(s as InstanceStatus)).length,
            ]),
          ),
        ),
    }),
    history,
    admin: {
      resume: (id) => w.host('console:ada').resume(id),
      terminate: (id, r) => w.host('console:ada').terminate(id, r),
    },
    queues: {
      depths: async (): Promise<QueueDepth[]> => [
        { name: 'receive', visible: 0, inFlight: 0, delayed: 0, dlq: dlq.length },
        { name: 'work', visible: w.workQueue.items.length, inFlight: 0, delayed: 0, dlq: 0 },
      ],
      peekDlq: async (queue) => (queue === 'receive' ? [...dlq] : []),
      redrive: async (queue): Promise<Redrive> => {
        if (queue !== 'receive') throw new Error(`no queue named ${queue}`);
        return { queue, how: 'moved by the console', moved: dlq.splice(0).length };
      },
      send: async (name, body, attributes) => {
        sent.push({ name, body, attributes });
        return `sqs-${sent.length}`;
      },
    },
    audit: {
      record: async (entry) => {
        audit.unshift(entry);
      },
      recent: async () => [...audit],
    },
    operator: 'ada',
    now: w.clock.now,
    newId: () => `resubmission-${sent.length + 1}`,
  });
  const app = consoleApp(operations, { where: 'in memory', allowedHosts: () => [HOST], token: TOKEN });

  const message = (messageId: string, type: string, body: string) => ({
    messageId,
    body,
    attributes: { MessageType: type },
  });
  await w.receiver.receive([
    message('m-wait', 'Order', JSON.stringify({ orderId: 'o-wait' })),
    message('m-fail', 'Order', JSON.stringify({ orderId: 'o-fail', fail: HOSTILE })),
    message('m-bad', 'Order', HOSTILE),
  ]);
  await settle(w);
  const idOf = async (orderId: string) =>
    [...w.store.items.values()]
      .map((item) => JSON.parse(item) as { instanceId: string; correlations: Record<string, string> })
      .find((s) => s.correlations.order === orderId)!.instanceId;
  const status = async (instanceId: string) => (await w.store.load(instanceId))?.status;
  return {
    ...http(app),
    world: w,
    audit,
    sent,
    dlq,
    waiting: await idOf('o-wait'),
    suspended: await idOf('o-fail'),
    status,
  };
}

/** Requests as the signed-in operator's browser makes them: its cookie, and a POST's origin and CSRF token. */
function http(app: ReturnType<typeof consoleApp>) {
  const signedIn = { host: HOST, cookie: `baton_console_4580=${TOKEN}` };
  let csrf: string | undefined;
  const answer = async (response: Response) => ({
    status: response.status,
    headers: response.headers,
    text: await response.text(),
  });
  const get = async (path: string, headers: Record<string, string> = signedIn) =>
    answer(await app.request(`${ORIGIN}${path}`, { headers }));
  const post = async (path: string, form: Record<string, string>) => {
    // Every page with a form carries the token; a DLQ's page always has one.
    csrf ??= /name="_csrf" value="([^"]+)"/.exec((await get('/dlqs/receive')).text)![1]!;
    return answer(
      await app.request(`${ORIGIN}${path}`, {
        method: 'POST',
        headers: { ...signedIn, origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf, ...form }).toString(),
      }),
    );
  };
  return { get, post };
}

/** HOSTILE as the pages show it: escaped, text. */
export const ESCAPED = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;';
