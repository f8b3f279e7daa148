// Regenerates the README screenshots of the Insights and Search pages from real recorded sessions (the shared
// fixtures, imported into a temporary data directory; nothing of them is kept but the pictures):
//   node scripts/build.mjs --no-types && node scripts/insights-screenshots.mjs [FIXTURES_DIR]
// Needs Chromium at /usr/bin/chromium (or CHROMIUM=/path/to/chrome).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'dist/bin/agent-trace.js');
const out = process.env.OUT ?? join(root, 'docs/screenshots');
const fixtures = process.argv[2] ?? join(root, '..', 'shared', 'fixtures');
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(bin)) throw new Error('build first: node scripts/build.mjs --no-types');
if (!existsSync(fixtures)) throw new Error(`no recorded sessions at ${fixtures}`);
mkdirSync(out, { recursive: true });

const dir = mkdtempSync(join(tmpdir(), 'agent-trace-insights-screens-'));
const env = { ...process.env, XDG_CONFIG_HOME: join(dir, 'config') };
execFileSync(process.execPath, [bin, '--dir', dir, 'import', ...['claude-code/transcripts', 'codex', 'gemini', 'opencode/exports'].map((p) => join(fixtures, p))], { env, stdio: 'ignore' });
const viewer = spawn(process.execPath, [bin, 'view', '--no-open', '--port', '0', '--dir', dir], { stdio: ['ignore', 'pipe', 'inherit'], env });
const url = await new Promise((resolve, reject) => {
  let text = '';
  viewer.stdout.on('data', (d) => {
    text += d;
    const m = /agent-trace viewer: (\S+)/.exec(text);
    if (m) resolve(m[1]);
  });
  viewer.on('exit', (code) => reject(new Error(`the viewer exited (${code})`)));
});

const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--font-render-hinting=none'] });
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1620 }, deviceScaleFactor: 1, colorScheme: 'light' });
  await page.goto(`${url}#/insights?range=all&bucket=month&stack=model`);
  await page.locator('.insights .chart canvas').first().waitFor();
  await page.locator('.insights[aria-busy="false"]').waitFor();
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(out, 'insights.png'), fullPage: true });

  await page.setViewportSize({ width: 1440, height: 760 });
  await page.goto(`${url}#/search?q=phx.server`);
  await page.locator('.result-hit').first().waitFor();
  await page.waitForTimeout(200);
  await page.screenshot({ path: join(out, 'search.png') });
  console.log(`written: ${join(out, 'insights.png')}, ${join(out, 'search.png')}`);
} finally {
  await browser.close();
  viewer.kill();
  rmSync(dir, { recursive: true, force: true });
}
