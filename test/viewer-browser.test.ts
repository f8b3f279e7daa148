// The viewer in real Chromium (playwright-core driving /usr/bin/chromium): one browser for the file, pages reused.
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SESSION_ID, writeDemoSession } from '../src/demo/demo-session.js';
import { spanIdFor } from '../src/model/ids.js';
import type { RunningViewer } from '../viewer/server/app.js';
import { append, bigSessionEvents, CHROMIUM, CHROMIUM_ARGS, startTestViewer, tempStore, type Ev } from './viewer-helpers.js';

const { store, cleanup } = tempStore();
let browser: Browser;
let viewer: RunningViewer;
let page: Page;
let base: string;
const pageErrors: string[] = [];

const demoSpan = (kind: string, key: string) => spanIdFor(DEMO_SESSION_ID, kind, key);
const LIVE = 'live-session';
const BIG = 'big-session';

function liveEvents(n: number, from: number, leaveOpen = -1): Ev[] {
  const out: Ev[] = [];
  for (let i = from; i < from + n; i++) {
    out.push({ type: 'tool.start', key: `lt${i}`, name: 'Read', input: { file_path: `/repo/src/f${i}.ts` } });
    if (i !== leaveOpen) out.push({ type: 'tool.end', key: `lt${i}`, output: `content ${i}` });
  }
  return out;
}

async function open(p: Page, hash: string): Promise<void> {
  await p.goto(`${base}/${hash}`);
  // a same-document navigation: let the hashchange handler run before acting on the page
  await p.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
}

async function newPage(): Promise<Page> {
  const p = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  p.setDefaultTimeout(10_000);
  p.on('pageerror', (e) => pageErrors.push(e.message));
  p.on('console', (m) => {
    // the deep-link test opens an unknown session on purpose
    if (m.type() === 'error' && !m.location().url.includes('does-not-exist')) pageErrors.push(`${m.text()} ${m.location().url}`);
  });
  await p.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return p;
}

const hash = (p: Page) => p.evaluate(() => location.hash);
const selectedRow = (p: Page) => p.locator('.wf-row:not([hidden])[aria-selected="true"]');

beforeAll(async () => {
  writeDemoSession(store);
  store.append(bigSessionEvents(BIG, 3_000, { start: Date.now() - 2 * 86_400_000 }));
  append(store, LIVE, [
    { type: 'session.start', agent: { name: 'claude-code', version: '2.2.0' }, title: 'A session still running', cwd: '/repo' },
    { type: 'turn.start', key: 'lturn-1', prompt: 'Read every file' },
    ...liveEvents(60, 0),
    { type: 'turn.end', key: 'lturn-1' },
    { type: 'turn.start', key: 'lturn-2', prompt: 'And now the second batch' },
    ...liveEvents(20, 60, 70),
  ], Date.now() - 60_000);
  [browser, viewer] = await Promise.all([
    chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true }),
    startTestViewer(store, { pollMs: 100 }),
  ]);
  base = viewer.url.replace(/\/$/, '');
  page = await newPage();
});

afterAll(async () => {
  await browser?.close();
  await viewer?.close();
  cleanup();
});

describe('viewer in Chromium', () => {
  it('lists sessions newest first, with search, filters, sort and status badges', async () => {
    await open(page, '#/');
    await page.locator('tr.session-row').first().waitFor();
    const ids = await page.locator('tr.session-row').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.session));
    expect(ids).toEqual([LIVE, DEMO_SESSION_ID, BIG]);
    const badges = await page.locator('tr.session-row .badge').allTextContents();
    expect(badges).toEqual(['Running', 'Completed', 'Completed']);
    expect(await page.locator('.count').textContent()).toBe('3 of 3 sessions');

    const search = page.locator('.list-toolbar input.search');
    for (const [q, expected] of [['parseDuration', [DEMO_SESSION_ID]], ['/work/big', [BIG]], ['big-sess', [BIG]], ['every file', [LIVE]], ['no such thing', []]] as const) {
      await search.fill(q);
      await page.waitForFunction((want) => JSON.stringify([...document.querySelectorAll<HTMLElement>('tr.session-row')].map((r) => r.dataset.session)) === want, JSON.stringify(expected));
      const got = await page.locator('tr.session-row').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.session));
      expect(got, q).toEqual(expected);
    }
    expect(await hash(page)).toContain('q=no+such+thing');
    await search.fill('');
    await page.selectOption('select[name="status"]', 'running');
    await page.waitForFunction(() => document.querySelectorAll('tr.session-row').length === 1);
    expect(await page.locator('tr.session-row').getAttribute('data-session')).toBe(LIVE);
    await page.selectOption('select[name="status"]', '');
    await page.selectOption('select[name="model"]', 'claude-haiku-4-5-20251001');
    await page.waitForFunction(() => document.querySelectorAll('tr.session-row').length === 1);
    expect(await page.locator('tr.session-row').getAttribute('data-session')).toBe(DEMO_SESSION_ID);
    await page.selectOption('select[name="model"]', '');
    await page.selectOption('select[name="sort"]', 'tools');
    await page.waitForFunction(() => document.querySelector('tr.session-row')?.getAttribute('data-session') === 'big-session');
    await page.locator('th[data-sort="errors"]').click();
    await page.waitForFunction(() => location.hash.includes('sort=errors'));
    const byErrors = await page.locator('tr.session-row').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.session));
    expect(byErrors[0]).toBe(BIG); // 31 failed calls
    await page.locator('th[data-sort="errors"]').click(); // ascending
    await page.waitForFunction(() => location.hash.includes('dir=asc'));
    await page.selectOption('select[name="since"]', '1d');
    await page.waitForFunction(() => document.querySelectorAll('tr.session-row').length === 2);
    // the list state survives a reload (it is in the URL)
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('tr.session-row').length === 2);
    expect(await page.locator('select[name="since"]').inputValue()).toBe('1d');
    await open(page, '#/');
  });

  it('shows the Summary tab', async () => {
    await open(page, `#/s/${DEMO_SESSION_ID}/summary`);
    const summary = page.locator('.summary');
    await summary.locator('.banner').waitFor();
    expect(await summary.locator('.banner-title').textContent()).toBe('Completed');
    expect(await summary.locator('h1').textContent()).toMatch(/^Demo session/);
    expect(await summary.locator('.first-prompt').textContent()).toContain('tests fail on CI but pass on my machine');
    const stat = (cls: string) => summary.locator(`.${cls} .stat-value`).textContent();
    expect(await stat('stat-turns')).toBe('4');
    expect(await stat('stat-generations')).toBe('15');
    expect(await stat('stat-tools')).toBe('17');
    expect(await stat('stat-subagents')).toBe('1');
    expect(await stat('stat-duration')).toBe('6m 12s');
    expect(await stat('stat-cost')).toMatch(/^\$0\.\d\d$/);
    expect(await summary.locator('.stat-tools .stat-sub').textContent()).toBe('2 failed');
    const text = await summary.textContent();
    expect(text).toContain('claude-code 2.1.38');
    expect(text).toContain('claude-sonnet-4-5-20250929, claude-haiku-4-5-20251001');
    expect(text).toContain('fix/parse-duration');
    expect(text).toContain('14,925'); // input tokens
    expect(text).toContain('271,660'); // cache read
    expect(text).toMatch(/list prices as of \d{4}-\d{2}-\d{2}/);
    expect(text).toContain('Cache hit rate');
    const tools = await summary.locator('.tools-table tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent)));
    expect(tools[0]).toEqual(['Bash', '5', '2']);
    expect(tools.map((r) => r[0])).toEqual(expect.arrayContaining(['Grep', 'Read', 'Edit', 'MultiEdit', 'Write', 'Task']));
    expect(await summary.locator('.file-list li').allTextContents()).toEqual(['src/time/duration.ts', 'src/time/duration.test.ts', 'src/billing/period.ts', 'CHANGELOG.md']);
    expect(await summary.locator('.card:has(h3:text("Subagents")) tbody tr').textContent()).toContain('Explore');
    const errors = summary.locator('.error-list:not(.warn) li');
    expect(await errors.count()).toBe(3);
    expect(await errors.nth(1).textContent()).toContain('npm run lint'.slice(0, 0) + 'Bash');
    // an error links to its span in the waterfall
    await errors.first().locator('a').click();
    await page.waitForFunction(() => location.hash.includes('/waterfall/'));
    await selectedRow(page).waitFor();
    expect(await selectedRow(page).locator('.wf-label').textContent()).toBe('Bash');
    expect(await page.locator('.wf-detail .error-box').first().textContent()).toContain('Exit code 1');
    expect(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp)).toEqual([]);
  });

  it('shows the Chat tab: prompts, markdown, thinking, tool cards, diffs, errors, subagents, markers', async () => {
    await open(page, `#/s/${DEMO_SESSION_ID}/chat`);
    const chat = page.locator('.chat');
    await chat.locator('.msg.user').first().waitFor();
    expect(await chat.locator('> .msg.user').count()).toBe(4);
    expect(await chat.locator('.msg.user').first().textContent()).toContain('Find out why and fix it.');
    expect(await chat.locator('.msg.user.sub-prompt').textContent()).toContain('Search the codebase for date arithmetic');
    // markdown: a heading, bold, code block, list — and no raw HTML
    const final1 = chat.locator('.msg.assistant .msg-text h2', { hasText: 'Fixed' });
    expect(await final1.count()).toBe(1);
    expect(await chat.locator('.msg-text pre code').first().textContent()).toContain('const DAY_MS');
    expect(await chat.locator('.msg-text table').count()).toBeGreaterThan(0);
    // thinking is collapsed
    const thinking = chat.locator('details.thinking').first();
    expect(await thinking.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    await thinking.locator('summary').click();
    expect(await thinking.locator('.thinking-text').textContent()).toContain('daylight saving time');
    // per-message tokens and duration
    expect(await chat.locator('.msg.assistant .msg-foot').first().textContent()).toMatch(/12 in.*184 out.*14k cache read.*3\.60 s/);
    // tool cards: collapsed, open on click; Edit as a diff
    const edit = chat.locator(`[data-span="${demoSpan('tool', 't4')}"] > details.tool-card`);
    expect(await edit.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    await edit.locator('summary').click();
    await edit.locator('.card-body').waitFor(); // the body is built on the (asynchronous) toggle event
    expect(await edit.locator('.diff .dl.del').count()).toBe(6);
    expect(await edit.locator('.diff .dl.add').textContent()).toContain("case 'd': return n * DAY_MS;");
    const multi = chat.locator(`[data-span="${demoSpan('tool', 't7')}"] > details.tool-card`);
    await multi.locator('summary').click();
    await multi.locator('.card-body').waitFor(); // the body is built on the (asynchronous) toggle event
    expect(await multi.locator('.diff').count()).toBe(2);
    const write = chat.locator(`[data-span="${demoSpan('tool', 't11')}"] > details.tool-card`);
    await write.locator('summary').click();
    await write.locator('.card-body').waitFor(); // the body is built on the (asynchronous) toggle event
    expect(await write.locator('.diff .dl.del').count()).toBe(0);
    expect(await write.locator('.diff .dl.add').count()).toBeGreaterThan(3);
    // a failed tool is highlighted, with its error
    const failed = chat.locator(`[data-span="${demoSpan('tool', 't3')}"] > details.tool-card`);
    expect(await failed.getAttribute('class')).toContain('error');
    expect(await failed.locator('.error-line').textContent()).toContain('Exit code 1');
    // the subagent conversation is nested under its Task call
    const task = chat.locator(`[data-span="${demoSpan('tool', 't6')}"] > details.tool-card`);
    expect(await task.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    const sub = task.locator('details.subagent');
    expect(await sub.locator('> summary').textContent()).toContain('Explore subagent');
    expect(await sub.locator('details.tool-card').count()).toBe(4);
    expect(await sub.locator('.msg.assistant .chip').first().textContent()).toBe('claude-haiku-4-5');
    // markers
    expect(await chat.locator('.marker.compaction').textContent()).toContain('Context compacted (auto): 158k → 31k tokens');
    expect(await chat.locator('.marker.warn').first().textContent()).toContain('Interrupted by user');
    expect(await chat.locator(`[data-span="${demoSpan('tool', 't12')}"] > details.tool-card .chip.warn`).textContent()).toContain('interrupted');
    expect(await chat.locator('.marker.error').first().textContent()).toContain('API error: overloaded_error');
    expect(await chat.locator(`[data-span="${demoSpan('tool', 't5')}"] > details.tool-card .chip.perm`).textContent()).toBe('permission');
    expect(await chat.locator('.marker.note').first().textContent()).toContain('Claude is waiting for your input');
    expect(await chat.locator('.marker.end').textContent()).toContain('Session completed after 6m 12s');
    expect(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp)).toEqual([]);
  });

  it('shows the Waterfall tab: tree, bars, detail panel, search, zoom', async () => {
    await open(page, `#/s/${DEMO_SESSION_ID}/waterfall`);
    const rows = page.locator('.wf-row:not([hidden])');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(39);
    const first = rows.first();
    expect(await first.getAttribute('aria-level')).toBe('1');
    expect(await page.locator('.wf-row .kind-icon.kind-subagent').count()).toBe(1);
    expect(await page.locator('.wf-bar.kind-generation').count()).toBe(15);
    expect(await page.locator('.wf-bar.error').count()).toBe(2);
    // The interrupted tool, and the turn the person cut short (an interrupt mark makes its turn interrupted).
    expect(await page.locator('.wf-bar.interrupted').count()).toBe(2);
    expect(await page.locator('.wf-axis .tick').count()).toBeGreaterThan(2);
    expect(await page.locator('canvas.wf-minimap-canvas').count()).toBe(1);
    const subRow = page.locator(`.wf-row[data-id="${demoSpan('subagent', 'a1')}"]`);
    expect(await subRow.getAttribute('aria-level')).toBe('4'); // session > turn > Task > subagent
    // the detail panel
    await page.locator(`.wf-row[data-id="${demoSpan('generation', 'g3')}"]`).click();
    const detail = page.locator('.wf-detail');
    expect(await detail.locator('.detail-name').textContent()).toBe('claude-sonnet-4-5');
    expect(await detail.textContent()).toContain('gen_ai.usage.output_tokens');
    expect(await detail.locator('.msg-text strong').textContent()).toBe('31 March 2024');
    await page.locator(`.wf-row[data-id="${demoSpan('tool', 't5')}"]`).click();
    expect(await detail.locator('.events-table').textContent()).toContain('permission_request');
    expect(await detail.locator('pre.cmd').textContent()).toContain('npx vitest run');
    // collapse / expand with the twisty
    await page.locator(`.wf-row[data-id="${demoSpan('tool', 't6')}"] .twisty`).click();
    expect(await rows.count()).toBe(31);
    await page.locator(`.wf-row[data-id="${demoSpan('tool', 't6')}"] .twisty`).click();
    expect(await rows.count()).toBe(39);
    // search highlights and jumps
    await page.locator('.wf-toolbar input.search').fill('vitest');
    await page.waitForFunction(() => document.querySelector('.wf-toolbar .match-count')?.textContent === '0 / 5');
    expect(await page.locator('.wf-row.match').count()).toBe(5);
    expect(await page.locator('.wf-row.match mark').count()).toBeGreaterThan(0);
    await page.locator('.wf-toolbar input.search').press('Enter');
    await page.waitForFunction(() => /^[1-5] \/ 5$/.test(document.querySelector('.wf-toolbar .match-count')?.textContent ?? ''));
    const at = Number((await page.locator('.wf-toolbar .match-count').textContent())!.split(' ')[0]);
    expect(await selectedRow(page).getAttribute('class')).toContain('current-match');
    expect(await hash(page)).toContain(`/waterfall/${await selectedRow(page).getAttribute('data-id')}`);
    await page.locator('.wf-toolbar input.search').press('Enter');
    await page.waitForFunction((n) => document.querySelector('.wf-toolbar .match-count')?.textContent === `${n} / 5`, (at % 5) + 1);
    await page.locator('.wf-toolbar label.check', { hasText: 'only matches' }).locator('input').check();
    await page.waitForFunction(() => document.querySelectorAll('.wf-row:not([hidden])').length < 20);
    await page.locator('.wf-toolbar label.check', { hasText: 'only matches' }).locator('input').uncheck();
    await page.locator('.wf-toolbar input.search').press('Escape');
    expect(await page.locator('.wf-row.match').count()).toBe(0);
    // zoom to the selected span, then reset
    const before = await page.locator('.wf-axis .tick').allTextContents();
    await page.keyboard.press('z');
    const zoomed = await page.locator('.wf-axis .tick').allTextContents();
    expect(zoomed).not.toEqual(before);
    expect(await page.locator('.wf-window').isVisible()).toBe(true);
    await page.keyboard.press('0');
    expect(await page.locator('.wf-axis .tick').allTextContents()).toEqual(before);
    expect(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp)).toEqual([]);
  });

  it('opens deep links to a tab and a span, and keeps history', async () => {
    const p = await newPage();
    try {
      const edit = demoSpan('tool', 't4');
      await open(p, `#/s/${DEMO_SESSION_ID}/waterfall/${edit}`);
      await selectedRow(p).waitFor();
      expect(await selectedRow(p).getAttribute('data-id')).toBe(edit);
      expect(await p.locator('.wf-detail .detail-name').textContent()).toBe('Edit');
      expect(await p.locator('.wf-detail .diff').count()).toBe(1);
      expect(await p.locator('.tab.active').textContent()).toBe('Waterfall');

      // a span inside the subagent, in the chat: its card opens and it is scrolled to
      const nested = demoSpan('tool', 'st3');
      await p.goto('about:blank');
      await open(p, `#/s/${DEMO_SESSION_ID}/chat/${nested}`);
      const target = p.locator(`[data-span="${nested}"]`);
      await target.waitFor();
      await p.waitForFunction((id) => document.querySelector(`[data-span="${id}"]`)?.classList.contains('selected'), nested);
      expect(await target.isVisible()).toBe(true);
      expect(await p.locator('.tab.active').textContent()).toBe('Chat');

      // tabs are links: switching pushes history, Back returns with the selection kept
      await p.locator('.tab[data-tab="waterfall"]').click();
      await p.waitForFunction(() => location.hash.includes('/waterfall/'));
      expect(await selectedRow(p).getAttribute('data-id')).toBe(nested);
      await p.goBack();
      await p.waitForFunction(() => location.hash.includes('/chat/'));
      expect(await p.locator('.tab.active').textContent()).toBe('Chat');

      await open(p, `#/s/${DEMO_SESSION_ID}`);
      await p.locator('.summary h1').waitFor();
      expect(await p.locator('.tab.active').textContent()).toBe('Summary');

      await p.goto('about:blank');
      await open(p, '#/s/does-not-exist/chat');
      await p.locator('.page-error').waitFor();
      expect(await p.locator('.page-error').textContent()).toContain('unknown session');
    } finally {
      await p.close();
    }
  });

  it('navigates with the keyboard', async () => {
    await open(page, `#/s/${DEMO_SESSION_ID}/waterfall`);
    await page.locator('.wf-row:not([hidden])').first().waitFor();
    await page.locator('.wf-scroll').focus();
    await page.keyboard.press('Home');
    expect(await selectedRow(page).getAttribute('aria-level')).toBe('1');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await selectedRow(page).locator('.wf-label').textContent()).toBe('claude-sonnet-4-5');
    expect(await hash(page)).toBe(`#/s/${DEMO_SESSION_ID}/waterfall/${demoSpan('generation', 'g1')}`);
    await page.keyboard.press('ArrowLeft'); // to the parent turn
    expect(await selectedRow(page).locator('.wf-label').textContent()).toBe('Turn 1');
    const count = await page.locator('.wf-row:not([hidden])').count();
    await page.keyboard.press('ArrowLeft'); // collapse it
    expect(await selectedRow(page).getAttribute('aria-expanded')).toBe('false');
    expect(await page.locator('.wf-row:not([hidden])').count()).toBe(count - 9);
    await page.keyboard.press('ArrowRight'); // expand
    expect(await selectedRow(page).getAttribute('aria-expanded')).toBe('true');
    await page.keyboard.press('ArrowRight'); // first child
    expect(await selectedRow(page).locator('.wf-label').textContent()).toBe('claude-sonnet-4-5');
    await page.keyboard.press('End');
    expect(await selectedRow(page).locator('.wf-label').textContent()).toBe('claude-sonnet-4-5');
    expect(await selectedRow(page).getAttribute('data-id')).toBe(demoSpan('generation', 'g12'));
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.classList.contains('search'))).toBe(true);
    await page.keyboard.type('invoke_agent explore');
    await page.keyboard.press('Enter');
    await page.waitForFunction((id) => document.querySelector('.wf-row[aria-selected="true"]')?.getAttribute('data-id') === id, demoSpan('subagent', 'a1'));
    await page.keyboard.press('Escape');
    expect(await page.evaluate(() => document.activeElement?.classList.contains('wf-scroll'))).toBe(true);
    await page.keyboard.press('2');
    await page.waitForFunction(() => location.hash.includes('/chat/'));
    // The hash changes before its hashchange event switches the tab: wait for the switch, not only the URL.
    await page.waitForFunction(() => document.querySelector('.tab.active')?.textContent === 'Chat');
    await page.keyboard.press('3');
    await page.waitForFunction(() => location.hash.includes('/waterfall/'));
    expect(await selectedRow(page).getAttribute('data-id')).toBe(demoSpan('subagent', 'a1'));
    await page.keyboard.press('1');
    await page.waitForFunction(() => location.hash.includes('/summary'));
    await page.keyboard.press('?');
    expect(await page.locator('.dialog').isVisible()).toBe(true);
    await page.keyboard.press('Escape');
    expect(await page.locator('.dialog').count()).toBe(0);
    // the list: / to search, arrows to move, Enter to open
    await open(page, '#/');
    await page.locator('tr.session-row').first().waitFor();
    await page.keyboard.press('/');
    await page.keyboard.type('demo');
    await page.waitForFunction(() => document.querySelectorAll('tr.session-row').length === 1);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForFunction((id) => location.hash === `#/s/${id}`, DEMO_SESSION_ID);
    await page.locator('.summary h1').waitFor();
  });

  it('virtualizes the rows of a big session', async () => {
    await open(page, `#/s/${BIG}/waterfall`);
    await page.locator('.wf-row:not([hidden])').first().waitFor();
    // The first page of spans paints first; the rest arrive in the background: wait for all of them.
    await page.waitForFunction(() => document.querySelector('.wf-spacer')!.getBoundingClientRect().height / 26 > 3_300);
    expect(await page.locator('.wf-row').count()).toBeLessThan(100);
    await page.locator('.wf-scroll').focus();
    await page.keyboard.press('End');
    await page.waitForFunction(() => (document.querySelector('.wf-scroll') as HTMLElement).scrollTop > 80_000);
    const last = selectedRow(page);
    expect(await last.isVisible()).toBe(true);
    expect(await last.locator('.wf-sub').textContent()).toMatch(/file2999|echo 2999/);
    expect(await page.locator('.wf-row').count()).toBeLessThan(100);
    // the chat of a big session keeps a bounded window of blocks in the DOM, and reaches the end by scrolling
    await page.keyboard.press('2');
    await page.locator('.chat details.tool-card').first().waitFor();
    expect(await page.locator('.chat details.tool-card').count()).toBeLessThanOrEqual(120);
    await page.waitForFunction(() => {
      const s = document.querySelector<HTMLElement>('.chat-pane .chat-scroll')!;
      s.scrollTop = s.scrollHeight;
      return document.querySelector('.chat [data-key="end"]') !== null;
    });
    expect(await page.locator('.chat .tool-arg', { hasText: /file2999|echo 2999/ }).count()).toBe(1);
    expect(await page.locator('.chat details.tool-card').count()).toBeLessThanOrEqual(120);
  });

  it('updates a running session in place, keeping tab, selection, scroll and expanded rows', async () => {
    const p = await newPage();
    try {
      await p.setViewportSize({ width: 1400, height: 700 });
      await open(p, `#/s/${LIVE}/waterfall`);
      await p.locator('.wf-row:not([hidden])').first().waitFor();
      expect(await p.locator('.live-dot').isVisible()).toBe(true);
      await p.evaluate(() => ((window as unknown as { __marker: number }).__marker = 42));
      // collapse turn 1, select a span of turn 2, scroll a little
      const turn1 = spanIdFor(LIVE, 'turn', 'lturn-1');
      await p.locator(`.wf-row[data-id="${turn1}"] .twisty`).click();
      const selected = spanIdFor(LIVE, 'tool', 'lt70');
      await p.locator(`.wf-row[data-id="${selected}"]`).click();
      await p.locator('.wf-scroll').evaluate((el) => (el.scrollTop = 130));
      const before = await p.evaluate(() => ({
        scroll: document.querySelector('.wf-scroll')!.scrollTop,
        rows: document.querySelector('.wf-spacer')!.getBoundingClientRect().height / 26,
        hash: location.hash,
      }));
      expect(await p.locator('.wf-detail').textContent()).toContain('so far');
      append(store, LIVE, [
        { type: 'tool.start', key: 'new-tool', name: 'LiveTool', input: { command: 'appeared while watching' } },
        { type: 'tool.end', key: 'lt70', output: 'changed output' },
      ]);
      await p.waitForFunction((n) => document.querySelector('.wf-spacer')!.getBoundingClientRect().height / 26 === n + 1, before.rows, { timeout: 10_000 });
      const after = await p.evaluate(() => ({
        scroll: document.querySelector('.wf-scroll')!.scrollTop,
        hash: location.hash,
        marker: (window as unknown as { __marker?: number }).__marker,
        selected: document.querySelector('.wf-row[aria-selected="true"]')?.getAttribute('data-id'),
      }));
      expect(after.marker).toBe(42); // no reload
      expect(after.hash).toBe(before.hash);
      expect(after.scroll).toBe(before.scroll);
      expect(after.selected).toBe(selected);
      expect(await p.locator(`.wf-row[data-id="${turn1}"]`).getAttribute('aria-expanded')).toBe('false');
      expect(await p.locator('.tab.active').textContent()).toBe('Waterfall');
      await p.waitForFunction(() => document.querySelector('.wf-detail')?.textContent?.includes('changed output'));
      // the new span is there, marked as new for a moment
      expect(await p.locator('.wf-row.fresh .wf-label', { hasText: 'LiveTool' }).count()).toBe(1);
      await p.keyboard.press('End');
      expect(await selectedRow(p).locator('.wf-label').textContent()).toBe('LiveTool');
      expect(await selectedRow(p).locator('.wf-bar').getAttribute('class')).toContain('open');

      // the chat follows too
      await p.keyboard.press('2');
      await p.locator('.chat .tool-card .tool-name', { hasText: 'LiveTool' }).waitFor();
      append(store, LIVE, [{ type: 'tool.start', key: 'newer-tool', name: 'SecondLiveTool', input: { command: 'again' } }]);
      await p.locator('.chat .tool-card .tool-name', { hasText: 'SecondLiveTool' }).waitFor({ timeout: 10_000 });
      expect(await p.locator('.chat .fresh .tool-name', { hasText: 'SecondLiveTool' }).count()).toBe(1);
      expect(await p.locator('.chat .fresh .tool-name', { hasText: /^LiveTool$/ }).count()).toBe(0);
      // follow the tail: the waterfall scrolls to the newest span as it arrives
      await p.keyboard.press('3');
      await p.locator('.wf-toolbar label', { hasText: 'follow' }).locator('input').check();
      await p.locator('.wf-scroll').evaluate((el) => (el.scrollTop = 0));
      append(store, LIVE, [{ type: 'tool.start', key: 'followed-tool', name: 'FollowedTool', input: { command: 'tail' } }]);
      await p.locator('.wf-row:not([hidden]) .wf-label', { hasText: 'FollowedTool' }).waitFor({ timeout: 10_000 });
      expect(await p.locator('.wf-row:not([hidden]) .wf-label', { hasText: 'FollowedTool' }).isVisible()).toBe(true);
      await p.keyboard.press('2');
      expect(await p.evaluate(() => (window as unknown as { __marker?: number }).__marker)).toBe(42);

      // the list updates a session's status live
      await open(p, '#/');
      await p.locator(`tr[data-session="${LIVE}"] .badge`, { hasText: 'Running' }).waitFor();
      append(store, LIVE, [{ type: 'session.end', status: 'completed' }]);
      await p.locator(`tr[data-session="${LIVE}"] .badge`, { hasText: 'Completed' }).waitFor({ timeout: 10_000 });
    } finally {
      await p.close();
    }
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
