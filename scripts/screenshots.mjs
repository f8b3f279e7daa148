// Regenerates the README screenshots of the viewer's three tabs from the demo session:
//   node scripts/build.mjs --no-types && node scripts/screenshots.mjs
// Needs Chromium at /usr/bin/chromium (Debian: apt-get install chromium) or CHROMIUM=/path/to/chrome.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'dist/bin/agent-trace.js');
const out = join(root, 'docs/screenshots');
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(bin)) throw new Error('build first: node scripts/build.mjs --no-types');
mkdirSync(out, { recursive: true });

const SESSION = 'demo-session';
// span ids are derived from the session id and the event keys of src/demo/demo-session.ts
const spanId = (kind, key) => createHash('sha256').update(`span\u0000${SESSION}\u0000${kind}\u0000${key}`).digest('hex').slice(0, 16);

const dir = mkdtempSync(join(tmpdir(), 'agent-trace-screens-'));
const viewer = spawn(process.execPath, [bin, 'view', '--demo-if-empty', '--no-open', '--port', '0', '--dir', dir], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, XDG_CONFIG_HOME: join(dir, 'config') },
});
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
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1, colorScheme: 'light' });

  await page.goto(`${url}#/s/${SESSION}/summary`);
  await page.locator('.summary .cards').waitFor();
  await page.screenshot({ path: join(out, 'summary.png') });

  // Chat: the failing test run and the fix, with the diff open
  await page.goto(`${url}#/s/${SESSION}/chat`);
  await page.locator('.chat .msg.user').first().waitFor();
  await page.locator(`details.tool-card[data-span="${spanId('tool', 't4')}"]`).evaluate((d) => (d.open = true));
  await page.locator(`.chat details.thinking`).nth(1).evaluate((d) => (d.open = true));
  await page.locator(`.chat [data-span="${spanId('generation', 'g2')}"]`).evaluate((el) => {
    const scroller = document.querySelector('.chat-scroll');
    scroller.scrollTop += el.getBoundingClientRect().top - scroller.getBoundingClientRect().top - 12;
  });
  await page.waitForTimeout(200);
  await page.screenshot({ path: join(out, 'chat.png') });

  // Waterfall: the Edit selected, its diff in the detail panel
  await page.goto(`${url}#/s/${SESSION}/waterfall/${spanId('tool', 't4')}`);
  await page.locator('.wf-row[aria-selected="true"]').waitFor();
  await page.waitForTimeout(300);
  await page.mouse.move(5, 895);
  await page.screenshot({ path: join(out, 'waterfall.png') });
  console.log(`wrote ${['summary', 'chat', 'waterfall'].map((n) => `docs/screenshots/${n}.png`).join(', ')}`);
} finally {
  await browser.close();
  viewer.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
