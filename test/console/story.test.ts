import { describe, expect, it } from 'vitest';
import { shortId } from '../../console/views/links.ts';
import { branch, code, complete, orchestration, parallel, receive, scope } from '../../functions/core/builder.ts';
import { ESCAPED, HOSTILE, overFakes } from '../helpers/console-fakes.ts';
import { settle } from '../helpers/world.ts';

/** Two branches in a scope with an error handler: one fails, so it ends with its error and the join raises it. */
const fulfil = orchestration('Fulfil', 1, [
  receive('start', 'Fulfil', { into: 'start' }),
  scope(
    'both',
    [
      parallel('split', [
        branch('reserve', [
          code('reserveStock', () => {
            throw new Error('out of stock: OOS-1');
          }),
        ]),
        branch('pay', [code('authorise', () => {})]),
      ]),
    ],
    { onError: [code('noted', () => {})] },
  ),
  complete('done'),
]);

/** The console over fakes, and a message to its receive host as SQS brings it (`receiveCount` deliveries so far). */
async function console(others = [fulfil]) {
  const c = await overFakes(others);
  const w = c.world;
  const receive = async (messageId: string, type: string, body: unknown, receiveCount = 1) => {
    const done = await w.receiver.receive([
      { messageId, body: JSON.stringify(body), attributes: { MessageType: type }, receiveCount },
    ]);
    await settle(w);
    return done;
  };
  const idOf = (href: string, text: string) => new RegExp(`href="${href}/([^"]+)"`).exec(text)?.[1];
  return { ...c, receive, idOf };
}

describe('the story of a business key, over in-memory fakes', () => {
  it('has a search box on every page, the landing page included, that finds a key or an instance id', async () => {
    const c = await console();
    for (const path of ['/', '/search', '/messages', '/dlqs', '/audit', `/instances/${c.waiting}`, '/flow']) {
      const page = await c.get(path);
      expect([path, page.status]).toEqual([path, 200]);
      expect(page.text, path).toContain('<form method="get" action="/search" role="search" class="find">');
      expect(page.text, path).toContain('aria-label="Find a business key or an instance id"');
    }
    // By the key: the row names it (marked), and the instance by its id shortened, whole in its title.
    const byKey = await c.get('/search?q=o-wait');
    expect(byKey.text).toContain(
      '<mark><a href="/search?q=o-wait">o-wait</a></mark> <span class="muted">(order)</span>',
    );
    expect(byKey.text).toContain(`title="${c.waiting}"`);
    expect(byKey.text).toContain(`>${shortId(c.waiting)}</a>`);
    expect(shortId(c.waiting)).toBe(`${c.waiting.slice(0, 8)}…`);
    // By the instance's id: the same instance, its key beside it.
    const byId = await c.get(`/search?q=${c.waiting}`);
    expect(byId.text).toContain('1 instance(s)');
    expect(byId.text).toContain('<a href="/search?q=o-wait">o-wait</a> <span class="muted">(order)</span>');
  });

  it("shows a key's held-then-suspended message in its search and flow; resubmitted, it ends", async () => {
    const c = await console();
    // The approval comes first: held while SQS brings it back, then kept at its 4th delivery, with its key.
    const held = await c.receive('m-early', 'Approval', { orderId: 'o-late', approved: true });
    expect(held.failures.size).toBe(1);
    await c.receive('m-early', 'Approval', { orderId: 'o-late', approved: true }, 4);
    const search = await c.get('/search?q=o-late');
    expect(search.text).toContain('0 instance(s)');
    expect(search.text).toContain('1 suspended message(s) carry o-late');
    expect(search.text).toContain('<a href="/messages/m-early">m-early</a>');
    expect(search.text).toContain('no Orders instance has order=&quot;o-late&quot; (held for 4 deliveries)');
    expect(search.text).toContain('<span class="status-suspended">unresolved</span>');
    expect(search.text).toContain('<a href="/flow?q=o-late">The whole message flow of o-late</a>');
    const flow = await c.get('/flow?q=o-late');
    expect(flow.text).toContain('<h1>Message flow of o-late</h1>');
    expect(flow.text).toContain('1 instance(s) and message(s): 0 instance(s),\n 1 suspended message(s).');
    expect(flow.text).toContain('message <a href="/messages/m-early">m-early</a>');
    expect(flow.text).toContain('<span class="status-failed">message-suspended</span>');
    const message = await c.get('/messages/m-early');
    expect(message.text).toContain('<dt>Business key</dt><dd><a href="/flow?q=o-late">o-late</a> ');

    // Its order comes; the instance waits for the approval it missed. Its page's flow has the message (by the key).
    await c.receive('m-order', 'Order', { orderId: 'o-late' });
    const instanceId = c.idOf('/instances', (await c.get('/search?q=o-late')).text)!;
    const instanceFlow = await c.get(`/instances/${instanceId}?flow=1`);
    expect(instanceFlow.text).toContain('<a href="/messages/m-early">m-early</a>');
    expect(instanceFlow.text).toContain('2 instance(s) and message(s): 1 instance(s),\n 1 suspended message(s).');

    // Resubmitted as it is: the instance takes it and completes; the flow says both.
    const done = await c.post('/messages/m-early/resubmit', {});
    expect(done.text).toContain('<h1>Resubmitted</h1>');
    const [resubmission] = c.sent;
    await c.world.receiver.receive([
      { messageId: 'sqs-1', body: resubmission!.body, attributes: resubmission!.attributes },
    ]);
    await settle(c.world);
    expect(await c.status(decodeURIComponent(instanceId))).toBe('completed');
    const after = await c.get('/flow?q=o-late');
    expect(after.text).toContain('resubmitted as ');
    expect(after.text).toContain('<span class="status-completed">completed</span>');
    expect(after.text).toContain('<td>message-resubmitted</td>');
  });

  it('shows an instance its activating message: type, id, body; a resubmission names what it resubmits', async () => {
    const c = await console();
    const page = await c.get(`/instances/${encodeURIComponent(c.waiting)}`);
    expect(page.text).toContain('<h2 id="activation">Activating message</h2>');
    expect(page.text).toContain('<dt>Type</dt><dd>Order</dd><dt>Message</dt><dd>m-wait</dd>');
    expect(page.text).toContain('&quot;orderId&quot;: &quot;o-wait&quot;');

    await c.post('/messages/m-bad/resubmit', { body: JSON.stringify({ orderId: 'o-fixed' }) });
    const [sent] = c.sent;
    await c.world.receiver.receive([{ messageId: 'sqs-1', body: sent!.body, attributes: sent!.attributes }]);
    await settle(c.world);
    const id = c.idOf('/instances', (await c.get('/search?q=o-fixed')).text)!;
    const resubmitted = await c.get(`/instances/${id}`);
    expect(resubmitted.text).toContain(
      '<dt>Resubmits</dt><dd>the suspended message <a href="/messages/m-bad">m-bad</a>',
    );
    expect(resubmitted.text).toContain('&quot;orderId&quot;: &quot;o-fixed&quot;');
  });

  it('says a branch that failed into its handler failed: its page, history, parent, search', async () => {
    const c = await console();
    await c.receive('m-fulfil', 'Fulfil', {});
    const parentId = c.idOf('/instances', (await c.get('/search?orchestration=Fulfil')).text)!;
    const parent = await c.get(`/instances/${parentId}`);
    expect(parent.text).toContain('<h2 id="branches">Branches</h2>');
    const failed =
      '<td><span class="status-failed">failed</span></td><td class="text">branch &quot;reserve&quot; failed: ';
    expect(parent.text.split('<td>reserve (split)</td>')[1]).toMatch(new RegExp(`^<td>.*?</td>${failed}`, 's'));
    expect(parent.text).toMatch(/<td>pay \(split\)<\/td><td>.*?<\/td><td><span class="status-completed">completed/s);
    const reserve = `${decodeURIComponent(parentId)}~1~reserve`;
    const branchPage = await c.get(`/instances/${encodeURIComponent(reserve)}`);
    expect(branchPage.text).toContain('<dt>Status</dt><dd><span class="status-failed">failed</span> — branch');
    expect(branchPage.text).toContain('<span class="status-failed">failed</span></td>');
    expect(branchPage.text).not.toContain('<td>completed</td>');
    const found = await c.get(`/search?q=${encodeURIComponent(reserve)}`);
    expect(found.text).toContain('<span class="status-failed">failed</span>');
    expect(found.text).toContain('branch reserve of ');
  });

  it('lists suspended messages newest first', async () => {
    const c = await console();
    c.world.clock.advance(60_000);
    await c.receive('m-later', 'Order', 'not an order');
    const list = (await c.get('/messages')).text;
    expect(list.indexOf('m-later')).toBeGreaterThan(0);
    expect(list.indexOf('m-later')).toBeLessThan(list.indexOf('m-bad'));
  });

  it('escapes a key, a search and a flow a sender or an operator wrote', async () => {
    const c = await console();
    await c.receive('m-hostile', 'Approval', { orderId: HOSTILE, approved: true }, 4);
    const pages = [
      await c.get(`/search?q=${encodeURIComponent(HOSTILE)}`),
      await c.get(`/flow?q=${encodeURIComponent(HOSTILE)}`),
      await c.get('/messages/m-hostile'),
      await c.get('/messages'),
    ];
    for (const page of pages) {
      expect(page.status).toBe(200);
      expect(page.text).not.toContain('<script');
      expect(page.text).toContain(ESCAPED);
    }
    expect(pages[0]!.text).toContain('<a href="/messages/m-hostile">m-hostile</a>');
  });
});
