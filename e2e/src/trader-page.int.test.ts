import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { watchlist, type Settings } from '@recio/domain';
import { MAIN_APP_API_PREFIX, type StrikeTable } from '@recio/platform';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayOptions, LOG_DIR } from './harness/day.js';
import { PlatformRun } from './harness/platform-run.js';

// The trader's page in a real Chromium (Debian's, driven by playwright-core) against the whole
// platform on the paper world: sign in, live prices, a manual trade opened and closed, settings
// round-tripping, main-app killed under the page, and a second trader who sees none of it.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENS = join(LOG_DIR, 'screens');
const DOCS = join(import.meta.dirname, '..', '..', 'docs');

describe('the trader page', () => {
  let run: PlatformRun;
  let browser: Browser;
  const alice = 'user_0001';
  const bob = 'user_0002';
  const carol = 'user_0003';
  const dave = 'user_0004';

  beforeAll(async () => {
    run = await PlatformRun.start(
      dayOptions('page', {
        // No automatic trades: every trade of this run is one the page opened.
        users: [
          { id: alice, settings: { autoEntry: { enabled: false } } },
          { id: bob, settings: { autoEntry: { enabled: false } } },
          { id: carol, settings: { autoEntry: { enabled: false } } },
          { id: dave, settings: { autoEntry: { enabled: false } } },
        ],
      }),
    );
    for (let i = 0; i < 3; i++) await run.step(); // prices and a strike table
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    mkdirSync(SCREENS, { recursive: true });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await run?.close();
  });

  const signIn = async (page: Page, user: string, password: string) => {
    await page.goto(run.url('main-app'));
    await page.getByLabel('User').fill(user);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };
  const tradeRows = (page: Page, table: 'active' | 'history') => page.getByTestId(table).locator('tr[data-trade]');

  it('refuses a bad password with a message and no session', async () => {
    const page = await browser.newPage();
    await signIn(page, alice, 'not the password at all');
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Unknown user or wrong password');
    expect((await page.context().cookies()).map((c) => c.name)).not.toContain('recio_session');
    await page.close();
  });

  it('signs in, shows live prices, opens and closes a manual trade, and round-trips settings', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    // Script errors and any console error but the 401 of the signed-out page asking who is signed in.
    const consoleErrors: string[] = [];
    page.on('pageerror', (err) => consoleErrors.push(err.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 401/.test(m.text())) consoleErrors.push(m.text());
    });
    // Every API read the page makes: it starts from GET /snapshot and then only applies pushed events.
    const reads: string[] = [];
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (r.method() === 'GET' && url.pathname.startsWith('/api/')) reads.push(url.pathname);
    });
    await signIn(page, alice, run.password(alice));
    await expect.poll(() => page.getByTestId('link').textContent(), { timeout: 15_000 }).toBe('live');
    // The chart opens on the ticks committed before the page (3 steps or more), not on the newest alone.
    await expect
      .poll(async () => Number(await page.getByTestId('chart').getAttribute('data-points')))
      .toBeGreaterThanOrEqual(3);

    // A live tick: the world moves one step and the page shows the new price without a reload.
    await expect.poll(() => page.getByTestId('price').textContent(), { timeout: 15_000 }).toMatch(/^\$/);
    const before = await page.getByTestId('price').textContent();
    for (let i = 0; i < 3 && (await page.getByTestId('price').textContent()) === before; i++) await run.step();
    await expect.poll(() => page.getByTestId('price').textContent()).not.toBe(before);
    await expect.poll(() => page.getByTestId('strikes').locator('tbody tr').count()).toBeGreaterThan(0);

    // A manual trade: buy YES on the first row that has an ask; it shows in active trades and opens.
    const buy = page
      .getByTestId('strikes')
      .getByRole('button', { name: /^buy yes/ })
      .and(page.locator(':enabled'));
    // Its entry's reply is held until the page showed the trade open from its events, as happens when
    // the trade opens before the reply arrives: the older reply must not take the page back to
    // pending (regression: the row stayed pending until a reload).
    await page.route(`**${MAIN_APP_API_PREFIX}/trades`, async (route) => {
      if (route.request().method() !== 'POST') return route.fallback();
      const reply = await route.fetch();
      await expect.poll(() => tradeRows(page, 'active').first().textContent(), { timeout: 20_000 }).toContain('open');
      await route.fulfill({ response: reply });
    });
    const replied = page.waitForResponse(
      (r) => r.request().method() === 'POST' && r.url().endsWith(`${MAIN_APP_API_PREFIX}/trades`),
    );
    const clicked = Date.now();
    await buy.first().click();
    await expect.poll(() => tradeRows(page, 'active').count()).toBe(1);
    console.log(`manual trade in active trades ${Date.now() - clicked} ms after the click`);
    expect(await (await replied).finished()).toBeNull();
    // Two frames of the page: the reply's JSON read, the state set, the table drawn.
    await page.evaluate('new Promise((frame) => requestAnimationFrame(() => requestAnimationFrame(frame)))');
    await page.unroute(`**${MAIN_APP_API_PREFIX}/trades`);
    expect(await tradeRows(page, 'active').first().textContent()).toContain('open');
    // The account follows: the fill is listed and the position shown, pushed by the account sync's events.
    await expect.poll(() => page.getByTestId('fills').locator('li').count(), { timeout: 20_000 }).toBe(1);
    await expect.poll(() => page.getByTestId('positions').locator('li').count(), { timeout: 20_000 }).toBe(1);
    await page.screenshot({ path: join(SCREENS, 'desktop.png'), fullPage: true });

    // Close it: it leaves active trades and shows in the history, closed.
    await tradeRows(page, 'active')
      .first()
      .getByRole('button', { name: /^close trade/ })
      .click();
    await expect.poll(() => tradeRows(page, 'active').count(), { timeout: 20_000 }).toBe(0);
    await expect.poll(() => tradeRows(page, 'history').first().textContent()).toContain('closed');

    // Settings: saved, announced, and still there after a reload (rebuilt from the server alone).
    await page.getByLabel('min probability').fill('91');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Settings saved');
    await page.reload();
    await expect.poll(() => page.getByLabel('min probability').inputValue(), { timeout: 15_000 }).toBe('91');
    await expect.poll(() => tradeRows(page, 'history').count()).toBe(1);
    // The platform's state came with the snapshot (the exchange and feed said so long before this load).
    expect(await page.getByTestId('health').locator('li').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('spike-guard').textContent()).toBe('running');
    // A trade, its fill, position, balance and settings changed while the page watched, and it asked
    // the API for none of them: two page loads, each a snapshot and the chart's history (regression:
    // each account event cost four reads per open page).
    expect(reads.filter((r) => r !== '/api/v1/session').sort()).toEqual([
      '/api/v1/replay',
      '/api/v1/replay',
      '/api/v1/snapshot',
      '/api/v1/snapshot',
    ]);
    // The watchlist: the rows of the newest strike table that the auto-entry rules watch for these settings.
    const table = await newestStrikeTable(run, alice);
    const settings = (await (
      await fetch(`${run.url('main-app')}/api/v1/settings`, {
        headers: { authorization: `Bearer ${run.token(alice)}` },
      })
    ).json()) as { settings: Settings };
    const expected = watchlist(table.rows, settings.settings.autoEntry).map((r) => r.ticker);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(table.rows.length);
    await expect
      .poll(() =>
        page
          .getByTestId('watchlist')
          .locator('li')
          .evaluateAll((li) => li.map((l) => l.getAttribute('data-ticker'))),
      )
      .toEqual(expected);
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
    await context.close();
  });

  it('survives main-app being killed: reconnects, resyncs, and shows each trade once', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, alice, run.password(alice));
    await expect.poll(() => page.getByTestId('link').textContent(), { timeout: 15_000 }).toBe('live');
    await expect.poll(() => tradeRows(page, 'history').count()).toBe(1);
    const states = new Set<string>();
    const watch = setInterval(
      () =>
        void page
          .getByTestId('link')
          .textContent()
          .then((t) => t && states.add(t)),
      20,
    );

    expect(run.supervisor.kill('main-app', 'SIGKILL')).toBe(true);
    // While main-app is down a trade is opened through the API: the page must get it after reconnecting.
    await run.supervisor.waitReady(undefined, 60_000);
    const opened = await fetch(`${run.url('main-app')}/api/v1/trades`, {
      method: 'POST',
      headers: { authorization: `Bearer ${run.token(alice)}`, 'content-type': 'application/json' },
      body: JSON.stringify(await openOrderFor(run, alice)),
    });
    expect(opened.status).toBe(201);
    await expect.poll(() => page.getByTestId('link').textContent(), { timeout: 30_000 }).toBe('live');
    clearInterval(watch);
    expect(states.has('reconnecting')).toBe(true);
    await expect.poll(() => tradeRows(page, 'active').count(), { timeout: 20_000 }).toBe(1);
    await run.step();
    const ids = await page
      .locator('tr[data-trade]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-trade')));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(2);
    await context.close();
  });

  it('renders each event once when every frame arrives twice and trade events out of order', async () => {
    const context = await browser.newContext();
    // Between the page and the gateway: every frame the gateway sends is delivered twice, and each
    // trade event is held back until the next frame has gone ahead of it.
    let held: string | undefined;
    let tampered = 0;
    await context.routeWebSocket(/\/ws$/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => server.send(m));
      server.onMessage((m) => {
        const text = String(m);
        const deliver = (frame: string) => {
          ws.send(frame);
          ws.send(frame);
          tampered += 1;
        };
        if (held !== undefined) {
          deliver(text);
          deliver(held);
          held = undefined;
        } else if (text.includes('"channel":"trades:')) {
          held = text;
          setTimeout(() => {
            if (held === text) {
              deliver(text);
              held = undefined;
            }
          }, 300);
        } else deliver(text);
      });
    });
    const page = await context.newPage();
    await signIn(page, bob, run.password(bob));
    await expect.poll(() => page.getByTestId('link').textContent(), { timeout: 15_000 }).toBe('live');
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${run.url('main-app')}/api/v1/trades`, {
        method: 'POST',
        headers: { authorization: `Bearer ${run.token(bob)}`, 'content-type': 'application/json' },
        body: JSON.stringify(await openOrderFor(run, bob)),
      });
      expect(res.status).toBe(201);
    }
    await expect.poll(() => tradeRows(page, 'active').count(), { timeout: 20_000 }).toBe(2);
    await expect
      .poll(() => tradeRows(page, 'active').allTextContents(), { timeout: 20_000 })
      .toEqual([expect.stringContaining('open'), expect.stringContaining('open')]);
    await run.step();
    expect(tampered).toBeGreaterThan(5);
    // The page saw the doubled frames and the out-of-order ones, and dropped or repaired each.
    const link = page.getByTestId('link');
    expect(Number(await link.getAttribute('data-duplicates'))).toBeGreaterThan(5);
    expect(Number(await link.getAttribute('data-resyncs'))).toBeGreaterThan(0);
    expect(await link.getAttribute('data-bad-frames')).toBe('0');
    const ids = await page
      .locator('tr[data-trade]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-trade')));
    expect(ids.length).toBe(2);
    expect(new Set(ids).size).toBe(2);
    await context.close();
  });

  it("gives an admin every trader's live trades, live", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, 'ops', run.password('ops'));
    await expect.poll(() => page.getByTestId('link').textContent(), { timeout: 15_000 }).toBe('live');
    const everyone = page.getByTestId('everyone').locator('tr[data-trade]');
    // alice's trade opened while main-app was down, and bob's two.
    await expect.poll(() => everyone.count(), { timeout: 15_000 }).toBe(3);
    const traders = async () => new Set((await everyone.allTextContents()).map((t) => t.slice(0, 'user_000x'.length)));
    expect(await traders()).toEqual(new Set([alice, bob]));
    const res = await fetch(`${run.url('main-app')}/api/v1/trades`, {
      method: 'POST',
      headers: { authorization: `Bearer ${run.token(carol)}`, 'content-type': 'application/json' },
      body: JSON.stringify(await openOrderFor(run, carol)),
    });
    expect(res.status).toBe(201);
    await expect.poll(() => everyone.count(), { timeout: 15_000 }).toBe(4);
    expect(await traders()).toEqual(new Set([alice, bob, carol]));
    await context.close();
  });

  it("shows a trader none of another's trades, and fits a phone", async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    const page = await context.newPage();
    await signIn(page, carol, run.password(carol));
    await expect.poll(() => page.getByTestId('link').textContent(), { timeout: 15_000 }).toBe('live');
    await run.step();
    await expect.poll(() => page.getByTestId('price').textContent()).toMatch(/^\$/);
    // carol's own trade (opened in the admin's test) only, and no admin view.
    const mine = (await run.db.query<{ id: string }>('SELECT id FROM trade WHERE user_id = $1', [carol])).rows;
    expect(mine.length).toBe(1);
    await expect
      .poll(() => page.locator('tr[data-trade]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-trade'))))
      .toEqual([mine[0]!.id]);
    expect(await page.getByTestId('everyone').count()).toBe(0);
    await page.screenshot({ path: join(SCREENS, 'phone.png'), fullPage: true });
    await context.close();
    // The two latest screenshots go in docs/ (this run's, when asked to: E2E_SCREENSHOTS_TO_DOCS=1).
    if (process.env.E2E_SCREENSHOTS_TO_DOCS === '1') {
      for (const name of ['desktop.png', 'phone.png'])
        copyFileSync(join(SCREENS, name), join(DOCS, `trader-page-${name}`));
    }
  });

  it('follows its trades again when the gateway could not read their history', async () => {
    const context = await browser.newContext();
    // Between the page and the gateway: the page's first subscription to its trades is answered as
    // the gateway answers when PostgreSQL or Redis fails it (REPLAY_FAILED), and not passed on.
    let refused = 0;
    await context.routeWebSocket(/\/ws$/, (ws) => {
      const server = ws.connectToServer();
      server.onMessage((m) => ws.send(m));
      ws.onMessage((m) => {
        const frame = JSON.parse(String(m)) as { op?: string; channel?: string };
        if (refused === 0 && frame.op === 'subscribe' && frame.channel === `trades:${dave}`) {
          refused += 1;
          ws.send(
            JSON.stringify({
              op: 'error',
              code: 'REPLAY_FAILED',
              message: 'history could not be read; subscribe again',
              channel: frame.channel,
            }),
          );
        } else server.send(m);
      });
    });
    const page = await context.newPage();
    await signIn(page, dave, run.password(dave));
    await expect.poll(() => page.getByTestId('link').textContent(), { timeout: 15_000 }).toBe('live');
    expect(refused).toBe(1);
    const res = await fetch(`${run.url('main-app')}/api/v1/trades`, {
      method: 'POST',
      headers: { authorization: `Bearer ${run.token(dave)}`, 'content-type': 'application/json' },
      body: JSON.stringify(await openOrderFor(run, dave)),
    });
    expect(res.status).toBe(201);
    // Opened by the trade's events on the channel the page follows again (no API reply opens it).
    await expect
      .poll(() => tradeRows(page, 'active').allTextContents(), { timeout: 20_000 })
      .toEqual([expect.stringContaining('open')]);
    await context.close();
  });

  it('goes back to its sign-in when the session ends in another tab (regression: the socket streamed on, and a refused one retried forever)', async () => {
    const context = await browser.newContext();
    const first = await context.newPage();
    await signIn(first, carol, run.password(carol));
    await expect.poll(() => first.getByTestId('link').textContent(), { timeout: 15_000 }).toBe('live');
    // A second tab of the same browser: the same session cookie.
    const second = await context.newPage();
    await second.goto(run.url('main-app'));
    await expect.poll(() => second.getByTestId('link').textContent(), { timeout: 15_000 }).toBe('live');
    await first.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => first.getByLabel('User').isVisible(), { timeout: 15_000 }).toBe(true);
    // The other tab's socket is closed as unauthenticated: it shows the sign-in, not "reconnecting".
    await expect.poll(() => second.getByLabel('User').isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await second.getByTestId('link').count()).toBe(0);
    await context.close();
  });
});

/** The newest strike table, as a trader replays it. */
async function newestStrikeTable(run: PlatformRun, user: string): Promise<StrikeTable> {
  const res = await fetch(`${run.url('main-app')}/api/v1/replay?channel=markets:btc&since=seq:1&limit=1000`, {
    headers: { authorization: `Bearer ${run.token(user)}` },
  });
  const { events } = (await res.json()) as { events: { data: StrikeTable }[] };
  return events.at(-1)!.data;
}

/** An order a trader could place now: YES on the first market of the current strike table with an ask. */
async function openOrderFor(run: PlatformRun, user: string) {
  const row = (await newestStrikeTable(run, user)).rows.find((r) => r.yesAsk !== null)!;
  return { marketTicker: row.ticker, side: 'yes', count: 1, limitPriceCents: row.yesAsk, tradeId: crypto.randomUUID() };
}
