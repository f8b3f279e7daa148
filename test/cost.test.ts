import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PRICE_SOURCE, priceCall } from '../src/model/pricing.js';
import type { TraceDocument } from '../src/model/trace.js';
import { claudeFixtures, freshDataDir, haveClaudeFixtures, isolatedEnv, readLines } from './helpers/claude-code.js';
import { cli, fixturesDir } from './helpers/env.js';

/**
 * Cost to the cent, proven against an independent count: the raw files are read here with their own rules
 * (one Claude response per message id, with its last line's usage; Codex `last_token_usage` once per new
 * running total; Gemini and opencode per message), each response is priced at the providers' published list
 * prices typed in below (not read from the price package), and the plain sum must equal what the trace says.
 */

/** USD per million tokens, from the providers' price pages. `w5`/`w1h`: 5-minute and 1-hour cache writes. */
const LIST_PRICES: Record<string, { in: number; out: number; read: number; w5?: number; w1h?: number }> = {
  'claude-opus-4-6': { in: 5, out: 25, read: 0.5, w5: 6.25, w1h: 10 },
  'claude-sonnet-4-5': { in: 3, out: 15, read: 0.3, w5: 3.75, w1h: 6 },
  'claude-haiku-4-5': { in: 1, out: 5, read: 0.1, w5: 1.25, w1h: 2 },
  'gpt-5.2-codex': { in: 1.75, out: 14, read: 0.175 },
  'gemini-3.1-pro-preview': { in: 2, out: 12, read: 0.2 },
};
/** Above this many prompt tokens some of these models bill a long-context rate; no fixture call comes near. */
const FLAT_RATE_LIMIT = 200_000;

interface Response {
  model: string;
  /** Prompt tokens billed at the input rate, read from cache, written for 5 minutes, for 1 hour; output. */
  input: number;
  read: number;
  w5: number;
  w1h: number;
  out: number;
}

function listPrice(model: string) {
  const key = Object.keys(LIST_PRICES).find((k) => model === k || model.startsWith(`${k}-`));
  if (!key) throw new Error(`no list price typed in for ${model}`);
  return LIST_PRICES[key]!;
}

function independentCost(responses: Response[]): number {
  let usd = 0;
  for (const r of responses) {
    const p = listPrice(r.model);
    expect(r.input + r.read + r.w5 + r.w1h).toBeLessThan(FLAT_RATE_LIMIT);
    usd += (r.input * p.in + r.read * p.read + r.w5 * (p.w5 ?? p.in) + r.w1h * (p.w1h ?? p.w5 ?? p.in) + r.out * p.out) / 1e6;
  }
  return usd;
}

function claudeResponses(lines: Record<string, unknown>[]): Response[] {
  const last = new Map<string, Response>();
  const visit = (line: Record<string, unknown>) => {
    const m = line.message as Record<string, unknown> | undefined;
    if (line.type !== 'assistant' || !m || typeof m.id !== 'string' || m.model === '<synthetic>' || !m.usage) return;
    const u = m.usage as Record<string, number> & { cache_creation?: Record<string, number> };
    const w1h = u.cache_creation?.ephemeral_1h_input_tokens ?? 0;
    last.set(m.id, {
      model: String(m.model),
      input: u.input_tokens ?? 0,
      read: u.cache_read_input_tokens ?? 0,
      w5: (u.cache_creation_input_tokens ?? 0) - w1h,
      w1h,
      out: u.output_tokens ?? 0,
    });
  };
  for (const line of lines) {
    visit(line);
    const data = line.data as Record<string, unknown> | undefined;
    if (line.type === 'progress' && data?.type === 'agent_progress' && data.message) visit(data.message as Record<string, unknown>);
  }
  return [...last.values()];
}

function codexResponses(path: string): Response[] {
  const seen = new Set<string>();
  let model = '';
  const out: Response[] = [];
  for (const line of readLines(path) as Array<{ type?: string; payload?: Record<string, any> }>) {
    const p = line.payload ?? {};
    if (line.type === 'turn_context' && typeof p.model === 'string') model = p.model;
    if (line.type !== 'event_msg' || p.type !== 'token_count' || !p.info?.total_token_usage) continue;
    const key = JSON.stringify(p.info.total_token_usage);
    if (seen.has(key)) continue;
    seen.add(key);
    const u = p.info.last_token_usage;
    // OpenAI: input_tokens includes the cached ones; output_tokens includes reasoning.
    out.push({ model, input: u.input_tokens - (u.cached_input_tokens ?? 0), read: u.cached_input_tokens ?? 0, w5: 0, w1h: 0, out: u.output_tokens });
  }
  return out;
}

function geminiResponses(path: string): Response[] {
  const chat = JSON.parse(readFileSync(path, 'utf8')) as { messages: Array<Record<string, any>> };
  return chat.messages
    .filter((m) => m.type === 'gemini' && m.tokens)
    .map((m) => {
      const t = m.tokens;
      // Google bills cached prompt tokens at the cache rate, tool-use prompt tokens as input, thoughts as output.
      return { model: m.model, input: t.input - (t.cached ?? 0) + (t.tool ?? 0), read: t.cached ?? 0, w5: 0, w1h: 0, out: t.output + (t.thoughts ?? 0) };
    });
}

function opencodeResponses(path: string): { responses: Response[]; ownCost: number } {
  const doc = JSON.parse(readFileSync(path, 'utf8')) as { messages: Array<{ info: Record<string, any> }> };
  const responses: Response[] = [];
  let ownCost = 0;
  for (const { info } of doc.messages) {
    if (info.role !== 'assistant' || !info.tokens) continue;
    ownCost += info.cost ?? 0;
    const t = info.tokens;
    // OpenAI through opencode: output already includes reasoning.
    responses.push({ model: info.modelID, input: t.input, read: t.cache?.read ?? 0, w5: t.cache?.write ?? 0, w1h: 0, out: t.output });
  }
  return { responses, ownCost };
}

async function importOne(path: string): Promise<TraceDocument> {
  const { home, dir } = freshDataDir();
  const r = await cli(['import', path, '--json', '--dir', dir], { env: isolatedEnv(home) });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const [result] = JSON.parse(r.stdout) as Array<{ traceFile: string }>;
  return JSON.parse(readFileSync(result!.traceFile, 'utf8')) as TraceDocument;
}

const cents = (usd: number) => Math.round(usd * 100);

describe('the price source', () => {
  it('is the installed package, named and dated', () => {
    const entry = createRequire(import.meta.url).resolve('@pydantic/genai-prices');
    const pkg = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string; license: string };
    expect(pkg.version).toBe(PRICE_SOURCE.version);
    expect(pkg.license).toBe('MIT');
    expect(PRICE_SOURCE.released).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('prices 1-hour cache writes at 2× input and 5-minute ones at 1.25×, reads at 0.1×', () => {
    const at = Date.parse('2026-06-01');
    const base = priceCall('claude-opus-4-6', { input: 1_000_000 }, { provider: 'anthropic', time: at })!.usd;
    const w5 = priceCall('claude-opus-4-6', { cacheWrite: 1_000_000 }, { provider: 'anthropic', time: at })!.usd;
    const w1h = priceCall('claude-opus-4-6', { cacheWrite: 1_000_000, cacheWrite1h: 1_000_000 }, { provider: 'anthropic', time: at })!.usd;
    const read = priceCall('claude-opus-4-6', { cacheRead: 1_000_000 }, { provider: 'anthropic', time: at })!.usd;
    expect([w5 / base, w1h / base, read / base]).toEqual([1.25, 2, 0.1]);
  });

  it('applies long-context tiers: a Sonnet 4.5 prompt above 200k tokens costs the long-context rate', () => {
    const small = priceCall('claude-sonnet-4-5-20250929', { input: 200_000 }, { provider: 'anthropic' })!;
    const large = priceCall('claude-sonnet-4-5-20250929', { input: 200_001 }, { provider: 'anthropic' })!;
    expect(small.usd).toBeCloseTo(0.6, 9);
    expect(large.usd).toBeCloseTo(200_001 * 6e-6, 9);
  });

  it('knows the models the agents use today, and says when it stands in a family model for an unknown one', () => {
    for (const [model, provider] of [
      ['claude-opus-5-5', 'anthropic'],
      ['claude-sonnet-4-6', 'anthropic'],
      ['claude-haiku-4-5-20251001', 'anthropic'],
      ['gpt-5.5', 'openai'],
      ['gpt-5.3-codex', 'openai'],
      ['gpt-5.2-codex', 'openai'],
      ['gemini-2.5-pro', 'google'],
      ['gemini-3.1-pro-preview', 'google'],
      ['gemini-3-flash-preview', 'google'],
    ] as const) {
      expect(priceCall(model, { input: 1000, output: 100 }, { provider })?.basis, model).toBe('catalogue');
    }
    expect(priceCall('gpt-5.5', { input: 1_000_000 }, { provider: 'openai' })!.pricedAs).toBe('gpt-5.5');
    const stand = priceCall('claude-haiku-9', { input: 1000 }, { provider: 'anthropic' })!;
    expect(stand).toMatchObject({ basis: 'family', pricedAs: 'claude-haiku-4-5' });
    expect(priceCall('my-own-model', { input: 1000 })).toBeUndefined();
    expect(priceCall('my-own-model', { input: 1_000_000, cacheWrite: 1_000_000, cacheWrite1h: 400_000 }, { table: { 'my-own': { input: 1, output: 2, cacheWrite: 1.25, cacheWrite1h: 2 } } })).toMatchObject({
      usd: 1 + 0.6 * 1.25 + 0.4 * 2,
      basis: 'override',
      pricedAs: 'my-own',
    });
  });
});

const claudeInputs = haveClaudeFixtures
  ? [
      ...['agentlogs-compact.jsonl', 'agentlogs-crud.jsonl', 'agentlogs-subagent.jsonl', 'short.jsonl', 'subagent.jsonl', 'tool_heavy.jsonl'].map((f) => join(claudeFixtures, 'transcripts', f)),
      join(claudeFixtures, 'hooks', 'chat.json'),
    ]
  : [];

describe.skipIf(!haveClaudeFixtures)('cost of the real sessions (../shared/fixtures) equals an independent count to the cent', () => {
  it.each(claudeInputs.map((p) => [basename(p), p]))('Claude Code %s', async (_name, path) => {
    const doc = await importOne(path);
    const responses = claudeResponses(readLines(path));
    expect(doc.summary.generations).toBe(responses.length);
    expect(doc.summary.tokens.cacheWrite1h).toBe(responses.reduce((n, r) => n + r.w1h, 0));
    expect(doc.summary.tokens.cacheWrite5m).toBe(responses.reduce((n, r) => n + r.w5, 0));
    expect(cents(doc.summary.cost!.usd)).toBe(cents(independentCost(responses)));
    expect(doc.summary.cost!.usd).toBeCloseTo(independentCost(responses), 5);
    expect(doc.summary.cost!.source).toContain(PRICE_SOURCE.name);
    expect(doc.summary.cost!.estimates).toBeUndefined();
    // Each model call carries its own cost; they add up to the session's.
    const spanSum = doc.spans.reduce((n, s) => n + (typeof s.attributes['gen_ai.usage.cost'] === 'number' ? (s.attributes['gen_ai.usage.cost'] as number) : 0), 0);
    expect(spanSum).toBeCloseTo(doc.summary.cost!.usd, 5);
  });

  it('Codex CLI rollout', async () => {
    const path = join(fixturesDir, 'codex', 'agentlogs-crud.jsonl');
    const doc = await importOne(path);
    const responses = codexResponses(path);
    expect(responses.length).toBeGreaterThan(0);
    expect(cents(doc.summary.cost!.usd)).toBe(cents(independentCost(responses)));
    expect(doc.summary.cost!.usd).toBeCloseTo(independentCost(responses), 5);
  });

  it('Gemini CLI chat file', async () => {
    const path = join(fixturesDir, 'gemini', 'test_conversation_gemini.json');
    const doc = await importOne(path);
    const responses = geminiResponses(path);
    expect(responses.length).toBeGreaterThan(0);
    expect(cents(doc.summary.cost!.usd)).toBe(cents(independentCost(responses)));
    expect(doc.summary.cost!.usd).toBeCloseTo(independentCost(responses), 5);
  });

  it.each(['crud.json', 'all-tools.json'])('opencode export %s (whose own cost is what the subscription billed)', async (file) => {
    const path = join(fixturesDir, 'opencode', 'exports', file);
    const doc = await importOne(path);
    const { responses, ownCost } = opencodeResponses(path);
    expect(responses.length).toBeGreaterThan(0);
    expect(ownCost).toBe(0);
    expect(cents(doc.summary.cost!.usd)).toBe(cents(independentCost(responses)));
    expect(doc.summary.cost!.usd).toBeCloseTo(independentCost(responses), 5);
  });
});
