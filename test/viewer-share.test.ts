// `agent-trace share`: one self-contained HTML file, opened from disk in real Chromium with every request
// intercepted: none is made, the three tabs work, and a secret matching a rule configured after the session
// was recorded is not in the file.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionStore } from '../src/store/session-store.js';
import { cli, tempDir } from './helpers/env.js';
import { CHROMIUM, CHROMIUM_ARGS } from './viewer-helpers.js';

const SECRET = 'ACME-7f3k9q2m5x8w';
const T0 = 1_700_000_000_000;
let browser: Browser;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
});
afterAll(async () => {
  await browser?.close();
});

function seed(dir: string): void {
  // recorded with the default rules only: the ACME token is not a secret for them
  new SessionStore(dir).append([
    { type: 'session.start', sessionId: 'share-me', time: T0, agent: { name: 'claude-code', version: '2.1.62' }, title: 'Deploy with the </script> token' },
    { type: 'turn.start', sessionId: 'share-me', time: T0 + 1, key: 'u1', prompt: `Deploy with token ${SECRET} and **care** <img src=x onerror=alert(1)>` },
    { type: 'generation.start', sessionId: 'share-me', time: T0 + 2, key: 'g1', model: 'claude-sonnet-4-5' },
    { type: 'generation.end', sessionId: 'share-me', time: T0 + 500, key: 'g1', usage: { input: 10, output: 20 }, output: { text: `Using ${SECRET} now`, toolCalls: [{ id: 'c1', name: 'Bash' }] } },
    { type: 'tool.start', sessionId: 'share-me', time: T0 + 600, key: 't1', name: 'Bash', input: { command: `deploy --token ${SECRET}` } },
    { type: 'tool.end', sessionId: 'share-me', time: T0 + 700, key: 't1', output: `deployed with ${SECRET}` },
    { type: 'turn.end', sessionId: 'share-me', time: T0 + 800, key: 'u1' },
    { type: 'session.end', sessionId: 'share-me', time: T0 + 1000 },
  ]);
}

describe('agent-trace share', () => {
  it('writes one offline HTML file with the three tabs, redacted by the rules configured now', async () => {
    const dir = tempDir();
    seed(dir);
    // the stored trace holds the token (no rule knew it when it was recorded)
    expect((await cli(['show', 'share-me', '--json', '--dir', dir], { env: { ...process.env, XDG_CONFIG_HOME: join(dir, 'no-config') } })).stdout).toContain(SECRET);
    // a rule added after the session was recorded
    const config = join(dir, 'config');
    mkdirSync(join(config, 'agent-trace'), { recursive: true });
    writeFileSync(join(config, 'agent-trace', 'config.json'), JSON.stringify({ redaction: { patterns: [{ name: 'acme-token', pattern: 'ACME-[a-z0-9]{12}' }] } }));
    const out = join(dir, 'shared.html');
    const r = await cli(['share', 'share', '-o', out, '--dir', dir], { env: { ...process.env, XDG_CONFIG_HOME: config } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(out);
    const html = readFileSync(out, 'utf8');
    expect(html).not.toContain(SECRET);
    expect(html).toContain('[REDACTED:acme-token]');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const requests: string[] = [];
    const errors: string[] = [];
    // every request of any kind is intercepted, recorded and refused; only the file itself may load
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url === pathToFileURL(out).href) return route.continue();
      requests.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    await page.addInitScript(() => {
      const w = window as unknown as { __csp: string[] };
      w.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    try {
      await page.goto(pathToFileURL(out).href);
      await page.locator('.summary .cards').waitFor();
      expect(await page.locator('.session-head-title').textContent()).toBe('Deploy with the </script> token');
      expect(await page.locator('.back').count()).toBe(0); // no session list in a shared file
      await page.locator('#tab-chat').click();
      await page.locator('.chat .msg.user strong', { hasText: 'care' }).waitFor();
      expect(await page.locator('.chat .msg.user').textContent()).toContain('[REDACTED:acme-token]');
      expect(await page.locator('.chat img').count()).toBe(0);
      await page.locator('#tab-waterfall').click();
      await page.locator('.wf-row:not([hidden])').first().waitFor();
      await page.locator('.wf-row.rk-tool').click();
      await page.locator('.wf-detail .detail-inner').waitFor();
      expect(await page.locator('.wf-detail').textContent()).toContain('deployed with [REDACTED:acme-token]');
      expect(await page.evaluate(() => document.body.innerText.includes('ACME-7f3k'))).toBe(false);
      expect(requests).toEqual([]);
      // nothing was even attempted and refused by the file's CSP
      expect(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp)).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('names what to do when the session is unknown', async () => {
    const dir = tempDir();
    const r = await cli(['share', 'nope', '-o', join(dir, 'x.html'), '--dir', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^agent-trace: .*nope/);
  });
});
