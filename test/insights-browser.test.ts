// The Insights and Search pages in real Chromium: they render from real HTTP, every number leads to the
// filtered sessions behind it, a hit opens its span, axe finds nothing serious, and nothing leaves the origin.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningViewer } from '../viewer/server/app.js';
import { generated } from './insights-helpers.js';
import { CHROMIUM, CHROMIUM_ARGS, startTestViewer, tempStore } from './viewer-helpers.js';

const { dir, cleanup } = tempStore('agent-trace-insights-browser-');
const store = generated(dir);
let browser: Browser;
let viewer: RunningViewer;
let context: BrowserContext;
const problems: string[] = [];
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

beforeAll(async () => {
  viewer = await startTestViewer(store);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
  });
});

afterAll(async () => {
  await browser?.close();
  await viewer?.close();
  cleanup();
});

async function newPage(): Promise<Page> {
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('request', (r) => {
    if (!r.url().startsWith(viewer.url) && !r.url().startsWith('data:')) problems.push(`request outside the viewer: ${r.url()}`);
  });
  return page;
}

async function openInsights(page: Page, query = 'range=all'): Promise<void> {
  await page.goto(`${viewer.url}#/insights?${query}`);
  await page.locator('.insights[aria-busy="false"]').waitFor();
}

/** Serious and critical axe violations on the current page (axe runs in a context without the CSP). */
async function axeViolations(hash: string, ready: string): Promise<string[]> {
  const ctx = await browser.newContext({ bypassCSP: true, viewport: { width: 1400, height: 1000 } });
  try {
    const page = await ctx.newPage();
    await page.goto(`${viewer.url}${hash}`);
    await page.locator(ready).first().waitFor();
    await page.addScriptTag({ content: AXE });
    const found = (await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> } }).axe;
      const result = await axe.run(document, { resultTypes: ['violations'] });
      return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
    })) as Array<{ id: string; impact: string; nodes: string[] }>;
    return found.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.nodes.join(', ')}`);
  } finally {
    await ctx.close();
  }
}

describe.skipIf(!CHROMIUM)('Insights page', () => {
  it('renders totals, labelled charts with a data table, and the top lists from the header link', async () => {
    const page = await newPage();
    await page.goto(`${viewer.url}#/`);
    await page.getByRole('link', { name: 'Insights' }).click();
    await page.locator('.insights[aria-busy="false"]').waitFor();
    // default range is the last 30 days: the generated sessions are older or newer depending on today
    await page.selectOption('select[name="range"]', 'all');
    await page.waitForFunction(() => location.hash.includes('range=all'));
    await page.locator('.insights[aria-busy="false"] .stat-value >> text="4"').waitFor();
    const charts = page.locator('.chart canvas[role="img"]');
    expect(await charts.count()).toBe(2);
    expect(await charts.first().getAttribute('aria-label')).toMatch(/^Cost, per day, stacked by model: \$[\d.]+ in total over 10 periods/);
    const table = page.locator('.chart-table table').first();
    expect(await table.locator('tbody tr').count()).toBe(10);
    expect(await page.locator('section[aria-label="Tools"] tbody tr').count()).toBe(3);
    expect(await page.locator('section[aria-label="Most expensive turns"] a').count()).toBeGreaterThan(0);
    await page.close();
  });

  it('every number leads to the filtered session list, with its totals', async () => {
    const page = await newPage();
    await openInsights(page);
    await page.locator('section[aria-label="Top projects"] a', { hasText: 'blog' }).click();
    await page.waitForFunction(() => location.hash.startsWith('#/search?') && location.hash.includes('project=%2Fwork%2Fblog'));
    await page.locator('.search-session').first().waitFor();
    expect(await page.locator('.search-session').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.session).sort())).toEqual(['delta', 'gamma']);
    expect(await page.locator('.totals-table tbody td').first().textContent()).toBe('2');
    expect(await page.locator('select[name="project"]').inputValue()).toBe('/work/blog');

    // a failure count leads to the sessions with that tool's failures
    await openInsights(page);
    await page.locator('section[aria-label="Tools"] a.has-errors').click();
    await page.waitForFunction(() => location.hash.includes('tool=exec_command') && location.hash.includes('errors=1'));
    await page.locator('.search-session[data-session="gamma"]').waitFor();
    expect(await page.locator('.search-session').count()).toBe(1);

    // a chart period (through its table) leads to that day's sessions of that model
    await openInsights(page);
    await page.locator('.chart-table summary').first().click();
    await page.locator('.chart-table table a[href*="model=claude-opus-4-5"]').first().click();
    await page.waitForFunction(() => location.hash.includes('since=') && location.hash.includes('model=claude-opus-4-5'));
    await page.locator('.search-session[data-session="beta"]').waitFor();
    expect(await page.locator('.search-session').count()).toBe(1);
    await page.close();
  });

  it('has no serious accessibility violation (axe)', async () => {
    expect(await axeViolations('#/insights?range=all', '.insights[aria-busy="false"] canvas')).toEqual([]);
  });
});

describe.skipIf(!CHROMIUM)('Search page', () => {
  it('finds planted content, keeps the query and filters in the URL, and opens a hit at its span', async () => {
    const page = await newPage();
    await page.goto(`${viewer.url}#/`);
    await page.getByRole('link', { name: 'Search' }).click();
    await page.getByRole('searchbox', { name: 'Search every session' }).fill('quokkasentinel');
    await page.waitForFunction(() => location.hash === '#/search?q=quokkasentinel');
    const hit = page.locator('.result-hit[data-field="tool_output"]');
    await hit.waitFor();
    expect(await hit.locator('mark').textContent()).toBe('quokkasentinel');
    const spanId = await hit.getAttribute('data-span');
    const doc = store.load('alpha')!;
    expect(doc.spans.find((s) => s.spanId === spanId)?.kind).toBe('tool');

    await page.getByRole('checkbox').check();
    await page.waitForFunction(() => location.hash.includes('errors=1'));
    await page.locator('.empty-title').waitFor();
    await page.getByRole('checkbox').uncheck();
    await hit.waitFor();
    await hit.click();
    await page.waitForFunction((id) => location.hash === `#/s/alpha/waterfall/${id}`, spanId);
    await page.locator(`.wf-row[aria-selected="true"]`).waitFor();
    await page.close();
  });

  it('has no serious accessibility violation (axe)', async () => {
    expect(await axeViolations('#/search?q=Looking', '.result-hit')).toEqual([]);
  });

  it('loaded nothing from outside the viewer and broke no CSP rule', () => {
    expect(problems).toEqual([]);
  });
});
