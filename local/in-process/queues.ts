/**
 * The embedded stack's SQS and S3: fauxqs, with its queue store in reach of this process. fauxqs's `startFauxqs`
 * keeps its stores to its HTTP app; this builds the same app on stores made here (as `startFauxqs` does, with its
 * SQLite persistence when a folder is given), so host instances running in this process reach the queues directly
 * (InProcessSqsClient) while the endpoint serves the same queues over HTTP. Pinned fauxqs version (package.json):
 * this reaches into its modules.
 */
import { mkdirSync } from 'node:fs';

/** fauxqs's SQS store, as far as this process uses it (see fauxqs's sqs/sqsStore.d.ts). */
export interface QueueStore {
  getQueue(url: string): unknown;
}

/** A fauxqs SQS action: the JSON protocol's input, the store, and the HTTP request it came with. */
export type QueueAction = (body: unknown, store: QueueStore, request: { headers: Record<string, string> }) => unknown;

/** fauxqs's error: the JSON protocol's code and status. */
export interface QueueError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly senderFault: boolean;
}

export interface EmbeddedQueues {
  readonly store: QueueStore;
  /** The port fauxqs's HTTP app listens on (127.0.0.1). */
  readonly port: number;
  /** fauxqs's SQS action of that name (`SendMessage`...), or undefined. */
  action(name: string): Promise<QueueAction | undefined>;
  /** Whether an error came from fauxqs (a protocol error to answer, not a crash). */
  isQueueError(error: unknown): error is QueueError;
  stop(): Promise<void>;
}

const module = (path: string) => import(new URL(path, import.meta.resolve('fauxqs')).href);

export async function startQueues(options: { dataDir?: string } = {}): Promise<EmbeddedQueues> {
  const [{ buildApp }, { SqsStore }, { SnsStore }, { S3Store }, { PersistenceManager }, { SqsError }] =
    await Promise.all([
      import('fauxqs'),
      module('./sqs/sqsStore.js'),
      module('./sns/snsStore.js'),
      module('./s3/s3Store.js'),
      module('./persistence.js'),
      module('./common/errors.js'),
    ]);
  const sqsStore = new SqsStore();
  const snsStore = new SnsStore();
  const s3Store = new S3Store();
  // As startFauxqs does with a data folder: load what was kept, then keep what changes.
  let persistence: { load(...stores: unknown[]): void; close(): void } | undefined;
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    persistence = new PersistenceManager(options.dataDir);
    persistence!.load(sqsStore, snsStore, s3Store);
    sqsStore.persistence = persistence;
    snsStore.persistence = persistence;
    s3Store.persistence = persistence;
    for (const queue of sqsStore.allQueues()) queue.persistence = persistence;
  }
  const app = buildApp({ logger: false, stores: { sqsStore, snsStore, s3Store } });
  if (persistence) app.addHook('preClose', () => persistence!.close());
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const actions = new Map<string, QueueAction | undefined>();
  return {
    store: sqsStore,
    port: Number(new URL(address).port),
    async action(name) {
      if (!actions.has(name)) {
        const file = name.charAt(0).toLowerCase() + name.slice(1);
        actions.set(
          name,
          await module(`./sqs/actions/${file}.js`).then(
            (m) => m[file],
            () => undefined,
          ),
        );
      }
      return actions.get(name);
    },
    isQueueError: (error): error is QueueError => error instanceof SqsError,
    async stop() {
      await app.close();
    },
  };
}
