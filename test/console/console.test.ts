import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { sqsClient } from '../../functions/adapters/aws-clients.ts';
import { LocalCluster } from '../../local/cluster.ts';
import { orderInstanceId } from '../../local/demo.ts';
import { sampleOptionsToEnv } from '../../functions/orchestrations/index.ts';
import { localOperations } from '../../local/console.ts';
import { activationInstanceId, branchInstanceId } from '../../functions/core/ids.ts';
import { startConsole, type RunningConsole } from '../../console/server.ts';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_REGION ??= 'us-east-1';

/** The window every page must fit: a laptop's. */
const WIDTH = 1_280;

/** Debian's chromium (`apt-get install chromium`); CI installs it and sets BATON_REQUIRE_BROWSER, so it never skips there. */
const CHROMIUM = process.env.BATON_CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
const skip =
  CHROMIUM || process.env.BATON_REQUIRE_BROWSER
    ? undefined
    : 'no chromium at /usr/bin/chromium (apt-get install chromium, or set BATON_CHROMIUM)';
if (skip) console.warn(`[skipped] the console in a real browser: ${skip}`);

describe.skipIf(skip)(`the web console in a real browser (chromium)${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let cluster: LocalCluster;
  let web: RunningConsole;
  let browser: Browser;
  let page: Page;
  let workDir: string;
  const outageFile = join(tmpdir(), `baton-outage-${process.pid}`);
  const run = Date.now().toString(36);
  const large = (orderId: string) => ({
    orderId,
    customerId: 'c-7',
    lines: [{ sku: 'GOLD', qty: 1, unitPrice: 15_000 }],
  });
  const small = (orderId: string) => ({ orderId, customerId: 'c-7', lines: [{ sku: 'A', qty: 1, unitPrice: 10 }] });

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'baton-console-'));
    cluster = new LocalCluster({
      instances: 2,
      port: 0,
      prefix: `cs${process.pid}${run}`,
      leaseMs: 3_000,
      orchestrations: 'test/fixtures/console-orchestrations.ts',
      environment: { ...sampleOptionsToEnv({ cancellationWindowMs: 0 }), CONSOLE_OUTAGE_FILE: outageFile },
      workDir,
      waitSeconds: 1,
      sweepEveryMs: 1_000,
    });
    await cluster.start();
    await cluster.waitUntilUp();
    web = await startConsole({ operations: localOperations(cluster, 'ada'), where: 'test cluster' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    // A laptop's window: every page must fit its width (see `fits`).
    page = await browser.newPage({ viewport: { width: WIDTH, height: 800 } });
  });
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await cluster?.stop();
    rmSync(outageFile, { force: true });
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  const send = async (type: string, body: unknown) => {
    const response = await sqsClient({ endpoint: cluster.endpoint }).send(
      new SendMessageCommand({
        QueueUrl: cluster.describe().receiveQueueUrl,
        MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
        MessageAttributes: { MessageType: { DataType: 'String', StringValue: type } },
      }),
    );
    return response.MessageId!;
  };
  const statusOf = async (instanceId: string) => (await cluster.store.load(instanceId))?.status;
  /**
   * The page fits the window: nothing wider than its 1,280 px (no sideways scrolling), and its screenshot, the whole
   * page, is as wide as the window. Returns the width it measured, for the failure's message.
   */
  const fits = async (name: string) => {
    const width = (await page.evaluate('document.documentElement.scrollWidth')) as number;
    expect(width, `${name} (${page.url()}) is ${width} px wide`).toBeLessThanOrEqual(WIDTH);
    const shot = await page.screenshot({ path: join(workDir, `${name}.png`), fullPage: true });
    // A PNG's width: the first field of its IHDR chunk, at byte 16.
    expect(shot.readUInt32BE(16), `the screenshot of ${name}`).toBe(WIDTH);
    return width;
  };
  const heading = () => page.getByRole('heading', { level: 1 }).textContent();
  const until = async <T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 20_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (ok(value) || Date.now() > deadline) return value;
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  // First: it signs the page in, for every test after it.
  it('opens only to the URL with its access token: a browser without it gets 401, the URL it printed signs it in and leaves the token out of the address bar', async () => {
    const stranger = await browser.newPage();
    try {
      const refused = await stranger.goto(`${web.url}messages`);
      expect(refused?.status()).toBe(401);
      expect(await stranger.locator('body').innerText()).toContain('this console needs its access token');
    } finally {
      await stranger.close();
    }

    await page.goto(web.openUrl);
    expect(page.url()).toBe(web.url);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Overview');
    const [cookie] = await page.context().cookies();
    expect(cookie).toMatchObject({
      name: `baton_console_${new URL(web.url).port}`,
      httpOnly: true,
      sameSite: 'Strict',
    });
    // A script on the page could not read it, and the page's own links work with it.
    expect(await page.evaluate('document.cookie')).toBe('');
    await page.getByRole('link', { name: 'Suspended messages' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Suspended messages');
  });

  it('finds an order by its orderId, opens it, shows its history and its message flow, and terminates it with a reason', async () => {
    const orderId = `cs-wait-${run}`;
    await send('Order', large(orderId));
    const instanceId = orderInstanceId(orderId);
    expect(
      await until(
        () => statusOf(instanceId),
        (s) => s === 'waiting',
      ),
    ).toBe('waiting');
    await cluster.tracking!.caughtUp();

    await page.goto(`${web.url}search`);
    await page.getByRole('searchbox', { name: /Search/ }).fill(orderId);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: instanceId }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toContain(instanceId);
    const history = await page.getByRole('table').filter({ hasText: 'activated' }).first().innerText();
    expect(history).toContain('ApprovalRequest');
    expect(history).toContain('waiting');
    await page.getByRole('link', { name: 'Show the message flow' }).click();
    await expect.poll(() => page.locator('body').innerText()).toMatch(/\d+ instance\(s\) and message\(s\)/);

    await page.getByRole('button', { name: 'Terminate' }).click();
    await page.getByRole('textbox', { name: /Reason/ }).fill('customer called to cancel');
    await page.getByRole('button', { name: 'Terminate' }).click();
    await expect.poll(() => page.locator('body').innerText()).toContain('Terminated: 1 of 1');
    const state = await cluster.store.load(instanceId);
    expect(state?.status).toBe('terminated');
    expect(state?.error?.reason).toContain('customer called to cancel');
    expect(state?.error?.reason).toContain('by ada');
  });

  it('resumes a suspended instance once what failed it is mended, and it completes', async () => {
    writeFileSync(outageFile, 'down');
    await send('Job', { id: `job-${run}` });
    const suspended = await until(
      () => cluster.store.listInstances('suspended'),
      (list) => list.some((s) => s.orchestration === 'FlakyJob'),
    );
    const job = suspended.find((s) => s.orchestration === 'FlakyJob')!;
    expect(job.error?.reason).toContain('the service is down');
    rmSync(outageFile);

    await page.goto(`${web.url}search?status=suspended`);
    await page.getByRole('link', { name: job.instanceId }).click();
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => page.locator('body').innerText()).toContain('Resumed: 1 of 1');
    expect(
      await until(
        () => statusOf(job.instanceId),
        (s) => s === 'completed',
      ),
    ).toBe('completed');
  });

  it('edits and resubmits a suspended message: a new message naming the original, whose instance completes; the original is kept', async () => {
    const orderId = `cs-fix-${run}`;
    const badId = await send(
      'Order',
      `{"orderId":"${orderId}","customerId":"c-7","lines":[{"sku":"A","qty":"one","unitPrice":10}]}`,
    );
    await until(
      () => cluster.store.listSuspendedMessages(),
      (list) => list.some((m) => m.messageId === badId),
    );

    await page.goto(`${web.url}messages`);
    await page.getByRole('link', { name: badId }).click();
    await page.getByRole('textbox', { name: 'Body' }).fill(JSON.stringify(small(orderId)));
    await page.getByRole('button', { name: 'Resubmit' }).click();
    await page.getByRole('button', { name: 'Resubmit' }).click();
    await expect.poll(() => page.locator('body').innerText()).toContain('Resubmitted');

    expect(
      await until(
        () => statusOf(orderInstanceId(orderId)),
        (s) => s === 'completed',
      ),
    ).toBe('completed');
    const original = await cluster.store.suspendedMessage(badId);
    expect(original?.body).toContain('"qty":"one"');
    expect(original?.resolution).toMatchObject({ kind: 'resubmitted', by: 'ada' });
    expect((await cluster.store.listSuspendedMessages()).some((m) => m.messageId === badId)).toBe(false);
    // The new instance's activation message names the original: the flow leads from one to the other.
    const resubmitted = await cluster.store.load(orderInstanceId(orderId));
    expect(Object.values(resubmitted!.messages).map((m) => m.properties.ResubmittedFrom)).toContainEqual(badId);

    // Its page names the resubmission; sending it again (for a send that failed) is refused once it arrived.
    await cluster.tracking!.caughtUp();
    await page.goto(`${web.url}messages/${encodeURIComponent(badId)}`);
    expect(await page.locator('body').innerText()).toContain(`resubmitted by ada at`);
    await page.getByRole('button', { name: 'Send it again' }).click();
    await page.getByRole('button', { name: 'Send it again' }).click();
    await expect.poll(() => page.locator('body').innerText()).toContain('Not sent again');
    expect(await page.locator('body').innerText()).toMatch(/resubmission \S+ arrived \(taken by /);
  });

  it('terminates every instance of a search result in one confirmed action', async () => {
    const orderIds = [1, 2, 3].map((i) => `cs-bulk-${i}-${run}`);
    for (const orderId of orderIds) await send('Order', large(orderId));
    for (const orderId of orderIds)
      await until(
        () => statusOf(orderInstanceId(orderId)),
        (s) => s === 'waiting',
      );

    await page.goto(`${web.url}search?status=waiting&orchestration=OrderFulfilment`);
    await expect.poll(() => page.locator('body').innerText()).toContain('3 instance(s)');
    await page.getByRole('radio', { name: /all 3 results/ }).check();
    await page.getByRole('button', { name: 'Terminate' }).click();
    await page.getByRole('textbox', { name: /Reason/ }).fill('end of the test campaign');
    await page.getByRole('button', { name: 'Terminate' }).click();
    await expect.poll(() => page.locator('body').innerText()).toContain('Terminated: 3 of 3');
    for (const orderId of orderIds) expect(await statusOf(orderInstanceId(orderId))).toBe('terminated');
  });

  it("shows a dead-letter queue's messages and redrives them to their queue, where their consumer gets them; the receive DLQ's go to the receive host by themselves", async () => {
    const sqs = sqsClient({ endpoint: cluster.endpoint });
    // The receive host reads the receive queue's DLQ too (a last delivery there): an order found in it completes.
    const orderId = `cs-dlq-${run}`;
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: cluster.resources.queues.receive.dlqUrl,
        MessageBody: JSON.stringify(small(orderId)),
        MessageAttributes: { MessageType: { DataType: 'String', StringValue: 'Order' } },
      }),
    );
    expect(
      await until(
        () => statusOf(orderInstanceId(orderId)),
        (s) => s === 'completed',
      ),
    ).toBe('completed');
    // A result its consumer failed on waits in the send port's DLQ for an operator: shown, then redriven to the port.
    const result = JSON.stringify({ orderId, note: `redriven-${run}` });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: cluster.resources.queues.send.dlqUrl,
        MessageBody: result,
        MessageAttributes: { MessageType: { DataType: 'String', StringValue: 'Invoice' } },
      }),
    );
    await page.goto(`${web.url}dlqs`);
    await page.getByRole('row', { name: /^send/ }).getByRole('link').click();
    await expect.poll(() => page.locator('body').innerText()).toContain(`redriven-${run}`);
    await page.getByRole('button', { name: 'Redrive' }).click();
    await page.getByRole('button', { name: 'Redrive' }).click();
    await expect.poll(() => page.locator('body').innerText()).toContain('Redriven');
    const reached = await until(
      async () => {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: cluster.resources.queues.send.url,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
          }),
        );
        return Messages.some((m) => m.Body === result);
      },
      (found) => found,
    );
    expect(reached, `the redriven ${result} did not reach the send queue`).toBe(true);
  });

  it("tells a key's story: the landing page's search finds its held message; resubmitted, its order completes", async () => {
    const orderId = `cs-story-${run}`;
    // Its approval comes first: no order has the key yet, so the receive host holds it, then keeps it, suspended.
    const approvalId = await send('Approval', { orderId, approved: true });
    await until(
      () => cluster.store.suspendedMessage(approvalId),
      (m) => m !== undefined,
      40_000,
    );
    await send('Order', large(orderId));
    const instanceId = orderInstanceId(orderId);
    await until(
      () => statusOf(instanceId),
      (s) => s === 'waiting',
    );
    await cluster.tracking!.caughtUp();

    await page.goto(web.url);
    await fits('story-landing');
    await page.getByRole('searchbox', { name: 'Find a business key or an instance id' }).fill(orderId);
    await page.getByRole('button', { name: 'Find' }).click();
    await expect.poll(heading).toBe('Search');
    const found = await page.locator('main').innerText();
    expect(found).toContain('1 instance(s)');
    expect(found).toContain(`1 suspended message(s) carry ${orderId}`);
    expect(found).toContain(`no OrderFulfilment instance has order="${orderId}"`);
    expect(await page.getByRole('row', { name: new RegExp(instanceId) }).innerText()).toContain(orderId);
    await fits('story-search');

    await page.getByRole('link', { name: `The whole message flow of ${orderId}` }).click();
    await expect.poll(heading).toBe(`Message flow of ${orderId}`);
    const flow = await page.locator('main').innerText();
    expect(flow).toContain('message-suspended');
    expect(flow).toContain('unresolved');
    await fits('story-flow');

    await page.getByRole('link', { name: approvalId }).first().click();
    await expect.poll(heading).toBe(`Suspended message ${approvalId}`);
    await fits('story-message');
    await page.getByRole('button', { name: 'Resubmit' }).click();
    await page.getByRole('button', { name: 'Resubmit' }).click();
    await expect.poll(heading).toBe('Resubmitted');
    expect(
      await until(
        () => statusOf(instanceId),
        (s) => s === 'completed',
      ),
    ).toBe('completed');
    await cluster.tracking!.caughtUp();

    await page.getByRole('searchbox', { name: 'Find a business key or an instance id' }).fill(orderId);
    await page.getByRole('button', { name: 'Find' }).click();
    await expect.poll(() => page.locator('main').innerText()).toContain('resubmitted as');
    expect(await page.getByRole('row', { name: new RegExp(instanceId) }).innerText()).toContain('completed');
    await page.getByRole('link', { name: instanceId }).click();
    await expect.poll(heading).toBe(`Instance ${instanceId}`);
    const activation = await page
      .getByRole('heading', { name: 'Activating message' })
      .locator('xpath=following-sibling::pre[1]')
      .innerText();
    expect(activation).toContain(orderId);
    await page.getByRole('link', { name: 'Show the message flow' }).click();
    await expect.poll(() => page.locator('main').innerText()).toContain('message-resubmitted');
    await fits('story-instance');
  }, 90_000);

  it('fits every page in a 1,280 px window (ids shortened, bodies wrapped); a failed branch says failed', async () => {
    const sqs = sqsClient({ endpoint: cluster.endpoint });
    // A dead letter with a long body and long attributes; an order whose inventory branch fails (out of stock).
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: cluster.resources.queues.send.dlqUrl,
        MessageBody: JSON.stringify({ orderId: `cs-wide-${run}`, note: 'x'.repeat(5_000), words: 'word '.repeat(500) }),
        MessageAttributes: {
          MessageType: { DataType: 'String', StringValue: 'Invoice' },
          CorrelationId: { DataType: 'String', StringValue: 'c'.repeat(200) },
        },
      }),
    );
    const failing = `cs-oos-${run}`;
    await send('Order', { orderId: failing, customerId: 'c-7', lines: [{ sku: 'OOS-1', qty: 1, unitPrice: 10 }] });
    const parent = orderInstanceId(failing);
    await until(
      () => statusOf(parent),
      (s) => s === 'completed',
    );
    await cluster.tracking!.caughtUp();
    const bad = (await cluster.store.listSuspendedMessages())[0];
    const widths: Record<string, number> = {};
    for (const [name, path] of [
      ['overview', ''],
      ['search-status', 'search?status=completed'],
      ['instance', `instances/${encodeURIComponent(parent)}?flow=1`],
      ['messages', 'messages'],
      ...(bad ? [['message', `messages/${encodeURIComponent(bad.messageId)}`]] : []),
      ['dlqs', 'dlqs'],
      ['dlq', 'dlqs/send'],
      ['audit', 'audit'],
    ] as const) {
      await page.goto(`${web.url}${path}`);
      widths[name] = await fits(name);
    }
    // The redrive's confirmation says how many it will move.
    await page.goto(`${web.url}dlqs/send`);
    await page.getByRole('button', { name: 'Redrive' }).click();
    await expect.poll(heading).toMatch(/^Redrive \d+ message\(s\) of the send DLQ\?$/);
    widths.redrive = await fits('redrive-confirmation');

    // The failed branch, on its orchestration's page and its own.
    await page.goto(`${web.url}instances/${encodeURIComponent(parent)}`);
    const branches = await page.getByRole('table').filter({ hasText: 'inventory' }).first().innerText();
    expect(branches).toMatch(/inventory \(reserveAndAuthorise\)\s+\S+\s+failed\s+branch "inventory" failed/);
    await page
      .getByRole('row', { name: /^inventory/ })
      .getByRole('link')
      .click();
    await expect.poll(heading).toMatch(/~inventory$/);
    expect(await page.locator('dl').first().innerText()).toMatch(/Status\s+failed — branch "inventory" failed/);
    widths.branch = await fits('branch');
    console.log(`scrollWidth at ${WIDTH} px: ${JSON.stringify(widths)}`);
  }, 60_000);

  it('keeps an audit trail of every action: who, what, on what, and how it ended', async () => {
    await page.goto(`${web.url}audit`);
    const trail = await page.getByRole('table').innerText();
    for (const action of ['terminate', 'resume', 'resubmit', 'redrive']) expect(trail).toContain(action);
    expect(trail).toContain('ada');
    expect(trail).toContain('customer called to cancel');
    const entries = await localOperations(cluster, 'ada').auditTrail();
    expect(entries.filter((e) => e.action === 'terminate' && e.outcome === 'done')).toHaveLength(4);
    // The overview counts what ended from the tracked links: those four, and nothing terminated besides.
    await cluster.tracking!.caughtUp();
    expect((await localOperations(cluster, 'ada').overview()).ended24h.terminated).toBe(4);
  });

  it('refuses a POST without its cookie, from another site, one without its CSRF token, and a request for another host name', async () => {
    const post = (headers: Record<string, string>, body: string) =>
      new Promise<number>((resolve, reject) => {
        const url = new URL(`${web.url}actions/run`);
        const req = request(
          {
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const someone = orderInstanceId(`cs-bulk-1-${run}`);
    const [signedIn] = await page.context().cookies();
    const cookie = `${signedIn!.name}=${signedIn!.value}`;
    // Any local process can reach the port; without the cookie it learns nothing, not even the CSRF token.
    expect(await post({ origin: new URL(web.url).origin }, `action=terminate&id=${someone}&reason=x`)).toBe(401);
    expect(await post({ cookie, origin: 'http://attacker.example' }, `action=terminate&id=${someone}&reason=x`)).toBe(
      403,
    );
    expect(
      await post({ cookie, origin: new URL(web.url).origin }, `action=terminate&id=${someone}&reason=x&_csrf=guess`),
    ).toBe(403);
    expect(await post({ cookie, host: 'attacker.example' }, `action=terminate&id=${someone}&reason=x`)).toBe(403);
    const entries = await localOperations(cluster, 'ada').auditTrail();
    expect(entries.filter((e) => e.action === 'terminate')).toHaveLength(4);
  });

  // Last: it terminates, which the counts above would see.
  it("terminates an instance waiting at a parallel join with the branch instance still running, on the cluster's own definitions", async () => {
    const messageId = await send('Fork', { id: `cs-fork-${run}` });
    const instanceId = activationInstanceId('SlowFork', messageId);
    const [fast, slow] = ['fast', 'slow'].map((name) => branchInstanceId(instanceId, 1, name));
    expect(
      await until(
        () => statusOf(fast!),
        (s) => s === 'completed',
      ),
    ).toBe('completed');
    expect(
      await until(
        () => statusOf(slow!),
        (s) => s === 'waiting',
      ),
    ).toBe('waiting');
    expect(await statusOf(instanceId)).toBe('waiting');

    const [result] = await localOperations(cluster, 'ada').act('terminate', [instanceId], 'no longer needed');
    expect(result).toMatchObject({ outcome: 'done' });
    expect(await statusOf(instanceId)).toBe('terminated');
    const branch = await cluster.store.load(slow!);
    expect(branch?.status).toBe('terminated');
    expect(branch?.error?.reason).toContain(
      `its orchestration ${instanceId} was terminated: no longer needed (by ada)`,
    );
    expect(await statusOf(fast!)).toBe('completed');
  });
});
