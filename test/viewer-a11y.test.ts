// The viewer's session views in real Chromium: accessibility (axe-core at three widths, both colour schemes),
// the ARIA tabs pattern, focus on navigation, the theme toggle, compressed idle gaps and the chat's tools.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SESSION_ID, writeDemoSession } from '../src/demo/demo-session.js';
import { spanIdFor } from '../src/model/ids.js';
import type { RunningViewer } from '../viewer/server/app.js';
import { CHROMIUM, CHROMIUM_ARGS, startTestViewer, tempStore, type Ev } from './viewer-helpers.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const { store, cleanup } = tempStore();
const IDLE = 'idle-session';
const MANY = 400;
const TINY_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
let browser: Browser;
let viewer: RunningViewer;
let base: string;

/** A session of three turns with two idle gaps of hours between them, and one failing tool. */
function idleSession(): Ev[] {
  const h = 3_600_000;
  const t0 = Date.now() - 20 * h;
  const out: Ev[] = [{ type: 'session.start', sessionId: IDLE, time: t0, agent: { name: 'claude-code', version: '2.1.0' }, title: 'A day with long breaks', cwd: '/w' }];
  [0, 4 * h, 9 * h].forEach((at, k) => {
    const t = t0 + at + 1000;
    // the first prompt carried two pasted images: a large one (type and size kept) and a tiny one (kept whole)
    const images = k === 0 ? { attributes: { 'agent_trace.prompt.images': JSON.stringify([{ type: 'image', media_type: 'image/png', bytes: 48_213 }, { type: 'image', media_type: 'image/png', bytes: 70, data: TINY_PNG }]) } } : {};
    out.push({ type: 'turn.start', sessionId: IDLE, time: t, key: `turn${k}`, prompt: `Prompt **${k}** needle${k}`, ...images });
    out.push({ type: 'generation.start', sessionId: IDLE, time: t + 10, key: `g${k}`, model: 'claude-sonnet-4-5' });
    out.push({ type: 'generation.end', sessionId: IDLE, time: t + 2000, key: `g${k}`, usage: { input: 5, output: 40, cacheRead: 1000 * (k + 1) }, output: { text: `answer ${k}`, toolCalls: [{ id: `c${k}`, name: 'Bash' }] } });
    out.push({ type: 'tool.start', sessionId: IDLE, time: t + 2100, key: `t${k}`, name: 'Bash', input: { command: `make step${k}` } });
    // the first tool answered with a screenshot beside its text
    const output = k === 0 ? [{ type: 'text', text: 'built 0' }, { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: 'A'.repeat(4000) } }] : `built ${k}`;
    out.push({ type: 'tool.end', sessionId: IDLE, time: t + 3000, key: `t${k}`, output, ...(k === 1 ? { error: 'make failed' } : {}) });
    out.push({ type: 'generation.start', sessionId: IDLE, time: t + 3100, key: `g${k}b`, model: 'claude-sonnet-4-5' });
    out.push({ type: 'generation.end', sessionId: IDLE, time: t + 4000, key: `g${k}b`, usage: { input: 5, output: 40, cacheRead: 1500 * (k + 1) }, output: { text: `done ${k}` } });
    out.push({ type: 'turn.end', sessionId: IDLE, time: t + 4100, key: `turn${k}` });
  });
  out.push({ type: 'session.end', sessionId: IDLE, time: t0 + 9 * h + 5000, status: 'completed' });
  return out;
}

async function newContext(width: number, scheme: 'light' | 'dark'): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width, height: 860 }, colorScheme: scheme, bypassCSP: true });
}

async function go(p: Page, hash: string, ready: string): Promise<void> {
  await p.goto(`${base}/${hash}`);
  await p.locator(ready).first().waitFor();
}

/** Serious and critical axe violations of the page as it is (one line each). */
async function axe(p: Page): Promise<string[]> {
  if (!(await p.evaluate(() => 'axe' in window))) await p.addScriptTag({ content: AXE });
  const result = await p.evaluate(async () => {
    const w = window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> } };
    return w.axe.run(document, { resultTypes: ['violations'] });
  });
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.nodes.length}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

beforeAll(async () => {
  writeDemoSession(store);
  store.append(idleSession());
  // many small sessions, for the list's windowed rows
  const old = Date.now() - 400 * 86_400_000;
  store.append(Array.from({ length: MANY }, (_, i): Ev[] => [
    { type: 'session.start', sessionId: `many-${String(i).padStart(4, '0')}`, time: old + i * 60_000, agent: { name: 'codex', version: '0.89.0' }, title: `Small session ${i}` },
    { type: 'session.end', sessionId: `many-${String(i).padStart(4, '0')}`, time: old + i * 60_000 + 5000, status: 'completed' },
  ]).flat() as never);
  [browser, viewer] = await Promise.all([chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true }), startTestViewer(store)]);
  base = viewer.url.replace(/\/$/, '');
});

afterAll(async () => {
  await browser?.close();
  await viewer?.close();
  cleanup();
});

describe('viewer accessibility and session views', () => {
  for (const width of [390, 1440, 1920]) {
    it(`has no serious or critical axe violation at ${width} px, light and dark`, async () => {
      const ctx = await newContext(width, 'light');
      const p = await ctx.newPage();
      try {
        const found: Record<string, string[]> = {};
        // each page is checked in both schemes (the media feature switched in place, no reload)
        const both = async (name: string) => {
          for (const scheme of ['light', 'dark'] as const) {
            await p.emulateMedia({ colorScheme: scheme });
            found[`${name} ${scheme}`] = await axe(p);
          }
        };
        await go(p, '#/', 'tr.session-row');
        await both('list');
        await go(p, `#/s/${DEMO_SESSION_ID}/summary`, '.summary .cards');
        await both('summary');
        await go(p, `#/s/${DEMO_SESSION_ID}/chat`, '.chat .msg.user');
        await both('chat');
        await go(p, `#/s/${DEMO_SESSION_ID}/waterfall/${spanIdFor(DEMO_SESSION_ID, 'generation', 'g2')}`, '.wf-detail .detail-inner');
        await both('waterfall');
        expect(Object.entries(found).filter(([, v]) => v.length)).toEqual([]);
        expect(Object.keys(found).length).toBe(8);
        // tabs never overlap the status badge
        const [badge, tabs] = await Promise.all([p.locator('.session-head .badge').boundingBox(), p.locator('.tabs').boundingBox()]);
        const overlap = badge!.x < tabs!.x + tabs!.width && tabs!.x < badge!.x + badge!.width && badge!.y < tabs!.y + tabs!.height && tabs!.y < badge!.y + badge!.height;
        expect(overlap).toBe(false);
        // the waterfall keeps a usable lane on a phone
        expect(await p.locator('.wf-axis').evaluate((el) => el.getBoundingClientRect().width)).toBeGreaterThan(width < 500 ? 180 : 400);
        // the list fits the width (no horizontal scroll)
        await go(p, '#/', 'tr.session-row');
        expect(await p.locator('.list-scroll').evaluate((el) => el.scrollWidth <= el.clientWidth + 1)).toBe(true);
      } finally {
        await ctx.close();
      }
    });
  }

  it('keeps only the rows on screen in the list, and reaches the last by scrolling and by keyboard', async () => {
    const ctx = await newContext(1440, 'light');
    const p = await ctx.newPage();
    try {
      await go(p, '#/', 'tr.session-row');
      await p.waitForFunction((n) => document.querySelector('.count')?.textContent === `${n} of ${n} sessions`, MANY + 2);
      expect(await p.locator('tr.session-row').count()).toBeLessThan(80);
      await p.locator('.list-scroll').evaluate((el) => (el.scrollTop = el.scrollHeight));
      await p.locator('tr[data-session="many-0000"]').waitFor();
      expect(await p.locator('tr.session-row').count()).toBeLessThan(80);
      // keyboard: from the search box down through rows beyond the first window
      await p.locator('.list-scroll').evaluate((el) => (el.scrollTop = 0));
      await p.locator('.list-toolbar input.search').focus();
      await p.keyboard.press('ArrowDown');
      for (let i = 0; i < 40; i++) await p.keyboard.press('j');
      expect(await p.evaluate(() => (document.activeElement as HTMLElement).dataset.index)).toBe('40');
    } finally {
      await ctx.close();
    }
  });

  it('follows the ARIA tabs pattern, moves focus on navigation and remembers the theme', async () => {
    const ctx = await newContext(1440, 'light');
    const p = await ctx.newPage();
    try {
      await go(p, '#/', 'tr.session-row');
      await p.locator(`tr[data-session="${DEMO_SESSION_ID}"]`).click();
      await p.locator('.summary .cards').waitFor();
      // focus lands on the session's title, not on the body
      await p.waitForFunction(() => document.activeElement?.classList.contains('session-head-title'));
      const tabs = p.locator('[role="tablist"] [role="tab"]');
      expect(await tabs.count()).toBe(3);
      expect(await tabs.evaluateAll((els) => els.map((e) => [e.getAttribute('aria-selected'), (e as HTMLElement).tabIndex]))).toEqual([['true', 0], ['false', -1], ['false', -1]]);
      const panel = await p.locator('#tab-summary').getAttribute('aria-controls');
      expect(await p.locator(`#${panel}`).getAttribute('role')).toBe('tabpanel');
      expect(await p.locator(`#${panel}`).getAttribute('aria-labelledby')).toBe('tab-summary');
      await p.locator('#tab-summary').focus();
      await p.keyboard.press('ArrowRight');
      await p.waitForFunction(() => document.activeElement?.id === 'tab-chat' && document.activeElement.getAttribute('aria-selected') === 'true');
      expect(await p.evaluate(() => location.hash)).toContain('/chat');
      await p.keyboard.press('End');
      await p.waitForFunction(() => document.activeElement?.id === 'tab-waterfall' && location.hash.includes('/waterfall'));
      await p.keyboard.press('ArrowRight'); // wraps around
      await p.waitForFunction(() => document.activeElement?.id === 'tab-summary');
      // no interactive element nested in a <summary> anywhere in the chat
      await go(p, `#/s/${DEMO_SESSION_ID}/chat`, '.chat .msg.user');
      expect(await p.locator('summary a, summary button, summary input, summary select').count()).toBe(0);
      // the theme toggle: system → light → dark, remembered across a reload
      const toggle = p.locator('.theme-toggle');
      expect(await toggle.getAttribute('data-theme')).toBe('system');
      await toggle.click();
      await toggle.click();
      expect(await p.evaluate(() => [document.documentElement.dataset.theme, localStorage.getItem('agent-trace.theme')])).toEqual(['dark', 'dark']);
      const bg = () => p.evaluate(() => getComputedStyle(document.body).backgroundColor);
      expect(await bg()).toBe('rgb(15, 18, 23)');
      await p.reload();
      await p.locator('.chat .msg.user').first().waitFor();
      expect(await bg()).toBe('rgb(15, 18, 23)');
      expect(await p.locator('.theme-toggle').getAttribute('data-theme')).toBe('dark');
      // the time-split legend swatches have their colours (not the grey of the base rule)
      await go(p, `#/s/${DEMO_SESSION_ID}/summary`, '.summary .cards');
      const colours = await p.locator('.swatch.time-model, .swatch.time-tool').evaluateAll((els) => els.map((e) => getComputedStyle(e).backgroundColor));
      expect(colours.length).toBe(2);
      expect(new Set(colours).size).toBe(2);
      // the context size of every model call, the compaction marked
      const demo = store.load(DEMO_SESSION_ID)!.spans.filter((sp) => sp.kind === 'generation').length;
      expect(await p.locator('.context-chart .ctx-bar').count()).toBe(demo);
      expect(await p.locator('.context-chart .ctx-compaction').count()).toBe(1);
    } finally {
      await ctx.close();
    }
  });

  it('compresses idle gaps in the waterfall and zooms to a turn', async () => {
    const ctx = await newContext(1440, 'light');
    const p = await ctx.newPage();
    try {
      await go(p, `#/s/${IDLE}/waterfall`, '.wf-row:not([hidden])');
      // no selection: the detail panel takes no room
      expect(await p.locator('.wf-detail').isVisible()).toBe(false);
      await p.locator('.wf-gap-label').first().waitFor();
      expect(await p.locator('.wf-gap').count()).toBe(2);
      expect(await p.locator('.wf-gap-label').first().getAttribute('title')).toMatch(/^4 h later$/);
      // a turn's bar is wide enough to read once the idle time is out of the way
      const turn = spanIdFor(IDLE, 'turn', 'turn1');
      const wide = await p.locator(`.wf-row[data-id="${turn}"] .wf-bar`).evaluate((el) => el.getBoundingClientRect().width);
      await p.locator('.wf-toolbar label', { hasText: 'compress idle' }).locator('input').uncheck();
      await p.waitForFunction(() => document.querySelectorAll('.wf-gap').length === 0);
      const narrow = await p.locator(`.wf-row[data-id="${turn}"] .wf-bar`).evaluate((el) => el.getBoundingClientRect().width);
      expect(wide).toBeGreaterThan(narrow * 3);
      // per-turn zoom: the turn fills the lane
      await p.locator('select.turn-select').selectOption(turn);
      await p.locator('.wf-detail .detail-inner').waitFor();
      const lane = await p.locator('.wf-axis').evaluate((el) => el.getBoundingClientRect().width);
      const zoomed = await p.locator(`.wf-row[data-id="${turn}"] .wf-bar`).evaluate((el) => el.getBoundingClientRect().width);
      expect(zoomed).toBeGreaterThan(lane * 0.7);
      // the turn's critical path: what it waited on
      const waits = await p.locator('.wf-detail section', { hasText: 'What this turn waited on' }).textContent();
      expect(waits).toMatch(/Model\s*2\.89 s/);
      expect(waits).toMatch(/Tools\s*900 ms/);
      expect(await p.locator('.wf-detail .critical-list li').first().textContent()).toContain('claude-sonnet-4-5');
      // a model call's detail: what it received (the tool result since the previous call), tokens by kind
      await p.goto(`${base}/#/s/${IDLE}/waterfall/${spanIdFor(IDLE, 'generation', 'g1b')}`);
      const detail = p.locator('.wf-detail');
      await detail.locator('.ctx-list').waitFor();
      expect(await detail.locator('.ctx-item').textContent()).toContain('built 1');
      expect(await detail.locator('.tokens-table').textContent()).toMatch(/Cache read.*3,000/);
      expect(await detail.locator('h4', { hasText: /^Text$/ }).count()).toBe(0);
      // another span: the panel starts at its top
      await detail.evaluate((el) => (el.scrollTop = 200));
      await p.locator(`.wf-row[data-id="${spanIdFor(IDLE, 'generation', 'g0')}"]`).click();
      await detail.locator('.ctx-item', { hasText: 'needle0' }).waitFor();
      expect(await detail.evaluate((el) => el.scrollTop)).toBe(0);
    } finally {
      await ctx.close();
    }
  });

  it('moves through the chat: search with jump, turn skip, filters, expand and collapse all', async () => {
    const ctx = await newContext(1440, 'light');
    const p = await ctx.newPage();
    try {
      await go(p, `#/s/${IDLE}/chat`, '.chat .msg.user');
      // prompts as Markdown, with the images they carried
      expect(await p.locator('.chat .msg.user strong').first().textContent()).toBe('0');
      expect(await p.locator('.chat .msg.user .image-placeholder').textContent()).toBe('▣Image · image/png · 47.1 KB');
      expect(await p.locator('.chat .msg.user img.thumbnail').getAttribute('src')).toBe(`data:image/png;base64,${TINY_PNG}`);
      const search = p.locator('.chat-toolbar input.search');
      await search.fill('needle2');
      await search.press('Enter');
      await p.locator('.chat .search-hit', { hasText: 'needle2' }).waitFor();
      expect(await p.locator('.chat-toolbar .match-count').textContent()).toBe('1 / 1');
      // the turn outline beside the chat jumps to a turn
      expect(await p.locator('.chat-outline .outline-item').count()).toBe(3);
      await p.locator('.chat-scroll').evaluate((el) => (el.scrollTop = 0));
      await p.locator('.chat-outline .outline-item').nth(2).click();
      await p.locator('.chat .turn-sep.jump').waitFor();
      expect(await p.locator('.chat .turn-sep.jump').evaluate((el) => el.nextElementSibling?.textContent ?? '')).toContain('needle2');
      // a skip between turns: the turn header takes the focus
      await p.locator('.chat-scroll').evaluate((el) => (el.scrollTop = 0));
      await p.locator('.chat-toolbar button', { hasText: 'Turn ▸' }).click();
      await p.waitForFunction(() => document.activeElement?.classList.contains('turn-sep'));
      // hide tools, errors only
      expect(await p.locator('.chat details.tool-card').count()).toBe(3);
      await p.locator('.chat-toolbar label', { hasText: 'tools' }).locator('input').uncheck();
      await p.waitForFunction(() => document.querySelectorAll('.chat details.tool-card').length === 0);
      await p.locator('.chat-toolbar label', { hasText: 'tools' }).locator('input').check();
      await p.locator('.chat-toolbar label', { hasText: 'errors only' }).locator('input').check();
      await p.waitForFunction(() => document.querySelectorAll('.chat details.tool-card').length === 1);
      expect(await p.locator('.chat details.tool-card').getAttribute('class')).toContain('error');
      expect(await p.locator('.chat .turn-sep').count()).toBe(1);
      await p.locator('.chat-toolbar label', { hasText: 'errors only' }).locator('input').uncheck();
      await p.locator('.chat-toolbar button', { hasText: 'Expand all' }).click();
      await p.waitForFunction(() => [...document.querySelectorAll<HTMLDetailsElement>('.chat details.tool-card')].every((d) => d.open));
      // an image in a tool result: a placeholder with its type and size
      expect(await p.locator('.chat .tool-card .image-placeholder').textContent()).toBe('▣Image · image/jpeg · 2.9 KB');
      await p.locator('.chat-toolbar button', { hasText: 'Collapse all' }).click();
      await p.waitForFunction(() => [...document.querySelectorAll<HTMLDetailsElement>('.chat details.tool-card')].every((d) => !d.open));
    } finally {
      await ctx.close();
    }
  });
});
