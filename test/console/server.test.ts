import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Operations, Overview } from '../../console/operations.ts';
import { startConsole, type RunningConsole } from '../../console/server.ts';

/** Just what the pages these tests open ask of the operations. */
function operations(): Operations {
  const overview: Overview = { counts: {}, ended24h: {}, byOrchestration: {}, sampled: 200, hosts: [], queues: [] };
  const redriven: string[] = [];
  return {
    operator: 'ada',
    redriven,
    overview: async () => overview,
    deadLetters: async () => [],
    redrive: async (queue: string) => {
      redriven.push(queue);
      return { target: queue, outcome: 'done' };
    },
  } as unknown as Operations;
}

/** A request as a browser (or any local process) would make it, cookies and redirects by hand. */
async function ask(url: string, init: { method?: string; cookie?: string; form?: Record<string, string> } = {}) {
  const origin = new URL(url).origin;
  const response = await fetch(url, {
    method: init.method ?? (init.form ? 'POST' : 'GET'),
    redirect: 'manual',
    headers: {
      ...(init.cookie ? { cookie: init.cookie } : {}),
      ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded', origin } : {}),
    },
    ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describe("the web console's access (console/server.ts)", () => {
  let web: RunningConsole;
  let other: RunningConsole;

  beforeAll(async () => {
    web = await startConsole({ operations: operations(), where: 'test' });
    other = await startConsole({ operations: operations(), where: 'another' });
  });
  afterAll(async () => {
    await web?.stop();
    await other?.stop();
  });

  /** The cookie a first visit with the token gets, as the browser sends it back. */
  const signIn = async (running: RunningConsole) => {
    const visit = await ask(running.openUrl);
    return visit.headers.get('set-cookie')!.split(';')[0]!;
  };

  it('opens nothing to a request without its access token: every page and action gets 401 saying what to open', async () => {
    for (const path of ['', 'search', 'messages', 'dlqs/receive', 'audit']) {
      const page = await ask(`${web.url}${path}`);
      expect(page.status, path).toBe(401);
      expect(page.text).toContain('this console needs its access token: open the URL with ?token= that it printed');
    }
    // An action, even one that names a CSRF token: without the cookie nothing is read or done.
    for (const path of ['dlqs/receive/redrive', 'actions/run', 'messages/m-1/resubmit', 'messages/m-1/discard']) {
      expect(
        (await ask(`${web.url}${path}`, { form: { _csrf: 'anything', action: 'terminate', id: 'i-1', reason: 'x' } }))
          .status,
        path,
      ).toBe(401);
    }
    const wrong = await ask(`${web.url}?token=guess`);
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(wrong.text).toContain("this is not this console's access token");
  });

  it('trades the token of the URL it printed for an HttpOnly, SameSite=Strict cookie and sends the visit on to the same page without it', async () => {
    expect(web.openUrl).toMatch(new RegExp(`^${web.url.replace(/[.]/g, '\\.')}\\?token=[\\w-]{32}$`));
    const visit = await ask(web.openUrl);
    expect(visit.status).toBe(303);
    expect(visit.headers.get('location')).toBe('/');
    const cookie = visit.headers.get('set-cookie')!;
    expect(cookie).toMatch(
      new RegExp(`^baton_console_${new URL(web.url).port}=[\\w-]+; Path=/; HttpOnly; SameSite=Strict$`),
    );
    // Deeper pages too, their own query kept.
    const token = new URL(web.openUrl).searchParams.get('token')!;
    expect((await ask(`${web.url}search?q=o-1&token=${token}`)).headers.get('location')).toBe('/search?q=o-1');

    const overview = await ask(web.url, { cookie: cookie.split(';')[0] });
    expect(overview.status).toBe(200);
    expect(overview.text).toContain('<h1>Overview</h1>');
  });

  it('still asks an action for the CSRF token of its own pages, which only a visit with the cookie shows', async () => {
    const cookie = await signIn(web);
    const page = await ask(`${web.url}dlqs/receive`, { cookie });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    expect((await ask(`${web.url}dlqs/receive/redrive`, { cookie, form: {} })).status).toBe(403);
    expect((await ask(`${web.url}dlqs/receive/redrive`, { cookie, form: { _csrf: 'guess' } })).status).toBe(403);
    expect((await ask(`${web.url}dlqs/receive/redrive`, { form: { _csrf: csrf } })).status).toBe(401);
    const done = await ask(`${web.url}dlqs/receive/redrive`, { cookie, form: { _csrf: csrf } });
    expect(done.status).toBe(200);
    expect(done.text).toContain('Redriven');
  });

  it('keeps two consoles on one machine apart: each its own token and cookie (cookies are not kept apart by port)', async () => {
    const mine = await signIn(web);
    const theirs = await signIn(other);
    expect(mine.split('=')[0]).not.toBe(theirs.split('=')[0]);
    // The other console's cookie, renamed to this one's, opens nothing here.
    const forged = `${mine.split('=')[0]}=${theirs.split('=')[1]}`;
    expect((await ask(web.url, { cookie: forged })).status).toBe(401);
    expect((await ask(`${web.url}?token=${new URL(other.openUrl).searchParams.get('token')}`)).status).toBe(401);
    expect((await ask(web.url, { cookie: `${mine}; ${theirs}` })).status).toBe(200);
  });
});
