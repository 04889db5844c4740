import { describe, expect, it } from 'vitest';
import { RESUBMITTED_FROM } from '../../functions/core/tracking.ts';
import { ESCAPED, HOST, HOSTILE, overFakes } from '../helpers/console-fakes.ts';

describe("the console's pages (console/server.ts, console/views/), over in-memory fakes", () => {
  it('renders every page with 200 and what it is about: counts, an instance, its history, a message', async () => {
    const c = await overFakes();
    const overview = await c.get('/');
    expect(overview.status).toBe(200);
    expect(overview.text).toContain('<h1>Overview</h1>');
    expect(overview.text).toContain('<td class="num"><a href="/search?status=waiting">1</a></td>');
    expect(overview.text).toContain('<td class="num"><a href="/search?status=suspended">1</a></td>');
    expect(overview.text).toContain('<th scope="row">Orders@1</th>');

    const search = await c.get('/search?q=o-wait');
    expect(search.status).toBe(200);
    expect(search.text).toContain('1 instance(s)');
    // The instance by its id shortened (whole in its title and its name), its business key beside it.
    const link = `<a href="/instances/${encodeURIComponent(c.waiting)}" class="id" title="${c.waiting}"`;
    expect(search.text).toContain(`${link} aria-label="${c.waiting}">${c.waiting.slice(0, 8)}…</a>`);
    expect(search.text).toContain('<mark><a href="/search?q=o-wait">o-wait</a></mark>');

    const instance = await c.get(`/instances/${encodeURIComponent(c.waiting)}`);
    expect(instance.status).toBe(200);
    expect(instance.text).toContain(`<h1>Instance ${c.waiting}</h1>`);
    expect(instance.text).toContain('<span class="status-waiting">waiting</span>');
    expect(instance.text).toContain('<td>activated</td>');
    expect(instance.text).toContain('Show the message flow');
    const flow = await c.get(`/instances/${encodeURIComponent(c.waiting)}?flow=1`);
    expect(flow.text).toMatch(/<p>\d+ instance\(s\) and message\(s\): /);

    const messages = await c.get('/messages');
    expect(messages.status).toBe(200);
    expect(messages.text).toContain('<a href="/messages/m-bad">m-bad</a>');
    expect(messages.text).toContain('InvalidMessage: body is not JSON');
    const message = await c.get('/messages/m-bad');
    expect(message.status).toBe(200);
    expect(message.text).toContain('<h1>Suspended message m-bad</h1>');
    expect(message.text).toContain('<button type="submit" name="action" value="resubmit">Resubmit</button>');

    for (const [path, h1] of [
      ['/dlqs', 'Dead-letter queues'],
      ['/dlqs/receive', 'The receive DLQ'],
      ['/audit', 'Audit trail'],
      ['/search', 'Search'],
    ]) {
      const page = await c.get(path!);
      expect([path, page.status]).toEqual([path, 200]);
      expect(page.text).toContain(`<h1>${h1}</h1>`);
    }
    expect((await c.get('/dlqs/receive')).text).toContain('<td>dead-1</td>');
  });

  it('says 404, and what was not found, for an instance or a suspended message it does not have', async () => {
    const c = await overFakes();
    const instance = await c.get('/instances/i-nowhere');
    expect(instance.status).toBe(404);
    expect(instance.text).toContain('<h1>Not found</h1>');
    expect(instance.text).toContain('No instance i-nowhere in the MessageBox (a finished instance is kept 7 days');
    const message = await c.get('/messages/m-nowhere');
    expect(message.status).toBe(404);
    expect(message.text).toContain('No suspended message m-nowhere.');
    expect((await c.post('/messages/m-nowhere/confirm', { action: 'discard' })).status).toBe(404);
  });
});

describe("what the console's pages show as text, and how they are styled", () => {
  it('escapes what users and messages supply: a body, a reason, an error, a search, all shown as text', async () => {
    const c = await overFakes();
    const pages = {
      message: await c.get('/messages/m-bad'),
      messages: await c.get('/messages'),
      instance: await c.get(`/instances/${encodeURIComponent(c.suspended)}`),
      dlq: await c.get('/dlqs/receive'),
      search: await c.get(`/search?q=${encodeURIComponent(HOSTILE)}`),
      missing: await c.get(`/instances/${encodeURIComponent(HOSTILE)}`),
    };
    for (const [name, page] of Object.entries(pages)) expect(page.text, name).not.toContain('<script');
    // The body, in its textarea to edit, after the one newline HTML drops there (a body's own first newline stays, so
    // an unedited resubmission is not recorded as edited); the reason quotes the body's start.
    expect(pages.message.text).toContain(`<textarea id="body" name="body" rows="10">\n${ESCAPED}</textarea>`);
    expect(pages.messages.text).toMatch(/InvalidMessage: body is not JSON \(.*&lt;script&gt;/);
    expect(pages.instance.text).toContain(`<span class="status-suspended">suspended</span> — `);
    expect(pages.instance.text).toContain(`pricing refused ${ESCAPED}`);
    expect(pages.dlq.text).toContain(`<pre>{&quot;note&quot;:&quot;${ESCAPED}&quot;}</pre>`);
    expect(pages.search.text).toContain(`name="q" value="${ESCAPED}"`);
    expect(pages.missing.status).toBe(404);
    expect(pages.missing.text).toContain(`No instance ${ESCAPED} in the MessageBox`);
  });

  it('serves its stylesheet as text/css, cached under a versioned address; the CSP allows no other style', async () => {
    const c = await overFakes();
    const page = await c.get('/');
    const href = /<link rel="stylesheet" href="([^"]+)">/.exec(page.text)?.[1];
    expect(href).toMatch(/^\/static\/console\.css\?v=[0-9a-f]{12}$/);
    expect(page.text).not.toMatch(/<style|style="/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');

    const css = await c.get(href!);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(css.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
    expect(css.text).toContain('.status-suspended');
    // Behind the token, as every page is.
    expect((await c.get(href!, { host: HOST })).status).toBe(401);
  });
});

describe('resume and terminate from the console', () => {
  it('resumes a suspended instance after its confirmation, and writes it to the audit trail', async () => {
    const c = await overFakes();
    const confirm = await c.post('/actions/confirm', { action: 'resume', scope: 'selected', id: c.suspended });
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain('<h1>Resume 1 instance(s)?</h1>');
    expect(confirm.text).toContain(`<input type="hidden" name="id" value="${c.suspended}">`);
    expect(await c.status(c.suspended)).toBe('suspended');

    const done = await c.post('/actions/run', { action: 'resume', id: c.suspended });
    expect(done.status).toBe(200);
    expect(done.text).toContain('<h1>Resumed: 1 of 1</h1>');
    expect(await c.status(c.suspended)).toBe('running');
    expect(c.audit[0]).toMatchObject({ who: 'ada', action: 'resume', target: c.suspended, outcome: 'done' });
    // Once more: the engine refuses (it is no longer suspended), and the page says so.
    const again = await c.post('/actions/run', { action: 'resume', id: c.suspended });
    expect(again.text).toContain('<h1>Resumed: 0 of 1</h1>');
    expect(again.text).toContain('<td class="outcome-refused">refused</td>');
  });

  it('terminates only with a reason: without one it asks again (400); with one, the instance ends', async () => {
    const c = await overFakes();
    const confirm = await c.post('/actions/confirm', { action: 'terminate', scope: 'selected', id: c.waiting });
    expect(confirm.text).toContain('<input name="reason" required');
    const refused = await c.post('/actions/run', { action: 'terminate', id: c.waiting, reason: '  ' });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('<h1>Terminate 1 instance(s)?</h1>');
    expect(await c.status(c.waiting)).toBe('waiting');

    const done = await c.post('/actions/run', { action: 'terminate', id: c.waiting, reason: 'customer called' });
    expect(done.text).toContain('<h1>Terminated: 1 of 1</h1>');
    expect(await c.status(c.waiting)).toBe('terminated');
    expect(c.audit[0]).toMatchObject({ action: 'terminate', target: c.waiting, detail: 'customer called' });
  });

  it('acts on every result of a search when asked, and refuses an empty selection or an unknown action', async () => {
    const c = await overFakes();
    const all = await c.post('/actions/confirm', { action: 'terminate', scope: 'all', query: 'status=suspended' });
    expect(all.text).toContain('<h1>Terminate 1 instance(s)?</h1>');
    expect(all.text).toContain(`<input type="hidden" name="id" value="${c.suspended}">`);

    const none = await c.post('/actions/confirm', { action: 'resume', scope: 'selected' });
    expect(none.status).toBe(400);
    expect(none.text).toContain('<h1>Nothing selected</h1>');
    // A form of its own never sends another action: a hand-made request gets the failure page, saying why.
    const unknown = await c.post('/actions/run', { action: 'explode', id: c.waiting });
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain('unknown action &quot;explode&quot;');
    expect(await c.status(c.waiting)).toBe('waiting');
    const badDate = await c.get('/search?from=yesterday');
    expect(badDate.status).toBe(400);
    expect(badDate.text).toContain('<p class="note" role="alert">from is not a date and time: yesterday</p>');
  });
});

describe('suspended messages and DLQs from the console', () => {
  it('resubmits a suspended message, edited, once: a new message naming it goes to the receive queue', async () => {
    const c = await overFakes();
    // An emptied body is refused before anything is claimed or sent: the message stays suspended, resubmittable.
    const empty = await c.post('/messages/m-bad/resubmit', { body: '  ', messageType: 'Order' });
    expect(empty.text).toContain('<h1>Not resubmitted</h1>');
    expect(empty.text).toContain('the body is empty: SQS takes no empty message');
    expect(c.sent).toEqual([]);
    expect((await c.get('/messages/m-bad')).text).not.toContain('<dt>Resolved</dt>');

    const fixed = JSON.stringify({ orderId: 'o-fixed' });
    const confirm = await c.post('/messages/m-bad/confirm', { action: 'resubmit', body: fixed, messageType: 'Order' });
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain('<h1>Resubmit m-bad?</h1>');
    expect(c.sent).toEqual([]);

    const done = await c.post('/messages/m-bad/resubmit', { body: fixed, messageType: 'Order' });
    expect(done.status).toBe(200);
    expect(done.text).toContain('<h1>Resubmitted</h1>');
    expect(c.sent).toHaveLength(1);
    expect(c.sent[0]).toMatchObject({ name: 'receive', body: fixed });
    expect(c.sent[0]!.attributes).toMatchObject({ MessageType: 'Order', [RESUBMITTED_FROM]: 'm-bad' });
    expect((await c.get('/messages/m-bad')).text).toContain('<dt>Resolved</dt><dd>resubmitted by ada at ');

    const twice = await c.post('/messages/m-bad/resubmit', { body: fixed });
    expect(twice.text).toContain('<h1>Not resubmitted</h1>');
    expect(twice.text).toContain('already resubmitted as resubmission-1 by ada');
    expect(c.sent).toHaveLength(1);
  });

  it('discards a suspended message only with a reason, and it leaves the list', async () => {
    const c = await overFakes();
    const refused = await c.post('/messages/m-bad/discard', { reason: '' });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('discarding a message needs a reason');
    expect((await c.get('/messages')).text).toContain('m-bad');

    const done = await c.post('/messages/m-bad/discard', { reason: 'a test message' });
    expect(done.text).toContain('<h1>Discarded</h1>');
    expect((await c.get('/messages')).text).not.toContain('m-bad');
    expect(c.audit[0]).toMatchObject({ action: 'discard', target: 'm-bad', outcome: 'done', detail: 'a test message' });
  });

  it('redrives a DLQ after its confirmation; a queue it does not know fails, saying which', async () => {
    const c = await overFakes();
    // How many it will move, before; how many moved, after.
    const confirm = await c.post('/dlqs/receive/confirm', {});
    expect(confirm.text).toContain('<h1>Redrive 1 message(s) of the receive DLQ?</h1>');
    expect(confirm.text).toContain('The receive DLQ holds 1 message(s) (as SQS counts them, approximately)');
    const done = await c.post('/dlqs/receive/redrive', {});
    expect(done.text).toContain('<h1>Redriven: 1 message(s) moved</h1>');
    expect(done.text).toContain('1 message(s) moved (the DLQ held about 1)');
    expect(c.dlq).toEqual([]);
    const unknown = await c.post('/dlqs/nowhere/redrive', {});
    expect(unknown.status).toBe(500);
    expect(unknown.text).toContain('no queue named nowhere');
    expect((await c.get('/audit')).text).toContain('<td class="outcome-failed">failed</td>');
  });
});
