// The Summary's cost and the detail panel's unknowns in real Chromium: which prices are estimates and why,
// the 1-hour cache writes, and what was not recorded said in words instead of 0 ms / 0 calls.
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spanIdFor } from '../src/model/ids.js';
import type { RunningViewer } from '../viewer/server/app.js';
import { append, CHROMIUM, CHROMIUM_ARGS, startTestViewer, tempStore } from './viewer-helpers.js';

const { store, cleanup } = tempStore();
let browser: Browser;
let viewer: RunningViewer;
let page: Page;
const ID = 'numbers-session';
const T0 = Date.parse('2026-06-01T10:00:00Z');

beforeAll(async () => {
  append(store, ID, [
    { type: 'session.start', agent: { name: 'claude-code', version: '2.1.90' }, provider: 'anthropic', title: 'Price check', time: T0 },
    { type: 'turn.start', key: 't1', prompt: 'price me', time: T0 + 1 },
    { type: 'generation.end', key: 'm1', startTime: T0 + 2, time: T0 + 900, model: 'claude-opus-4-6', usage: { input: 1000, output: 100, cacheWrite: 3000, cacheWrite1h: 2000 }, output: { text: 'a', toolCalls: [{ id: 'toolu_task', name: 'Task' }] } },
    { type: 'tool.start', key: 'toolu_task', name: 'Task', input: { prompt: 'look', subagent_type: 'Explore' }, time: T0 + 950 },
    { type: 'subagent.start', key: 'agent-gone', agentType: 'Explore', parentToolKey: 'toolu_task', time: T0 + 30_000 },
    { type: 'subagent.end', key: 'agent-gone', time: T0 + 30_000 },
    { type: 'tool.end', key: 'toolu_task', output: 'done', time: T0 + 30_000 },
    { type: 'tool.start', key: 'toolu_task2', name: 'Task', input: { prompt: 'read', subagent_type: 'Reader' }, time: T0 + 30_010 },
    { type: 'subagent.start', key: 'agent-inline', agentType: 'Reader', parentToolKey: 'toolu_task2', time: T0 + 30_020 },
    { type: 'generation.end', key: 'm-inline', agentKey: 'agent-inline', startTime: T0 + 30_030, time: T0 + 30_040, model: 'claude-haiku-4-5', usage: { input: 10, output: 3 }, attributes: { 'agent_trace.usage.provisional': true } },
    { type: 'subagent.end', key: 'agent-inline', time: T0 + 30_050 },
    { type: 'tool.end', key: 'toolu_task2', output: 'read', time: T0 + 30_060 },
    { type: 'tool.start', key: 'ws_1', name: 'web_search', time: T0 + 30_100 },
    { type: 'tool.end', key: 'ws_1', time: T0 + 30_100, attributes: { 'agent_trace.duration_unknown': true } },
    { type: 'generation.end', key: 'm2', startTime: T0 + 30_200, time: T0 + 31_000, model: 'claude-haiku-9', usage: { input: 1000, output: 100 } },
    { type: 'generation.end', key: 'm3', startTime: T0 + 31_100, time: T0 + 32_000, model: 'house-model-x', usage: { input: 1000, output: 100 } },
    { type: 'turn.end', key: 't1', time: T0 + 32_100 },
    { type: 'session.end', time: T0 + 33_000 },
  ]);
  [browser, viewer] = await Promise.all([chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true }), startTestViewer(store)]);
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(10_000);
});

afterAll(async () => {
  await browser?.close();
  await viewer?.close();
  cleanup();
});

async function open(hash: string): Promise<void> {
  await page.goto(`${viewer.url.replace(/\/$/, '')}/${hash}`);
  await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
}

describe('the numbers in the viewer', () => {
  it('the Summary says which prices are estimates and why, and keeps the 1-hour cache writes apart', async () => {
    await open(`#/s/${ID}/summary`);
    const summary = page.locator('.summary');
    await summary.locator('.price-source').waitFor();
    expect(await summary.locator('.stat-cost .stat-sub').textContent()).toBe('partly estimated: see Estimated cost');
    expect(await summary.locator('.price-source').textContent()).toMatch(/@pydantic\/genai-prices 0\.1\.8 \(prices as of \d{4}-\d{2}-\d{2}\)/);
    const notes = await summary.locator('.price-notes li').allTextContents();
    expect(notes).toContain("claude-haiku-9 (1 call): not in the price source; priced as its family's claude-haiku-4-5 * (family fallback).");
    expect(notes).toContain('house-model-x (1 call): unknown model, no price; not counted in the cost.');
    expect(await summary.textContent()).toContain('of the cache writes, 1 hour');
    const subagents = await summary.locator('.card:has(h3:text("Subagents")) tbody tr').allTextContents();
    expect(subagents.find((r) => r.includes('Explore'))).toContain('transcript missing: duration, calls, tools and tokens not known');
    expect(subagents.find((r) => r.includes('Reader'))).toMatch(/≈ 13$/); // its output count is provisional
    const tools = await summary.locator('.tools-table tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].slice(0, 4).map((td) => td.textContent)));
    expect(tools).toContainEqual(['web_search', '1', '0', 'unknown']);
  });

  it('the detail panel says unknown instead of 0 ms, and why a price is an estimate', async () => {
    await open(`#/s/${ID}/waterfall/${spanIdFor(ID, 'subagent', 'agent-gone')}`);
    const detail = page.locator('.wf-detail');
    await detail.locator('dl').first().waitFor();
    expect(await detail.textContent()).toContain('unknown (not recorded by the source)');
    expect(await detail.textContent()).toContain('its transcript is missing');
    await open(`#/s/${ID}/waterfall/${spanIdFor(ID, 'generation', 'm2')}`);
    await detail.locator('dl').first().waitFor();
    await page.waitForFunction(() => document.querySelector('.wf-detail')?.textContent?.includes('claude-haiku-4-5'));
    expect(await detail.textContent()).toContain('model not in the price source, priced as claude-haiku-4-5');
  });

  it('the waterfall and the chat say a duration the source did not record is unknown, never 0 ms', async () => {
    await open(`#/s/${ID}/waterfall`);
    const row = page.locator(`.wf-row[data-id="${spanIdFor(ID, 'tool', 'ws_1')}"]`);
    await row.waitFor();
    expect(await row.locator('.wf-dur').textContent()).toBe('duration unknown');
    await open(`#/s/${ID}/chat`);
    const card = page.locator('.chat .tool-card', { hasText: 'web_search' }).first();
    await card.waitFor();
    expect(await card.textContent()).toContain('duration unknown');
    expect(await card.textContent()).not.toMatch(/\b0 ms\b/);
  });
});
