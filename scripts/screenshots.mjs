// Regenerates the viewer screenshots in docs/screenshots from a real session: the longest Claude Code
// transcript of the shared fixtures (a session with three turns, subagents and 33 tool calls), imported into a
// temporary data folder:
//   node scripts/build.mjs --no-types && node scripts/screenshots.mjs [path/to/transcript.jsonl]
// Needs Chromium at /usr/bin/chromium (Debian: apt-get install chromium) or CHROMIUM=/path/to/chrome.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'dist/bin/agent-trace.js');
const out = join(root, 'docs/screenshots');
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const source = resolve(process.argv[2] ?? join(root, '../shared/fixtures/claude-code/hooks/chat.json'));
if (!existsSync(bin)) throw new Error('build first: node scripts/build.mjs --no-types');
if (!existsSync(source)) throw new Error(`no session to show: ${source} is missing (pass a transcript path)`);
mkdirSync(out, { recursive: true });

const dir = mkdtempSync(join(tmpdir(), 'agent-trace-screens-'));
const env = { ...process.env, XDG_CONFIG_HOME: join(dir, 'config') };
const imported = JSON.parse(execFileSync(process.execPath, [bin, 'import', source, '--json', '--dir', dir], { env, encoding: 'utf8' }));
const session = imported[0].sessionId;
const trace = JSON.parse(execFileSync(process.execPath, [bin, 'show', session, '--json', '--dir', dir], { env, encoding: 'utf8', maxBuffer: 1 << 28 }));
// a model call that received tool results: the detail shows its context
const generations = trace.spans.filter((s) => s.kind === 'generation');
const parentOf = new Map(trace.spans.map((s) => [s.spanId, s.parentSpanId]));
const withResults = generations.find((g, i) => i > 2 && trace.spans.some((t) => t.kind === 'tool' && parentOf.get(t.spanId) === g.parentSpanId && t.endTime <= g.startTime && t.endTime >= generations[i - 1].startTime)) ?? generations[0];

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

const settle = (page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--font-render-hinting=none'] });
const written = [];
try {
  for (const [scheme, suffix] of [['light', ''], ['dark', '-dark']]) {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1, colorScheme: scheme });
    await page.goto(`${url}#/s/${session}/summary`);
    await page.locator('.summary .cards').waitFor();
    await settle(page);
    await page.screenshot({ path: join(out, `summary${suffix}.png`) });
    written.push(`summary${suffix}.png`);

    await page.goto(`${url}#/s/${session}/chat`);
    await page.locator('.chat .msg.user').first().waitFor();
    await settle(page);
    await page.screenshot({ path: join(out, `chat${suffix}.png`) });
    written.push(`chat${suffix}.png`);

    await page.goto(`${url}#/s/${session}/waterfall/${withResults.spanId}`);
    await page.locator('.wf-detail .detail-inner').waitFor();
    await settle(page);
    await page.mouse.move(5, 895);
    await page.screenshot({ path: join(out, `waterfall${suffix}.png`) });
    written.push(`waterfall${suffix}.png`);
    await page.close();
  }
  // a phone: the list as cards and the waterfall
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, colorScheme: 'light' });
  await phone.goto(`${url}#/s/${session}/waterfall`);
  await phone.locator('.wf-row:not([hidden])').first().waitFor();
  await settle(phone);
  await phone.screenshot({ path: join(out, 'phone-waterfall.png') });
  written.push('phone-waterfall.png');
  await phone.goto(`${url}#/s/${session}/chat`);
  await phone.locator('.chat .msg.user').first().waitFor();
  await settle(phone);
  await phone.screenshot({ path: join(out, 'phone-chat.png') });
  written.push('phone-chat.png');
  console.log(`wrote ${written.map((n) => `docs/screenshots/${n}`).join(', ')} from ${source}`);
} finally {
  await browser.close();
  viewer.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
