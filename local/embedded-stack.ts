// First, for its effect: fauxqs (loaded below) loads node:sqlite, whose experimental warning it drops.
import './warnings.ts';
import { createServer, request as httpRequest, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { wakeOneLongPollAtATime } from './fauxqs-long-polls.ts';
import type { ChangeFeed } from './change-feed.ts';
import { DynamoDbService } from './in-process/dynamodb-service.ts';
import type { EmbeddedQueues } from './in-process/queues.ts';

const QUEUE_HOST = /http:\/\/sqs\.[a-z0-9-]+\.localhost:\d+\//g;

/** A running embedded stack. */
export interface EmbeddedStack {
  /** One address for DynamoDB and SQS, as LocalStack offers. */
  readonly endpoint: string;
  /** The port it listens on. */
  readonly port: number;
  /** The DynamoDB streams the embedded stack keeps (absent when DynamoDB Local serves its own). */
  readonly changeFeed?: ChangeFeed;
  /** Its DynamoDB, for host instances in this process (absent when DynamoDB Local serves DynamoDB). */
  readonly dynamo?: DynamoDbService;
  /** Its SQS (and S3), for host instances in this process. */
  readonly queues: EmbeddedQueues;
  /** Closes the endpoint and the emulators behind it. */
  stop(): Promise<void>;
}

/** Where an {@link startEmbeddedStack | embedded stack} listens, and where it keeps its state. */
export interface EmbeddedStackOptions {
  /** Default 4566, LocalStack's port; 0 picks a free one. */
  readonly port?: number;
  /** The address it listens on. @defaultValue 127.0.0.1 */
  readonly host?: string;
  /** Keep state on disk here (the tables' file, fauxqs's SQLite); in memory when absent. */
  readonly dataDir?: string;
  /** Serve DynamoDB from this endpoint (DynamoDB Local, say) instead of the embedded tables. */
  readonly dynamodbEndpoint?: string;
  /**
   * What answers DynamoDB here: the embedded tables, or dynalite. @defaultValue the tables, but dynalite for a data
   * folder an earlier version kept with it
   */
  readonly dynamodbEngine?: 'tables' | 'dynalite';
}

/**
 * DynamoDB (dynalite), SQS and S3 (fauxqs) behind a single endpoint. Requests are told apart the way AWS's
 * JSON protocols label them: `X-Amz-Target: DynamoDB_20120810.*` goes to dynalite, in-process, with DynamoDB
 * Streams added in front of it (see in-process/dynamodb-service.ts); the rest is proxied to fauxqs with its Host header kept, so
 * queue URLs name this endpoint.
 */
export async function startEmbeddedStack(options: EmbeddedStackOptions = {}): Promise<EmbeddedStack> {
  const host = options.host ?? '127.0.0.1';
  if (options.dataDir) {
    mkdirSync(join(options.dataDir, 'dynamodb'), { recursive: true });
    mkdirSync(join(options.dataDir, 'sqs'), { recursive: true });
  }
  const dynamo = options.dynamodbEndpoint
    ? undefined
    : await DynamoDbService.start({
        path: options.dataDir ? join(options.dataDir, 'dynamodb') : undefined,
        engine: options.dynamodbEngine,
        log: (line) => console.error(line),
      });
  await wakeOneLongPollAtATime();
  // Imported here, not above: the ESM loader compiles node:sqlite (which fauxqs imports) while it links the static
  // imports, before any module runs, so only an import made after warnings.ts ran can have its warning dropped.
  const { startQueues } = await import('./in-process/queues.ts');
  const sqs = await startQueues({ dataDir: options.dataDir ? join(options.dataDir, 'sqs') : undefined });
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  function proxyTo(target: URL) {
    return (req: IncomingMessage, res: ServerResponse) => {
      const upstream = httpRequest(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
        (response) => {
          res.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(res);
        },
      );
      upstream.on('error', (error) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`DynamoDB at ${target.origin} unavailable: ${error.message}`);
      });
      req.pipe(upstream);
    };
  }

  // DynamoDB Local has streams of its own: then every DynamoDB call, streams included, goes to it.
  const dynamoHandler = dynamo
    ? (req: IncomingMessage, res: ServerResponse) => dynamo.handle(req, res)
    : proxyTo(new URL(options.dynamodbEndpoint!));

  const front = createServer((req, res) => {
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string' && target.startsWith('DynamoDB')) {
      dynamoHandler(req, res);
      return;
    }
    const upstream = httpRequest(
      { host: '127.0.0.1', port: sqs.port, method: req.method, path: req.url, headers: req.headers, agent },
      (response) => {
        const action = typeof target === 'string' ? target : '';
        // S3 (the claim check's objects) and long polls pass as they are: only SQS's other answers name queues, and
        // an object's bytes are not text.
        const sqsRequest =
          action.startsWith('AmazonSQS') ||
          String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
        if (!sqsRequest || action.endsWith('.ReceiveMessage')) {
          res.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(res);
          return;
        }
        // fauxqs names queues sqs.<region>.localhost:<port>, which does not resolve everywhere; the
        // SDK then uses that host instead of AWS_ENDPOINT_URL. Present queue URLs on this endpoint.
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const body = Buffer.from(
            Buffer.concat(chunks).toString('utf8').replace(QUEUE_HOST, `http://${req.headers.host}/`),
          );
          res.writeHead(response.statusCode ?? 502, { ...response.headers, 'content-length': String(body.length) });
          res.end(body);
        });
      },
    );
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`embedded SQS unavailable: ${error.message}`);
    });
    // A client that gives up (a stopped poller, a killed host) must not leave a long poll open upstream:
    // it would take messages into flight for nobody until their visibility timeout.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });
  // Long polls hold connections for 20 s; keep-alive sockets must outlive the SDK's idle ones.
  front.keepAliveTimeout = 65_000;
  front.headersTimeout = 66_000;

  await new Promise<void>((resolve, reject) => {
    front.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `port ${options.port ?? 4566} is in use (LocalStack or another Baton?); choose another with --port`,
            )
          : error,
      );
    });
    front.listen(options.port ?? 4566, host, () => resolve());
  });
  const address = front.address();
  const port = typeof address === 'object' && address ? address.port : Number(options.port);
  return {
    endpoint: `http://${host}:${port}`,
    port,
    changeFeed: dynamo?.feed,
    dynamo,
    queues: sqs,
    async stop() {
      front.closeAllConnections();
      await new Promise<void>((resolve) => front.close(() => resolve()));
      agent.destroy();
      await sqs.stop();
      await dynamo?.stop();
    },
  };
}
