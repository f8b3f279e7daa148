// stats and search across sessions: totals against the sessions' own summaries (through the real CLI), search
// hits against planted content in generated and real imported sessions, and an index that follows the store.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { TraceDocument } from '../src/model/trace.js';
import type { StatsResult } from '../src/model/usage-stats.js';
import { makeSnippet, queryTerms } from '../src/model/search-text.js';
import { ftsQuery, InsightsIndex, INDEX_FILE, type SearchResult } from '../src/store/insights-index.js';
import { SessionStore } from '../src/store/session-store.js';
import { BASE, DAY, generated } from './insights-helpers.js';

const run = promisify(execFile);
const BIN = join(__dirname, '..', 'dist/bin/agent-trace.js');
const FIXTURES = join(__dirname, '..', '..', 'shared', 'fixtures');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'agent-trace-insights-'));
  dirs.push(d);
  return d;
}

async function cli(dir: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [BIN, '--dir', dir, ...args], { env: { ...process.env, NO_COLOR: '1', TZ: 'UTC' } });
  return stdout;
}

function sumSummaries(docs: TraceDocument[]) {
  const sum = { sessions: docs.length, turns: 0, generations: 0, toolCalls: 0, toolErrors: 0, input: 0, output: 0, cacheRead: 0, cacheWrite: 0, cost: 0 };
  for (const d of docs) {
    const s = d.summary;
    sum.turns += s.turns;
    sum.generations += s.generations;
    sum.toolCalls += s.toolCalls;
    sum.toolErrors += s.toolErrors;
    sum.input += s.tokens.input;
    sum.output += s.tokens.output;
    sum.cacheRead += s.tokens.cacheRead;
    sum.cacheWrite += s.tokens.cacheWrite;
    sum.cost += s.cost?.usd ?? 0;
  }
  return sum;
}

function totalsOf(r: StatsResult['totals']) {
  return { sessions: r.sessions, turns: r.turns, generations: r.generations, toolCalls: r.toolCalls, toolErrors: r.toolErrors, input: r.tokens.input, output: r.tokens.output, cacheRead: r.tokens.cacheRead, cacheWrite: r.tokens.cacheWrite, cost: r.costUsd };
}

/** Every session's `show --json`, through the CLI. */
async function shown(dir: string): Promise<TraceDocument[]> {
  const list = JSON.parse(await cli(dir, 'list', '--json')) as Array<{ sessionId: string }>;
  return Promise.all(list.map(async (s) => JSON.parse(await cli(dir, 'show', s.sessionId, '--json')) as TraceDocument));
}

function expectTotalsEqual(stats: StatsResult, docs: TraceDocument[]): void {
  const expected = sumSummaries(docs);
  const got = totalsOf(stats.totals);
  expect({ ...got, cost: undefined }).toEqual({ ...expected, cost: undefined });
  expect(got.cost).toBeCloseTo(expected.cost, 5);
  // the groups add up to the totals too
  const groupCost = stats.rows.reduce((a, r) => a + r.costUsd, 0);
  expect(groupCost).toBeCloseTo(expected.cost, 5);
}

describe('agent-trace stats', () => {
  const dir = tempDir();
  generated(dir);

  it('totals equal the sum of the sessions’ show --json summaries, for every grouping', async () => {
    const docs = await shown(dir);
    expect(docs).toHaveLength(4);
    for (const by of ['day', 'week', 'month', 'session', 'project', 'agent', 'model', 'branch']) {
      const stats = JSON.parse(await cli(dir, 'stats', '--by', by, '--json')) as StatsResult;
      expectTotalsEqual(stats, docs);
      if (by !== 'model') expect(stats.rows.reduce((a, r) => a + r.sessions, 0)).toBe(4);
    }
  });

  it('groups by local day, model and tool, within --since/--until', async () => {
    const byDay = JSON.parse(await cli(dir, 'stats', '--json')) as StatsResult;
    expect(byDay.rows.map((r) => [r.key, r.sessions])).toEqual([['2026-11-02', 2], ['2026-11-03', 1], ['2026-11-11', 1]]);
    const byWeek = JSON.parse(await cli(dir, 'stats', '--by', 'week', '--json')) as StatsResult;
    expect(byWeek.rows.map((r) => [r.key, r.sessions])).toEqual([['2026-11-02', 3], ['2026-11-09', 1]]);
    const ranged = JSON.parse(await cli(dir, 'stats', '--since', '2026-11-03', '--until', '20261103', '--json')) as StatsResult;
    expect(ranged.totals.sessions).toBe(1);
    expect(ranged.rows.map((r) => r.key)).toEqual(['2026-11-03']);
    const byModel = JSON.parse(await cli(dir, 'stats', '--by', 'model', '--json')) as StatsResult;
    const sonnet = byModel.rows.find((r) => r.key === 'claude-sonnet-4-5')!;
    expect(sonnet.generations).toBe(2);
    expect(sonnet.tokens).toEqual({ input: 110, output: 250, cacheRead: 11_000, cacheWrite: 1_000, reasoning: 0 });
    expect(byModel.rows.find((r) => r.key === 'some-unpriced-model')!.unpricedSessions).toBe(1);
    const byTool = JSON.parse(await cli(dir, 'stats', '--by', 'tool', '--json')) as StatsResult;
    expect(byTool.rows.find((r) => r.key === 'exec_command')).toMatchObject({ toolCalls: 1, toolErrors: 1, failureRate: 1 });
  });

  it('prints a table without colour when not on a terminal, and CSV with a total line', async () => {
    const { stdout: text, stderr } = await run(process.execPath, [BIN, '--dir', dir, 'stats', '--by', 'project'], { env: { ...process.env, NO_COLOR: '1', TZ: 'UTC' } });
    // node:sqlite's experimental warning (Node 22) is not the user's business
    expect(stderr).toBe('');
    expect(text).not.toMatch(/\u001b\[/);
    expect(text).toMatch(/^PROJECT\s+SESSIONS/);
    expect(text).toMatch(/\nTotal\s+4\s/);
    const csv = (await cli(dir, 'stats', '--by', 'agent', '--csv')).trim().split('\n');
    expect(csv[0]).toMatch(/^key,label,sessions,turns,model_calls/);
    expect(csv.at(-1)).toMatch(/^total,,4,4,8,3,1,/);
  });

  it('refuses a bad grouping or date with a usage error', async () => {
    await expect(cli(dir, 'stats', '--by', 'year')).rejects.toMatchObject({ code: 2 });
    await expect(cli(dir, 'stats', '--since', 'yesterday')).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/YYYY-MM-DD/) });
  });

  it.skipIf(!existsSync(FIXTURES))('totals equal the summed summaries of the real recorded sessions (../shared/fixtures)', async () => {
    const real = tempDir();
    await cli(real, 'import', join(FIXTURES, 'claude-code/transcripts'), join(FIXTURES, 'codex'), join(FIXTURES, 'gemini'), join(FIXTURES, 'opencode/exports'));
    const docs = await shown(real);
    expect(docs.length).toBeGreaterThanOrEqual(8);
    for (const by of ['day', 'model', 'project']) expectTotalsEqual(JSON.parse(await cli(real, 'stats', '--by', by, '--json')) as StatsResult, docs);
  });
});

describe('agent-trace stats against ccusage', () => {
  // `ccusage@17.2.1 daily --json --offline --breakdown` (TZ=UTC) on the Claude Code transcripts of ../shared/fixtures:
  // input and cache tokens per day and model. Output tokens differ on purpose (docs/insights.md): ccusage keeps
  // the first transcript line of each response, whose output count is partial, and it does not see the usage of
  // subagent messages that arrive inline (agent_progress), which the 2026-02-10 session's haiku calls are.
  const CCUSAGE = [
    { date: '2025-10-10', model: 'claude-sonnet-4-5-20250929', input: 34, cacheWrite: 25_250, cacheRead: 34_474 },
    { date: '2025-10-12', model: 'claude-sonnet-4-5-20250929', input: 25, cacheWrite: 12_593, cacheRead: 148_958 },
    { date: '2026-02-10', model: 'claude-opus-4-6', input: 1_633, cacheWrite: 57_373, cacheRead: 527_032 },
  ];

  it.skipIf(!existsSync(FIXTURES))('agrees on input and cache tokens per day and model for the same transcripts', async () => {
    const dir = tempDir();
    await cli(dir, 'import', join(FIXTURES, 'claude-code/transcripts'));
    const store = new SessionStore(dir);
    const index = new InsightsIndex(store);
    index.refresh();
    const facts = index.facts();
    index.close();
    for (const row of CCUSAGE) {
      const day = facts.filter((f) => new Date(f.startTime).toISOString().slice(0, 10) === row.date);
      const sum = { input: 0, cacheWrite: 0, cacheRead: 0 };
      for (const f of day) {
        const m = f.byModel[row.model];
        if (!m) continue;
        sum.input += m.tokens.input;
        sum.cacheWrite += m.tokens.cacheWrite;
        sum.cacheRead += m.tokens.cacheRead;
      }
      expect(sum, `${row.date} ${row.model}`).toEqual({ input: row.input, cacheWrite: row.cacheWrite, cacheRead: row.cacheRead });
    }
  });
});

describe('search across sessions', () => {
  const find = (r: SearchResult, sessionId: string, field: string) => r.hits.find((h) => h.sessionId === sessionId && h.field === field);

  it('finds planted prompts, tool outputs, file paths and errors, and names the span', () => {
    const dir = tempDir();
    const store = generated(dir);
    const index = new InsightsIndex(store);
    index.refresh();
    const doc = (id: string) => store.load(id)!;
    const cases: Array<[string, string, string, string]> = [
      ['zebramigration', 'alpha', 'prompt', 'turn'],
      ['quokkasentinel', 'alpha', 'tool_output', 'tool'],
      ['planted/walrus-cart.ts', 'beta', 'path', 'tool'],
      ['ECONNREFUSED flamingohost', 'gamma', 'error', 'tool'],
    ];
    for (const [q, id, field, kind] of cases) {
      const r = index.search({ q });
      expect(r.sessions.map((s) => s.facts.sessionId), q).toEqual([id]);
      const hit = find(r, id, field);
      expect(hit, `${q} as ${field}`).toBeDefined();
      expect(doc(id).spans.find((s) => s.spanId === hit!.spanId)?.kind).toBe(kind);
      expect(hit!.snippet).toMatch(/\u0001.+\u0002/);
    }
    // structured filters, and totals of what is filtered
    expect(index.search({ q: 'Looking', agent: 'codex' }).sessions.map((s) => s.facts.sessionId)).toEqual(['gamma']);
    expect(index.search({ q: 'Looking', errors: true }).sessions.map((s) => s.facts.sessionId)).toEqual(['gamma']);
    expect(index.search({ q: 'Looking', project: '/work/shop', branch: 'main' }).sessions.map((s) => s.facts.sessionId)).toEqual(['alpha']);
    const filtered = index.search({ tool: 'Edit' });
    expect(filtered.sessions.map((s) => s.facts.sessionId)).toEqual(['beta']);
    expect(filtered.totals).toMatchObject({ sessions: 1, toolCalls: 1, generations: 2 });
    // nothing a person types is query syntax
    expect(index.search({ q: 'NEAR( "unbalanced * OR' }).sessions).toEqual([]);
    index.close();
  });

  it('quotes every query and marks matches (as word starts, accents folded) in a snippet cut around the first', () => {
    expect(ftsQuery('deploy "npm run" x"y')).toBe('"deploy"* "npm run" "x""y"*');
    const text = `${'padding '.repeat(40)}the Café opened; a cafeteria, not encafé, then café again ${'tail '.repeat(60)}`;
    const snip = makeSnippet(text, queryTerms('cafe'));
    expect(snip.startsWith('…') && snip.endsWith('…')).toBe(true);
    expect(snip.match(/\u0001[^\u0002]*\u0002/g)).toEqual(['\u0001Café\u0002', '\u0001cafe\u0002', '\u0001café\u0002']);
  });

  it('follows the store: new spans, removed sessions, and an index that is deleted or corrupt is rebuilt', () => {
    const dir = tempDir();
    const store = generated(dir);
    let index = new InsightsIndex(store);
    index.refresh();
    expect(index.search({ q: 'pelicanlate' }).sessions).toEqual([]);
    store.append([
      { type: 'tool.start', sessionId: 'delta', time: BASE + 9 * DAY + 100, key: 'late', name: 'Read', input: { file_path: '/work/blog/pelicanlate.md' } },
      { type: 'tool.end', sessionId: 'delta', time: BASE + 9 * DAY + 101, key: 'late', output: 'late text' },
    ]);
    const { indexed } = index.refresh();
    expect(indexed).toEqual(['delta']);
    expect(index.search({ q: 'pelicanlate' }).sessions.map((s) => s.facts.sessionId)).toEqual(['delta']);
    expect(index.refresh().indexed).toEqual([]);

    rmSync(store.folder('beta'), { recursive: true });
    expect(index.refresh().removed).toEqual(['beta']);
    expect(index.search({ q: 'walrus' }).sessions).toEqual([]);
    // it holds prompts and outputs: readable by its owner only, like the traces
    expect(statSync(join(dir, INDEX_FILE)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, `${INDEX_FILE}-wal`)).mode & 0o777).toBe(0o600);
    index.close();

    rmSync(join(dir, INDEX_FILE));
    index = new InsightsIndex(store);
    expect(index.refresh().indexed.sort()).toEqual(['alpha', 'delta', 'gamma']);
    expect(index.search({ q: 'quokkasentinel' }).sessions).toHaveLength(1);
    index.close();

    writeFileSync(join(dir, INDEX_FILE), 'this is not a database'.repeat(100));
    for (const suffix of ['-wal', '-shm']) rmSync(join(dir, INDEX_FILE + suffix), { force: true });
    index = new InsightsIndex(store);
    expect(index.refresh().indexed).toHaveLength(3);
    expect(index.search({ q: 'flamingohost' }).sessions).toHaveLength(1);
    index.close();
  });

  it('a second process sees what the first indexed, and the CLI prints hits as JSON', async () => {
    const dir = tempDir();
    generated(dir);
    const result = JSON.parse(await cli(dir, 'search', 'quokkasentinel', '--json')) as SearchResult;
    expect(result.totalHits).toBe(1);
    expect(result.hits[0]).toMatchObject({ sessionId: 'alpha', field: 'tool_output' });
    const none = await cli(dir, 'search', 'nothing-like-this-anywhere');
    expect(none).toMatch(/nothing matches/);
  });

  it.skipIf(!existsSync(FIXTURES))('finds content of the real recorded sessions (../shared/fixtures)', async () => {
    const dir = tempDir();
    await cli(dir, 'import', join(FIXTURES, 'claude-code/transcripts'), join(FIXTURES, 'gemini'));
    const index = new InsightsIndex(new SessionStore(dir));
    index.refresh();
    const prompt = index.search({ q: 'phx.server' });
    expect(prompt.hits.some((h) => h.field === 'prompt')).toBe(true);
    const path = index.search({ q: 'README.zh-TW.md' });
    expect(path.hits.some((h) => h.field === 'path' && h.snippet.replace(/[\u0001\u0002]/g, '').includes('README.zh-TW.md'))).toBe(true);
    const errors = index.search({ q: '', errors: true });
    expect(errors.sessions.length).toBeGreaterThan(0);
    const someError = index.search({ q: 'error', errors: true });
    expect(someError.hits.length).toBeGreaterThan(0);
    index.close();
  });
});

describe('viewer API: /api/stats and /api/search', () => {
  it('answers over real HTTP with the same totals as the CLI, and refuses what its schemas do not allow', async () => {
    const dir = tempDir();
    const store = generated(dir);
    const { startTestViewer } = await import('./viewer-helpers.js');
    const viewer = await startTestViewer(store);
    try {
      const get = async (path: string) => {
        const res = await fetch(`${viewer.url}${path}`);
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      const cliStats = JSON.parse(await cli(dir, 'stats', '--by', 'agent', '--json')) as StatsResult;
      const api = await get('api/stats?by=agent');
      expect(api.status).toBe(200);
      expect((api.body as unknown as StatsResult).totals).toEqual(cliStats.totals);
      const overview = await get('api/stats/overview?stack=project&bucket=week&agent=claude-code');
      expect((overview.body.totals as { sessions: number }).sessions).toBe(2);
      const search = await get('api/search?q=flamingohost&errors=1');
      const hits = search.body.hits as Array<{ sessionId: string; field: string }>;
      expect(new Set(hits.map((h) => h.sessionId))).toEqual(new Set(['gamma']));
      expect(hits.some((h) => h.field === 'error')).toBe(true);
      expect((await get('api/stats?by=year')).status).toBe(400);
      expect((await get('api/search?limit=0')).status).toBe(400);
      expect((await get('api/stats/overview?since=yesterday')).status).toBe(400);
    } finally {
      await viewer.close();
    }
  });
});
