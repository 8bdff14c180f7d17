/// <reference lib="dom" />
/**
 * The GraphQL IDE in a real browser, offline: Debian's headless chromium (driven by playwright-core)
 * opens GET /graphql, a person pastes a key and runs `{ __typename }`, then a subscription over
 * graphql-ws; every request the page makes is watched, and any to a host off this machine fails the
 * test. Also: /health and /ready.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../../helpers/app';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let t: TestApp;
let origin: string;
beforeAll(async () => {
  // The page is served from the Vite build (kept when web/ is unchanged).
  execFileSync(process.execPath, [resolve(__dirname, '../../../scripts/build.mjs'), 'web'], { stdio: 'inherit' });
  t = await startTestApp({ worker: false });
  origin = new URL(t.http.url).origin;
}, 120_000);
afterAll(async () => {
  await t?.close();
});

function isLoopback(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'blob:' || protocol === 'about:') return true;
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

describe('the GraphQL IDE at GET /graphql', () => {
  const describeWithChromium = existsSync(CHROMIUM) ? describe : describe.skip;

  describeWithChromium('in headless chromium', () => {
    let context: BrowserContext;
    let page: Page;
    let userDataDir: string;
    const offMachine: string[] = [];
    const requests: { url: string; method: string; authorization?: string }[] = [];
    const sockets: string[] = [];
    const framesSent: string[] = [];

    beforeAll(async () => {
      userDataDir = mkdtempSync(join(tmpdir(), 'kybernet-chromium-'));
      context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
      await context.route('**/*', (route) => {
        const url = route.request().url();
        if (isLoopback(url)) return route.continue();
        offMachine.push(url);
        return route.abort();
      });
      context.on('request', (request) => {
        requests.push({ url: request.url(), method: request.method(), authorization: request.headers().authorization });
        if (!isLoopback(request.url())) offMachine.push(request.url());
      });
      page = context.pages()[0] ?? (await context.newPage());
      page.on('websocket', (socket) => {
        sockets.push(socket.url());
        if (!isLoopback(socket.url())) offMachine.push(socket.url());
        socket.on('framesent', (frame) => framesSent.push(String(frame.payload)));
      });
    }, 60_000);
    afterAll(async () => {
      await context?.close();
      if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    });

    async function run(query: string): Promise<string> {
      const editor = page.locator('.graphiql-query-editor .monaco-editor').first();
      await editor.click();
      await page.keyboard.press('Control+A');
      await page.keyboard.press('Delete');
      await page.keyboard.insertText(query);
      await page.locator('button.graphiql-execute-button').click();
      const response = page.locator('.graphiql-response');
      await response.locator('.view-lines').first().waitFor();
      return (await response.innerText()).replace(/\u00a0/g, ' ');
    }

    it('loads without internet, takes a key and runs { __typename }', async () => {
      const answer = await page.goto(`${origin}/graphql`);
      expect(answer?.status()).toBe(200);
      expect(answer?.headers()['content-security-policy']).toContain("default-src 'self'");
      await page.locator('#kyb-api-key').fill(t.keys.viewer);
      await page.getByRole('button', { name: 'Use key' }).click();
      await page.getByText('key in use for this tab').waitFor();
      // Before the key, the page introspected without one (refused, 401); from here on every operation carries it.
      requests.length = 0;
      await page.locator('.graphiql-query-editor .monaco-editor').first().waitFor({ timeout: 30_000 });

      const result = await run('{ __typename }');
      await page.waitForFunction(() => document.querySelector('.graphiql-response')?.textContent?.includes('Query'), undefined, {
        timeout: 15_000,
      });
      expect((await page.locator('.graphiql-response').innerText()).replace(/\u00a0/g, ' ')).toMatch(/"__typename":\s*"Query"/);
      expect(result).toBeDefined();

      const operations = requests.filter((request) => request.method === 'POST' && new URL(request.url).pathname === '/graphql');
      expect(operations.length).toBeGreaterThan(0);
      expect(operations.every((request) => request.authorization === `Bearer ${t.keys.viewer}`)).toBe(true);
      expect(await page.evaluate(() => sessionStorage.getItem('kybernet.apiKey'))).toBe(t.keys.viewer);
      expect(offMachine).toEqual([]);
    }, 90_000);

    it('runs a subscription over graphql-ws with the key as the authorization connection parameter', async () => {
      await run('subscription { promotionAlerts(model: "no-such-model") { id } }');
      await page.waitForFunction(() => document.querySelector('.graphiql-response')?.textContent?.includes('"NOT_FOUND"'), undefined, {
        timeout: 15_000,
      });
      // Monaco lays the answer out in lines, its spaces as no-break spaces
      expect((await page.locator('.graphiql-response').innerText()).replace(/\u00a0/g, ' ').replace(/\s+/g, ' ')).toContain(
        'no registered model named \\"no-such-model\\"',
      );
      expect(sockets).toEqual([expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/graphql$/)]);
      const init = framesSent
        .map((frame) => JSON.parse(frame) as { type: string; payload?: { authorization?: string } })
        .find((frame) => frame.type === 'connection_init');
      expect(init?.payload?.authorization).toBe(`Bearer ${t.keys.viewer}`);
      expect(offMachine).toEqual([]);
    }, 60_000);
  });

  it('answers clients that want JSON as the API, not with the page', async () => {
    const response = await fetch(`${origin}/graphql?query=%7B__typename%7D`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true', authorization: `Bearer ${t.keys.viewer}` },
    });
    expect(response.headers.get('content-type')).toMatch(/^application\/(graphql-response\+)?json/);
    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('probes', () => {
  it('answers /health while the process runs', async () => {
    const response = await fetch(`${origin}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers /ready with what it checked: database, migrations, families, event stream', async () => {
    const response = await fetch(`${origin}/ready`);
    expect(await response.json()).toEqual({
      status: 'ready',
      checks: { database: { ok: true }, migrations: { ok: true }, families: { ok: true }, eventStream: { ok: true } },
    });
    expect(response.status).toBe(200);
  });

  it('is not ready, and says why, while a migration is pending', async () => {
    const [last] = await t.dataSource.query('SELECT id, timestamp, name FROM migrations ORDER BY id DESC LIMIT 1');
    await t.dataSource.query('DELETE FROM migrations WHERE id = $1', [last.id]);
    try {
      const response = await fetch(`${origin}/ready`);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({
        status: 'not ready',
        checks: { migrations: { ok: false, detail: expect.stringContaining('pending') }, database: { ok: true } },
      });
    } finally {
      await t.dataSource.query('INSERT INTO migrations (id, timestamp, name) VALUES ($1, $2, $3)', [last.id, last.timestamp, last.name]);
    }
    expect((await fetch(`${origin}/ready`)).status).toBe(200);
  });
});
