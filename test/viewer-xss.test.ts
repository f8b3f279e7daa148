// Hostile text in every field of a trace must show up as text and never run, on every page of the viewer.
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningViewer } from '../viewer/server/app.js';
import { append, CHROMIUM, CHROMIUM_ARGS, startTestViewer, tempStore } from './viewer-helpers.js';

/** A payload per field, each trying several ways to run script; the field name tells which one ran. */
const X = (field: string) =>
  `${field}:<img src=x onerror="window.__xss='${field}'"><script>window.__xss='${field}'</script>` +
  `<svg onload="window.__xss='${field}'"></svg><iframe srcdoc="<script>parent.__xss='${field}'</script>"></iframe>` +
  `"><img src=x onerror=window.__xss='${field}'>'-alert(1)-'{{constructor.constructor('window.__xss=1')()}}`;
const MD = (field: string) =>
  `${X(field)}\n\n[click me](javascript:window.__xss='${field}-link') [data](data:text/html,<script>parent.__xss=1</script>) ` +
  `![pic](x" onerror="window.__xss='${field}-img') <a href="javascript:window.__xss=1">raw</a>\n\n` +
  '```html\n<script>window.__xss="code"</script>\n```\n\n<div onmouseover="window.__xss=1">html block</div>';

const XSS_ID = 'xss-session';
const XSS_ID_2 = `<img src=x onerror=window.__xss='id'>"'&`;

const { store, cleanup } = tempStore();
let browser: Browser;
let viewer: RunningViewer;
let base: string;
const dialogs: string[] = [];
const errors: string[] = [];

async function newPage(): Promise<Page> {
  const p = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  p.setDefaultTimeout(10_000);
  p.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  p.on('pageerror', (e) => errors.push(e.message));
  await p.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`));
  });
  return p;
}

/** Nothing ran, nothing was blocked trying, and no hostile element or attribute made it into the DOM. */
async function assertClean(p: Page, where: string): Promise<void> {
  const state = await p.evaluate(() => ({
    xss: (window as unknown as { __xss?: unknown }).__xss,
    csp: (window as unknown as { __csp: string[] }).__csp,
    hostile: document.querySelectorAll('img, iframe, object, embed, script:not([src="/app.js"]), [onerror], [onload], [onmouseover], [srcdoc]').length,
    jsLinks: [...document.querySelectorAll('a[href]')].filter((a) => /^\s*(javascript|data|vbscript):/i.test(a.getAttribute('href') ?? '')).length,
  }));
  expect(state.xss, where).toBeUndefined();
  expect(state.csp, where).toEqual([]);
  expect(state.hostile, where).toBe(0);
  expect(state.jsLinks, where).toBe(0);
  expect(dialogs, where).toEqual([]);
}

beforeAll(async () => {
  const t0 = Date.now() - 60_000;
  append(store, XSS_ID, [
    { type: 'session.start', agent: { name: X('agent'), version: X('version') }, title: X('title'), cwd: X('cwd'), gitBranch: X('branch'), model: X('model') },
    { type: 'turn.start', key: 'turn-1', prompt: X('prompt') },
    { type: 'generation.start', key: 'g1', model: X('genmodel') },
    {
      type: 'generation.end',
      key: 'g1',
      model: X('genmodel'),
      usage: { input: 10, output: 20 },
      output: { text: MD('text'), thinking: X('thinking'), toolCalls: [{ id: X('callid'), name: X('callname') }] },
      attributes: { [X('attrkey')]: X('attrvalue') },
    },
    { type: 'tool.start', key: 'tool-1', name: X('toolname'), input: { command: X('input'), [X('inputkey')]: X('inputvalue'), nested: { deep: [X('deep')] } } },
    { type: 'tool.end', key: 'tool-1', output: X('output') },
    { type: 'tool.start', key: 'tool-2', name: 'Bash', input: { command: X('command'), description: X('description') } },
    { type: 'tool.end', key: 'tool-2', error: X('error'), errorType: X('errortype') },
    { type: 'tool.start', key: 'tool-3', name: 'Edit', input: { file_path: X('editpath'), old_string: X('old'), new_string: X('new') } },
    { type: 'tool.end', key: 'tool-3', output: { [X('outkey')]: X('outvalue') } },
    { type: 'tool.start', key: 'tool-4', name: 'Write', input: { file_path: X('writepath'), content: X('content') } },
    { type: 'tool.end', key: 'tool-4', output: X('writeout') },
    { type: 'tool.start', key: 'tool-6', name: 'mcp__server__tool', input: { q: X('mcpinput') } },
    { type: 'tool.end', key: 'tool-6', output: [{ type: 'text', text: X('blocks') }] },
    { type: 'tool.start', key: 'tool-5', name: 'MultiEdit', input: { file_path: X('mepath'), edits: [{ old_string: X('meold'), new_string: X('menew') }] } },
    { type: 'tool.start', key: 'task-1', name: 'Task', input: { description: X('taskdesc'), prompt: X('taskprompt'), subagent_type: X('subtype') } },
    { type: 'subagent.start', key: 'sub-1', agentType: X('subtype'), parentToolKey: 'task-1', prompt: X('subprompt') },
    { type: 'generation.end', key: 'sg1', agentKey: 'sub-1', model: X('submodel'), output: { text: MD('subtext') } },
    { type: 'subagent.end', key: 'sub-1', output: X('suboutput') },
    { type: 'tool.end', key: 'task-1', output: X('taskoutput') },
    { type: 'text', role: 'assistant', text: MD('textevent') },
    { type: 'notification', message: X('notification') },
    { type: 'permission', message: X('permission'), toolName: X('permtool') },
    { type: 'api.error', message: X('apierror') },
    { type: 'interrupt', message: X('interrupt') },
    { type: 'compaction.end', key: 'c1', trigger: X('trigger'), tokensBefore: 100, tokensAfter: 10, summary: X('summary') },
    { type: 'turn.end', key: 'turn-1', output: MD('turnoutput') },
    { type: 'turn.start', key: 'turn-2', prompt: MD('prompt2') },
    { type: 'turn.end', key: 'turn-2', output: MD('turnoutput2') },
    { type: 'session.crash', reason: X('crash'), error: X('crasherror') },
  ], t0);
  append(store, XSS_ID_2, [{ type: 'session.start', title: X('title2') }, { type: 'turn.start', prompt: X('prompt3') }], t0 - 1000);
  [browser, viewer] = await Promise.all([chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true }), startTestViewer(store)]);
  base = viewer.url.replace(/\/$/, '');
});

afterAll(async () => {
  await browser?.close();
  await viewer?.close();
  cleanup();
});

describe('hostile trace text', () => {
  it('never runs on the session list, and shows as text', async () => {
    const p = await newPage();
    await p.goto(`${base}/#/`);
    await p.locator('tr.session-row').nth(1).waitFor();
    await assertClean(p, 'list');
    const text = await p.locator('table.sessions').innerText();
    expect(text).toContain(`title:<img src=x onerror="window.__xss='title'">`);
    expect(text).toContain('cwd:<img src=x');
    expect(text).toContain('branch:<img src=x');
    expect(text).toContain('agent:<img');
    await p.locator('.list-toolbar input.search').fill(`<img src=x onerror=window.__xss='search'>`);
    await p.waitForTimeout(300);
    await assertClean(p, 'list search');
    await p.goto(`${base}/#/?q=${encodeURIComponent('<svg onload=window.__xss=1>')}&status=${encodeURIComponent('"><img src=x onerror=window.__xss=1>')}`);
    await p.waitForTimeout(300);
    await assertClean(p, 'list query');
    await p.close();
  });

  it('never runs in the Summary tab', async () => {
    for (const id of [XSS_ID, XSS_ID_2]) {
      const p = await newPage();
      await p.goto(`${base}/#/s/${encodeURIComponent(id)}/summary`);
      await p.locator('.summary h1').waitFor();
      await p.locator('.summary details').evaluateAll((ds) => ds.forEach((d) => ((d as HTMLDetailsElement).open = true)));
      await assertClean(p, `summary ${id}`);
      const text = await p.locator('.summary').innerText();
      expect(text).toContain(id === XSS_ID ? "title:<img src=x onerror=\"window.__xss='title'\">" : 'title2:<img');
      if (id === XSS_ID) {
        expect(text).toContain("crash:<img src=x onerror=\"window.__xss='crash'\">");
        expect(text).toContain('toolname:<img');
        expect(await p.title()).toContain('title:<img');
      }
      await p.close();
    }
  });

  it('never runs in the Chat tab, with every card open and markdown rendered without HTML', async () => {
    const p = await newPage();
    await p.goto(`${base}/#/s/${XSS_ID}/chat`);
    await p.locator('.chat .msg.user').first().waitFor();
    // open every collapsible block (tool bodies are built on first open), twice for nested ones
    for (let i = 0; i < 4; i++) {
      await p.locator('.chat details:not([open]) > summary').evaluateAll((ss) => ss.forEach((s) => (s as HTMLElement).click()));
      // bodies are built on the (asynchronous) toggle event
      await p.waitForFunction(() => [...document.querySelectorAll('.chat details[open]')].every((d) => d.children.length > 1));
    }
    expect(await p.locator('.chat details:not([open])').count()).toBe(0);
    await assertClean(p, 'chat');
    const text = (await p.locator('.chat').textContent())!; // (innerText skips content-visibility:auto blocks)
    for (const field of ['prompt', 'text', 'thinking', 'toolname', 'inputvalue', 'inputkey', 'output', 'command', 'error', 'old', 'new', 'content', 'meold', 'subprompt', 'subtext', 'textevent', 'notification', 'apierror', 'interrupt', 'summary', 'turnoutput2', 'prompt2', 'mcpinput']) {
      expect(text, field).toContain(`${field}:<img src=x`);
    }
    // text blocks of a tool result are shown as their text
    expect(text).toContain("blocks:<img src=x onerror=\"window.__xss='blocks'\">");
    expect(text).not.toContain('"type": "text"');
    // markdown kept the link text but not the javascript: link, and rendered the code block as code
    expect(text).toContain('click me');
    expect(await p.locator('.chat .msg-text pre code').first().textContent()).toContain('<script>window.__xss="code"</script>');
    expect(await p.locator('.chat .msg-text div[onmouseover]').count()).toBe(0);
    await p.close();
  });

  it('never runs in the Waterfall tab, its detail panel or its search', async () => {
    const p = await newPage();
    await p.goto(`${base}/#/s/${XSS_ID}/waterfall`);
    await p.locator('.wf-row:not([hidden])').first().waitFor();
    const ids = await p.locator('.wf-row:not([hidden])').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.id!));
    expect(ids.length).toBeGreaterThan(10);
    for (const id of ids) {
      await p.locator(`.wf-row[data-id="${id}"]`).click();
      await p.locator('.wf-detail details').evaluateAll((ds) => ds.forEach((d) => ((d as HTMLDetailsElement).open = true)));
      await p.locator('.wf-detail .show-all').evaluateAll((bs) => bs.forEach((b) => (b as HTMLElement).click()));
      await assertClean(p, `waterfall detail ${id}`);
    }
    const rows = await p.locator('.wf-layer').innerText();
    expect(rows).toContain('toolname:<img');
    await p.locator('.wf-toolbar input.search').fill(`<img src=x onerror="window.__xss='toolname'">`);
    await p.locator('.wf-toolbar input.search').press('Enter');
    await p.waitForFunction(() => document.querySelectorAll('.wf-row mark').length > 0);
    await assertClean(p, 'waterfall search');
    // a hostile span id in the URL is only ever text
    await p.goto(`${base}/#/s/${XSS_ID}/waterfall/${encodeURIComponent('"><img src=x onerror=window.__xss=1>')}`);
    await p.waitForTimeout(200);
    await assertClean(p, 'waterfall hostile span id');
    await p.close();
    expect(errors).toEqual([]);
  });
});
