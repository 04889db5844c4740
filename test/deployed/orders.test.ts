import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DescribeStateMachineCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { parseWorkItem } from '../../functions/adapters/SqsWorkQueue.ts';
import { parsePointer } from '../../functions/adapters/extended-client.ts';
import { orderInstanceId, sampleOrder } from '../../local/demo.ts';
import { dynamoDbDocumentClient } from '../../functions/adapters/aws-clients.ts';
import { DynamoDbHistory } from '../../functions/adapters/DynamoDbHistory.ts';
import { messageFlow } from '../../functions/core/message-flow.ts';
import { largeOrder } from '../helpers/orders.ts';

const OUTPUTS = process.env.BATON_DEPLOYED_OUTPUTS ?? '.baton/deployed.json';
if (!existsSync(OUTPUTS))
  throw new Error(
    `no deployment outputs at ${OUTPUTS}: run "npm run deploy:local" (or point BATON_DEPLOYED_OUTPUTS at cdk deploy's --outputs-file)`,
  );
const [STACK, outputs] = Object.entries(
  JSON.parse(readFileSync(OUTPUTS, 'utf8')) as Record<string, Record<string, string>>,
)[0]!;
// `npm run deploy:local` records the emulator it deployed to: talk to the same one, in the same region, with the
// emulator's test credentials, unless the shell says otherwise (against AWS, nothing is recorded or defaulted).
const TARGET = '.baton/deployed-target.json';
if (!process.env.BATON_DEPLOYED_OUTPUTS && existsSync(TARGET)) {
  const target = JSON.parse(readFileSync(TARGET, 'utf8')) as { endpoint?: string; region?: string };
  process.env.AWS_ENDPOINT_URL ??= target.endpoint;
  process.env.AWS_REGION ??= target.region;
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
}
// Against an emulator, talk to the same endpoint the deployment went to; against AWS, leave it unset.
const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
const run = Date.now().toString(36);

async function sendAll(messages: { type: string; body: unknown }[]) {
  for (let i = 0; i < messages.length; i += 10) {
    const r = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: outputs.ReceiveQueueUrl,
        Entries: messages.slice(i, i + 10).map((m, j) => ({
          Id: String(j),
          MessageBody: JSON.stringify(m.body),
          MessageAttributes: { MessageType: { DataType: 'String', StringValue: m.type } },
        })),
      }),
    );
    expect(r.Failed ?? []).toEqual([]);
  }
}

/** The messages that arrived as extended-client pointers (read from their objects, as a consumer's extended client does), by type. */
const pointers: { orderId: string; type: string; bucket: string; key: string }[] = [];
const s3 = new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL) });

/** Reads the send queue until `done` says enough arrived (or the deadline); returns distinct messages by MessageId. */
async function collect(
  ours: (orderId: string) => boolean,
  done: (got: Map<string, string[]>) => boolean,
  timeoutMs = 120_000,
) {
  const got = new Map<string, string[]>();
  const seen = new Set<string>();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !done(got)) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: outputs.SendQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 2,
        MessageAttributeNames: ['All'],
      }),
    );
    const read = await Promise.all(
      Messages.map(async (m) => {
        const pointer = m.MessageAttributes?.ExtendedPayloadSize ? parsePointer(m.Body ?? '') : undefined;
        const text = pointer
          ? await (
              await s3.send(new GetObjectCommand({ Bucket: pointer.bucket, Key: pointer.key }))
            ).Body!.transformToString('utf8')
          : (m.Body ?? '{}');
        return { m, pointer, orderId: (JSON.parse(text) as { orderId?: string }).orderId ?? '' };
      }),
    );
    const mine = read.filter((r) => ours(r.orderId));
    for (const { m, pointer, orderId } of mine) {
      const id = m.MessageAttributes?.MessageId?.StringValue ?? m.MessageId!;
      if (seen.has(id)) continue;
      seen.add(id);
      const type = m.MessageAttributes?.MessageType?.StringValue ?? '?';
      if (pointer) pointers.push({ orderId, type, ...pointer });
      got.set(orderId, [...(got.get(orderId) ?? []), type].sort());
    }
    if (mine.length > 0)
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: outputs.SendQueueUrl,
          Entries: mine.map(({ m }, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
  }
  return got;
}

describe(`the deployed stack (${process.env.AWS_ENDPOINT_URL ?? 'AWS'})`, () => {
  it('turns orders into one Invoice and one Shipment each (after the cancellation window), or one OrderRejected', async () => {
    const orders = Array.from({ length: 20 }, (_, i) => sampleOrder(i));
    await sendAll(orders.map((o) => ({ type: 'Order', body: o.body })));
    const want = new Map(orders.map((o) => [o.orderId, [...o.expected].sort()]));
    const got = await collect(
      (id) => want.has(id),
      (g) => [...want].every(([id, types]) => (g.get(id)?.length ?? 0) >= types.length),
    );
    for (const [orderId, types] of want) expect(got.get(orderId), orderId).toEqual(types);
  });

  it('takes orders of 7,800 lines (about 295 KB) and of about 900 KB sent by plain SendMessage, and one an extended client offloaded, through the claim check, to their Invoice and Shipment', async () => {
    const bucket = outputs.ClaimCheckBucketName!;
    // A cent a line: under the approval threshold, so each goes straight to its documents.
    const orders = [
      largeOrder(`dep-lines-${run}`, 7_800, 4, 0.01),
      largeOrder(`dep-wide-${run}`, 6_000, 120, 0.01),
      largeOrder(`dep-many-${run}`, 12_000, 4, 0.01),
    ];
    const offloaded = largeOrder(`dep-pointer-${run}`, 2_000, 4, 0.01);
    for (const order of orders) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: outputs.ReceiveQueueUrl,
          MessageBody: JSON.stringify(order),
          MessageAttributes: { MessageType: { DataType: 'String', StringValue: 'Order' } },
        }),
      );
    }
    // As the Java or Python extended client sends it: the body in S3 (Baton's bucket, under inbound/), a pointer on the queue.
    const text = JSON.stringify(offloaded);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `inbound/${offloaded.orderId}`, Body: text }));
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: outputs.ReceiveQueueUrl,
        MessageBody: `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"${bucket}","s3Key":"inbound/${offloaded.orderId}"}]`,
        MessageAttributes: {
          MessageType: { DataType: 'String', StringValue: 'Order' },
          ExtendedPayloadSize: { DataType: 'Number', StringValue: String(Buffer.byteLength(text)) },
        },
      }),
    );
    const ids = new Set([...orders, offloaded].map((o) => o.orderId));
    const got = await collect(
      (id) => ids.has(id),
      (g) => [...ids].every((id) => (g.get(id)?.length ?? 0) >= 2),
    );
    for (const id of ids) expect(got.get(id), id).toEqual(['Invoice', 'Shipment']);
    // 12,000 lines make a Shipment of some 300 KB, over the send threshold (256 KiB): it went out as a pointer.
    expect(pointers.filter((p) => p.orderId === `dep-many-${run}`)).toEqual([
      expect.objectContaining({ type: 'Shipment', bucket, key: expect.stringMatching(/^outbound\//) }),
    ]);
  });

  it('runs the approval and the cancellation through the deployed hosts: correlation, parallel branches, compensation', async () => {
    const [approved, cancelled] = [`dep-ap-${run}`, `dep-cx-${run}`];
    const large = (orderId: string) => ({
      orderId,
      customerId: 'c-1',
      lines: [{ sku: 'GOLD', qty: 1, unitPrice: 15_000 }],
    });
    await sendAll([
      { type: 'Order', body: large(approved) },
      { type: 'Order', body: large(cancelled) },
    ]);
    const asked = await collect(
      (id) => id === approved || id === cancelled,
      (g) => g.size === 2,
      60_000,
    );
    expect([...asked.values()]).toEqual([['ApprovalRequest'], ['ApprovalRequest']]);
    await sendAll([
      { type: 'Approval', body: { orderId: approved, approved: true } },
      { type: 'Approval', body: { orderId: cancelled, approved: true } },
    ]);
    // The cancellation window is 10 s by default: a Cancel sent now arrives within it.
    await new Promise((r) => setTimeout(r, 2_000));
    await sendAll([{ type: 'Cancel', body: { orderId: cancelled } }]);
    const outcome = await collect(
      (id) => id === approved || id === cancelled,
      (g) => (g.get(approved)?.length ?? 0) >= 2 && (g.get(cancelled)?.length ?? 0) >= 1,
    );
    expect(outcome.get(approved)).toEqual(['Invoice', 'Shipment']);
    expect(outcome.get(cancelled)).toEqual(['OrderCancelled']);

    // Its history, as the deployed tracking function wrote it from the MessageBox's stream.
    const history = new DynamoDbHistory(dynamoDbDocumentClient(), outputs.HistoryTableName!);
    const deadline = Date.now() + 60_000;
    let kinds: string[] = [];
    while (Date.now() < deadline && kinds.at(-1) !== 'completed') {
      kinds = (await history.history(orderInstanceId(approved), { limit: 1_000 })).events.map((e) => e.kind);
      if (kinds.at(-1) !== 'completed') await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(kinds[0]).toBe('activated');
    expect(kinds).toEqual(expect.arrayContaining(['received', 'persisted', 'sent', 'waiting', 'forked']));
    expect(kinds.at(-1)).toBe('completed');
    const flow = await messageFlow(history, approved);
    expect(flow.subjects).toContain(orderInstanceId(approved));
    expect(flow.events.filter((e) => e.kind === 'sent').map((e) => e.messageType)).toEqual(
      expect.arrayContaining(['ApprovalRequest', 'Invoice', 'Shipment']),
    );
  });

  it("serves the web console for the stack found by its name (baton console --stack): its queues, an order's instance, the host instances that ran it", async () => {
    const orderId = `dep-console-${run}`;
    await sendAll([
      { type: 'Order', body: { orderId, customerId: 'c-1', lines: [{ sku: 'A', qty: 1, unitPrice: 5 }] } },
    ]);
    // The operator's command, as they would type it: the stack by its name, the emulator by its endpoint.
    const cli = join(import.meta.dirname, '../../local/cli.ts');
    const where = [
      ...(process.env.AWS_ENDPOINT_URL ? ['--endpoint', process.env.AWS_ENDPOINT_URL] : []),
      ...(process.env.AWS_REGION ? ['--region', process.env.AWS_REGION] : []),
    ];
    const child = spawn(process.execPath, [cli, 'console', '--stack', STACK, ...where, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let printed = '';
      child.stderr.on('data', (chunk: Buffer) => {
        printed += chunk;
      });
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          printed += chunk;
          const found = /web console: +(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(printed);
          if (found) resolve(found[1]!);
        });
        child.once('exit', (code) => reject(new Error(`baton console exited (${code}):\n${printed}`)));
        setTimeout(() => reject(new Error(`baton console printed no URL in 60 s:\n${printed}`)), 60_000);
      });
      expect(printed).toContain(`Baton console for stack ${STACK} (`);
      expect(printed).toMatch(/acting as: +\S/);
      // Its access token opens it (traded for a cookie); without them nothing is shown.
      expect((await fetch(new URL('/', url))).status).toBe(401);
      const signIn = await fetch(url, { redirect: 'manual' });
      expect(signIn.status).toBe(303);
      const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
      const page = async (path: string) => {
        const response = await fetch(new URL(path, url), { headers: { cookie } });
        expect(response.status, path).toBe(200);
        return response.text();
      };

      // The order's instance, found as an operator finds it (by its orderId); its page, once the deployed hosts completed it.
      const instanceId = orderInstanceId(orderId);
      const until = async (path: string, done: (html: string) => boolean) => {
        const deadline = Date.now() + 90_000;
        let html = await page(path);
        while (!done(html) && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 2_000));
          html = await page(path);
        }
        return html;
      };
      const search = await until(`/search?q=${encodeURIComponent(orderId)}`, (html) =>
        html.includes(`href="/instances/${encodeURIComponent(instanceId)}"`),
      );
      expect(search).toContain(`href="/instances/${encodeURIComponent(instanceId)}"`);
      const instance = await until(`/instances/${encodeURIComponent(instanceId)}`, (html) =>
        html.includes('<td>completed</td>'),
      );
      expect(instance).toContain(`Instance ${instanceId}`);
      expect(instance).toContain('<dt>Status</dt><dd><span class="status-completed">completed</span>');
      expect(instance).toMatch(/<td>activated<\/td>[\s\S]*<td>completed<\/td>/);

      // The overview: the stack's own queues (each with its DLQ), what completed, the host instances from the history.
      const overview = await page('/');
      expect(overview).toContain(`stack ${STACK} (`);
      for (const queue of ['receive', 'work', 'send'])
        expect(overview).toMatch(
          new RegExp(
            `<th scope="row">${queue}</th>(<td class="num">\\d+</td>){3}<td class="num"><a href="/dlqs/${queue}">\\d+</a></td>`,
          ),
        );
      expect(Number(/<a href="\/search\?status=completed">(\d+)<\/a>/.exec(overview)?.[1])).toBeGreaterThanOrEqual(1);
      const hosts = overview.slice(overview.indexOf('<h2>Host instances</h2>'), overview.indexOf('<h2>Queues</h2>'));
      expect(hosts).toContain('Seen in the tracked history of');
      // Named as Lambda names them: the processing host function (a stack output), then its execution environment.
      const functions = Object.keys(JSON.parse(outputs.ProcessingHostZones!) as Record<string, string>);
      const listed = [...hosts.matchAll(/<tr><th scope="row">([^<]+)<\/th><td>(?:active|idle)<\/td>/g)].map(
        (m) => m[1]!,
      );
      expect(
        listed.some((name) => functions.some((fn) => name.startsWith(`${fn}/`))),
        `hosts listed: ${listed.join(', ')}; processing host functions: ${functions.join(', ')}`,
      ).toBe(true);
    } finally {
      child.kill('SIGTERM');
      await collect(
        (id) => id === orderId,
        (g) => (g.get(orderId)?.length ?? 0) >= 2,
        30_000,
      );
    }
  });

  // Runs the deployed timer definition on the emulator's Step Functions, pointed at a queue of the test's own (on the
  // stack's queue the processing host would take the work item first). Against AWS that means creating a state machine
  // in the account: left to the emulator.
  const emulated = Boolean(process.env.AWS_ENDPOINT_URL);
  it.skipIf(!emulated)(
    `the timer state machine puts the work item on the work queue with the instance's trace, and without one from an earlier host's input${emulated ? '' : ' (skipped against AWS: it would create a state machine and a queue in the account)'}`,
    async () => {
      const sfn = new SFNClient({});
      const deployed = await sfn.send(
        new DescribeStateMachineCommand({ stateMachineArn: outputs.TimerStateMachineArn }),
      );
      expect(deployed.definition).toContain(outputs.WorkQueueUrl);
      const { QueueUrl: scratch } = await sqs.send(new CreateQueueCommand({ QueueName: `baton-timer-check-${run}` }));
      const { stateMachineArn } = await sfn.send(
        new CreateStateMachineCommand({
          name: `baton-timer-check-${run}`,
          roleArn: deployed.roleArn,
          type: 'STANDARD',
          definition: deployed.definition!.split(outputs.WorkQueueUrl!).join(scratch!),
        }),
      );
      try {
        const trace = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
        const dueAt = new Date(Date.now() - 1_000).toISOString();
        await sfn.send(
          new StartExecutionCommand({
            stateMachineArn,
            input: JSON.stringify({ instanceId: `traced-${run}`, dueAt, trace }),
          }),
        );
        await sfn.send(
          new StartExecutionCommand({
            stateMachineArn,
            input: JSON.stringify({ instanceId: `untraced-${run}`, dueAt }),
          }),
        );
        const items = new Map<string, ReturnType<typeof parseWorkItem>>();
        const deadline = Date.now() + 60_000;
        while (items.size < 2 && Date.now() < deadline) {
          const { Messages = [] } = await sqs.send(
            new ReceiveMessageCommand({ QueueUrl: scratch, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }),
          );
          for (const m of Messages) items.set(parseWorkItem(m.Body!).instanceId, parseWorkItem(m.Body!));
        }
        expect(items.get(`traced-${run}`)).toEqual({ instanceId: `traced-${run}`, reason: 'timer', trace });
        expect(items.get(`untraced-${run}`)).toEqual({ instanceId: `untraced-${run}`, reason: 'timer' });
      } finally {
        await sfn.send(new DeleteStateMachineCommand({ stateMachineArn }));
        await sqs.send(new DeleteQueueCommand({ QueueUrl: scratch }));
      }
    },
  );
});
