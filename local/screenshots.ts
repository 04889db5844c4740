/**
 * `npm run console:screenshots`: the console's pages in a real browser (Debian's chromium), 1,280 px wide, on a local
 * cluster with a few orders in every state, written to docs/console/ for the README. Each page must fit the window:
 * one wider than it (`document.documentElement.scrollWidth`) fails the run.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { sqsClient } from '../functions/adapters/aws-clients.ts';
import { sampleOptionsToEnv } from '../functions/orchestrations/index.ts';
import { LocalCluster } from './cluster.ts';
import { orderInstanceId } from './demo.ts';
import { useEmulatorCredentials } from './emulator-credentials.ts';
import { localOperations } from './console.ts';
import { startConsole } from '../console/server.ts';

useEmulatorCredentials();
/** The window the pages are shot in, which each must fit. */
const WIDTH = 1_280;
const out = resolve(process.argv[2] ?? 'docs/console');
const executablePath =
  process.env.BATON_CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
if (!executablePath) {
  console.error('console:screenshots needs chromium (apt-get install chromium, or set BATON_CHROMIUM)');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const workDir = mkdtempSync(join(tmpdir(), 'baton-shots-'));
const cluster = new LocalCluster({
  instances: 2,
  port: 0,
  prefix: 'shots',
  leaseMs: 3_000,
  workDir,
  waitSeconds: 1,
  sweepEveryMs: 1_000,
  environment: sampleOptionsToEnv({ cancellationWindowMs: 0 }),
});
await cluster.start();
await cluster.waitUntilUp();
const web = await startConsole({
  operations: localOperations(cluster, 'ada'),
  where: `local cluster ${cluster.endpoint}`,
});
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
try {
  const sqs = sqsClient({ endpoint: cluster.endpoint });
  const send = (type: string, body: unknown, queueUrl = cluster.describe().receiveQueueUrl) =>
    sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
        MessageAttributes: { MessageType: { DataType: 'String', StringValue: type } },
      }),
    );
  const order = (orderId: string, unitPrice: number) => ({
    orderId,
    customerId: 'c-42',
    lines: [
      { sku: 'A', qty: 2, unitPrice },
      { sku: 'B', qty: 1, unitPrice: 5 },
    ],
  });
  for (let i = 1; i <= 6; i++) await send('Order', order(`o-10${i}`, 20));
  for (let i = 1; i <= 3; i++) await send('Order', order(`o-20${i}`, 8_000));
  await send('Order', '{"orderId":"o-301","customerId":"c-42","lines":[{"sku":"A","qty":"two","unitPrice":5}]}');
  // Its approval, for an order no instance has: held while the receive queue brings it back, then suspended.
  await send('Approval', { orderId: 'o-301', approved: true });
  await send('Order', order('o-401', 20), cluster.resources.queues.receive.dlqUrl);
  await new Promise((r) => setTimeout(r, 3_000));
  await send('Approval', { orderId: 'o-201', approved: true });
  await new Promise((r) => setTimeout(r, 3_000));
  // The held approval is suspended at its 4th delivery (the receive queue's visibility: the cluster's lease).
  for (let waited = 0; waited < 30_000; waited += 500) {
    if ((await cluster.store.listSuspendedMessages()).length >= 2) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  await localOperations(cluster, 'ada').act(
    'terminate',
    [orderInstanceId('o-203')],
    'duplicate order, customer called',
  );
  await cluster.tracking!.caughtUp();

  const page = await browser.newPage({ viewport: { width: WIDTH, height: 900 } });
  // The first visit trades the access token for the console's cookie.
  await page.goto(web.openUrl);
  const shot = async (name: string, path: string) => {
    await page.goto(`${web.url}${path}`);
    const width = (await page.evaluate('document.documentElement.scrollWidth')) as number;
    if (width > WIDTH)
      throw new Error(`console:screenshots: ${path} is ${width} px wide, wider than the ${WIDTH} px window`);
    await page.screenshot({ path: join(out, `${name}.png`), fullPage: true });
    console.log(`console:screenshots: ${join(out, `${name}.png`)}  (${path})`);
  };
  await shot('overview', '');
  await shot('search', 'search?q=o-202');
  await shot('instance', `instances/${encodeURIComponent(orderInstanceId('o-201'))}?flow=1`);
  await shot('flow', 'flow?q=o-301');
  const bad = (await cluster.store.listSuspendedMessages()).find((m) => m.attributes.MessageType === 'Order');
  if (bad) await shot('suspended-message', `messages/${encodeURIComponent(bad.messageId)}`);
  await shot('dlq', 'dlqs/receive');
  await shot('audit', 'audit');
} finally {
  await browser.close();
  await web.stop();
  await cluster.stop();
  rmSync(workDir, { recursive: true, force: true });
}
