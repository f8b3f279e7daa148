import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeWithFixtures, fixturesDir } from './helpers/fixtures.js';
import { geminiImporter, readGeminiChat } from '../src/adapters/gemini/import.js';
import { parseJsonTolerant } from '../src/adapters/codex/util.js';
import { validateEvent } from '../src/events/validate.js';
import { buildTrace } from '../src/model/trace-builder.js';
import type { TraceDocument } from '../src/model/trace.js';

const fixtures = fixturesDir;

const tmp = mkdtempSync(path.join(tmpdir(), 'agent-trace-gemini-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(name: string, content: string): string {
  const file = path.join(tmp, name);
  writeFileSync(file, content);
  return file;
}

function docOf(file: string): TraceDocument {
  const sessions = geminiImporter.read(file);
  expect(sessions).toHaveLength(1);
  const s = sessions[0]!;
  for (const e of s.events) validateEvent(e);
  return buildTrace(s.sessionId, s.events).toDocument();
}

const head = (file: string, bytes = 4096) => readFileSync(file).subarray(0, bytes).toString('utf8');
const prompts = (doc: TraceDocument) => doc.spans.filter((s) => s.kind === 'turn').map((s) => s.input);

/** Independent count from the raw chat file: one response per gemini message, tokens as Gemini bills them. */
function rawGeminiFacts(chat: { messages: Array<Record<string, any>> }) {
  const tokens = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 };
  let generations = 0;
  let tools = 0;
  let errors = 0;
  const userPrompts: string[] = [];
  for (const m of chat.messages) {
    if (m.type === 'user') userPrompts.push(m.content.map((p: { text: string }) => p.text).join('').trim());
    if (m.type !== 'gemini') continue;
    generations++;
    const t = m.tokens ?? {};
    tokens.input += t.input - t.cached + (t.tool ?? 0);
    tokens.cacheRead += t.cached;
    tokens.output += t.output + (t.thoughts ?? 0);
    tokens.reasoning += t.thoughts ?? 0;
    for (const c of m.toolCalls ?? []) {
      tools++;
      if (c.status === 'error' || c.status === 'cancelled') errors++;
    }
  }
  return { generations, tokens, tools, errors, userPrompts };
}

describeWithFixtures(['gemini'], 'gemini: real chat file fixture', () => {
  const file = path.join(fixtures, 'gemini/test_conversation_gemini.json');

  it('counts one generation per response, tools, errors and tokens as the raw file says', () => {
    const raw = rawGeminiFacts(JSON.parse(readFileSync(file, 'utf8')));
    const doc = docOf(file);
    expect(raw.generations).toBe(3);
    expect(doc.summary.generations).toBe(raw.generations);
    expect(doc.summary.toolCalls).toBe(raw.tools);
    expect(doc.summary.toolErrors).toBe(raw.errors);
    expect(doc.summary.tokens).toEqual({ ...raw.tokens, cacheWrite5m: raw.tokens.cacheWrite, cacheWrite1h: 0 });
    expect(doc.sessionId).toBe('8a20078e-2d5e-4f81-a640-9b879bbb7e6d');
    expect(doc.agent.name).toBe('gemini');
    expect(doc.models).toEqual(['gemini-3.1-pro-preview-customtools']);
    expect(doc.summary.filesTouched).toContain('CONTRIBUTING.md');
  });

  it("keeps the person's prompt as the turn, with the model's thoughts and final answer", () => {
    const raw = rawGeminiFacts(JSON.parse(readFileSync(file, 'utf8')));
    const doc = docOf(file);
    expect(prompts(doc)).toEqual(raw.userPrompts);
    const turn = doc.spans.find((s) => s.kind === 'turn')!;
    expect(doc.spans.filter((s) => s.kind !== 'session' && s.kind !== 'turn').every((s) => s.parentSpanId === turn.spanId)).toBe(true);
    expect(turn.endTime).toBe(Date.parse('2026-03-27T10:22:00.021Z'));
    const gens = doc.spans.filter((s) => s.kind === 'generation');
    expect((gens[0]!.output as { thinking: string }).thinking).toContain('Initiating Stepwise Analysis');
    expect((gens[0]!.output as { toolCalls: unknown[] }).toolCalls).toHaveLength(3);
    const read = doc.spans.find((s) => s.kind === 'tool')!;
    expect(read.input).toEqual({ file_path: 'README.md' });
    expect(String(read.output)).toContain('Vibe Coding Tracker');
  });

  it('is deterministic: two reads give byte-identical traces and the same span ids', () => {
    const a = geminiImporter.read(file)[0]!;
    const b = geminiImporter.read(file)[0]!;
    const ta = buildTrace(a.sessionId, a.events);
    const tb = buildTrace(b.sessionId, b.events);
    expect(ta.serialize()).toBe(tb.serialize());
    expect(ta.toDocument().spans.map((s) => s.spanId)).toEqual(tb.toDocument().spans.map((s) => s.spanId));
  });

  it('detects the chat file and nothing else', () => {
    expect(geminiImporter.detect(file, head(file))).toBe(true);
    expect(geminiImporter.detect(file, head(file, 300))).toBe(true);
    const others = [
      ...readdirSync(path.join(fixtures, 'claude-code/transcripts')).map((f) => path.join(fixtures, 'claude-code/transcripts', f)),
      ...readdirSync(path.join(fixtures, 'claude-code/hooks')).map((f) => path.join(fixtures, 'claude-code/hooks', f)),
      path.join(fixtures, 'codex/agentlogs-crud.jsonl'),
      ...readdirSync(path.join(fixtures, 'opencode/exports')).map((f) => path.join(fixtures, 'opencode/exports', f)),
      ...readdirSync(path.join(fixtures, 'opencode/events')).map((f) => path.join(fixtures, 'opencode/events', f)),
    ];
    for (const f of others) expect(geminiImporter.detect(f, head(f)), f).toBe(false);
  });

  it('survives a truncated file, garbage and missing fields with a partial result', () => {
    const text = readFileSync(file, 'utf8');
    const full = docOf(file);

    const cut = docOf(write('cut.json', text.slice(0, Math.floor(text.length * 0.55))));
    expect(cut.summary.generations).toBeGreaterThan(0);
    expect(cut.summary.generations).toBeLessThan(full.summary.generations);
    expect(prompts(cut)).toEqual(prompts(full));

    const i = text.indexOf('"type": "gemini"', text.indexOf('"type": "gemini"') + 1);
    const garbled = docOf(write('garbage.json', `${text.slice(0, i)}\n%%% not json %%%\n${text.slice(i)}`));
    expect(garbled.summary.generations).toBeGreaterThanOrEqual(1);

    const chat = JSON.parse(text);
    delete chat.startTime;
    delete chat.sessionId;
    for (const m of chat.messages) {
      delete m.timestamp;
      delete m.tokens?.cached;
      delete m.model;
      for (const c of m.toolCalls ?? []) {
        delete c.id;
        delete c.result;
        delete c.status;
      }
    }
    const stripped = docOf(write('session-2026-01-01T00-00-stripped.json', JSON.stringify(chat)));
    expect(stripped.summary.generations).toBe(full.summary.generations);
    expect(stripped.summary.toolCalls).toBe(full.summary.toolCalls);
    expect(stripped.sessionId).toBe('session-2026-01-01T00-00-stripped');
  });
});

const ts = (s: number) => new Date(Date.UTC(2026, 1, 3, 9, 0, s)).toISOString();

describe('gemini: chat files written by the test', () => {
  it('reads the append-only JSON Lines form: last record per id wins, $set, rewrites, errors', () => {
    const meta = { sessionId: 'g-1', projectHash: 'abc', startTime: ts(0), lastUpdated: ts(0), kind: 'main' };
    const user = { id: 'u1', timestamp: ts(1), type: 'user', content: [{ text: 'fix @src/a.ts\n--- Content from referenced files ---\n…' }], displayContent: [{ text: 'fix @src/a.ts' }] };
    const g1a = { id: 'g1', timestamp: ts(3), type: 'gemini', content: '', thoughts: [{ subject: 'Plan', description: 'read it', timestamp: ts(2) }], model: 'gemini-2.5-pro', toolCalls: [{ id: 'c1', name: 'read_file', args: { absolute_path: '/w/src/a.ts' }, status: 'success', timestamp: ts(4), result: [{ functionResponse: { id: 'c1', name: 'read_file', response: { output: 'code' } } }] }] };
    const g1b = { ...g1a, tokens: { input: 1000, output: 20, cached: 600, thoughts: 30, tool: 5, total: 1055 } };
    const g1c = {
      ...g1b,
      toolCalls: [
        ...g1b.toolCalls,
        { id: 'c2', name: 'run_shell_command', args: { command: 'npm test' }, status: 'error', timestamp: ts(6), resultDisplay: 'exit 1', result: [{ functionResponse: { id: 'c2', name: 'run_shell_command', response: { error: 'Command failed: exit 1' } } }] },
        { id: 'c3', name: 'github__search', args: { q: 'x' }, status: 'cancelled', timestamp: ts(7) },
      ],
    };
    const g2 = { id: 'g2', timestamp: ts(9), type: 'gemini', content: [{ text: 'Done.' }], model: 'gemini-2.5-pro', tokens: { input: 1200, output: 5, cached: 1000, thoughts: 0, tool: 0, total: 1205 } };
    const err = { id: 'e1', timestamp: ts(10), type: 'error', content: 'Quota exceeded' };
    const u2 = { id: 'u2', timestamp: ts(11), type: 'user', content: 'and the docs' };
    const summary = { id: 's1', timestamp: ts(12), type: 'user', content: [{ text: '<state_snapshot>all of it</state_snapshot>' }] };
    const lines = [
      meta,
      user,
      { $set: { lastUpdated: ts(1) } },
      g1a,
      g1b,
      g1c,
      g2,
      err,
      u2,
      { $set: { summary: 'Fix the failing test' } },
      { $set: { messages: [summary, u2] } },
      { $rewindTo: 'nonexistent' },
      'garbage line',
    ];
    const file = write('session-2026-02-03T09-00-g1.jsonl', lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n'));
    expect(geminiImporter.detect(file, head(file))).toBe(true);
    const doc = docOf(file);
    expect(doc.title).toBe('Fix the failing test');
    expect(prompts(doc)).toEqual(['fix @src/a.ts', 'and the docs']);
    expect(doc.summary.generations).toBe(2);
    expect(doc.summary.toolCalls).toBe(3);
    expect(doc.summary.toolErrors).toBe(2);
    expect(doc.summary.tokens).toEqual({ input: 400 + 5 + 200, output: 50 + 5, cacheRead: 1600, cacheWrite: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 30 });
    const tool = (id: string) => doc.spans.find((s) => s.attributes['gen_ai.tool.call.id'] === id)!;
    expect(tool('c2').statusMessage).toBe('Command failed: exit 1');
    expect(tool('c3').attributes['error.type']).toBe('cancelled');
    expect(tool('c3').attributes['gen_ai.tool.type']).toBe('extension');
    expect(tool('c1').output).toBe('code');
    expect(doc.spans.filter((s) => s.kind === 'compaction')).toHaveLength(1);
    const all = JSON.stringify(doc.spans.flatMap((s) => s.events ?? []));
    expect(all).toContain('Quota exceeded');
  });

  it('returns nothing for files that are not chats, and never throws', () => {
    expect(readGeminiChat('')).toEqual([]);
    expect(readGeminiChat('not json at all')).toEqual([]);
    expect(() => readGeminiChat('{"sessionId": "x", "messages": [{"type": "gemini", "tokens": "lots", "toolCalls": [null, 3]}]}')).not.toThrow();
    expect(geminiImporter.detect('a.json', '{"sessionId":"s","uuid":"u","type":"user","message":{}}')).toBe(false);
  });

  it('keeps what a damaged JSON document held before the damage', () => {
    expect(parseJsonTolerant('{"a": 1, "b": [1, 2, {"c": "x"')).toEqual({ a: 1, b: [1, 2, { c: 'x' }] });
    expect(parseJsonTolerant('{"a": 1, "b": "unterminated')).toEqual({ a: 1 });
    expect(parseJsonTolerant('noise {"a": [1, 2] } trailing')).toEqual({ a: [1, 2] });
    expect(parseJsonTolerant('{"a": 1, %% "b": 2}')).toEqual({ a: 1 });
    expect(parseJsonTolerant('nothing here')).toBeUndefined();
  });
});

describe('Gemini CLI 0.61 chat files', () => {
  const ts = (s: number) => new Date(Date.UTC(2026, 10, 29, 10, 0, s)).toISOString();
  const context = { id: 'ctx', timestamp: ts(0), type: 'user', content: [{ text: '<session_context>\nThis is the Gemini CLI.\n</session_context>' }] };
  const user = { id: 'u1', timestamp: ts(1), type: 'user', content: [{ text: 'tidy notes' }] };
  const answer = { id: 'g1', timestamp: ts(2), type: 'gemini', content: 'Done.', model: 'gemini-2.5-flash', tokens: { input: 100, output: 5, cached: 40, thoughts: 0, tool: 0, total: 105 } };
  const meta = { sessionId: 'g-061', projectHash: 'p', startTime: ts(0), lastUpdated: ts(0), kind: 'main' };
  const jsonl = (lines: unknown[]) => lines.map((l) => JSON.stringify(l)).join('\n') + '\n';

  it('reads the history set at session start and again on --resume as history, not as compactions', () => {
    const lines = [meta, { $set: { messages: [context] } }, user, answer, { $set: { messages: [context, user, answer] } }, { id: 'u2', timestamp: ts(5), type: 'user', content: [{ text: 'again' }] }];
    const sessions = readGeminiChat(jsonl(lines), 'session-2026-11-29T10-00-g061.jsonl');
    const doc = buildTrace(sessions[0]!.sessionId, sessions[0]!.events).toDocument();
    expect(doc.spans.filter((s) => s.kind === 'compaction')).toEqual([]);
    expect(doc.spans.filter((s) => s.kind === 'turn').map((t) => t.input)).toEqual(['tidy notes', 'again']);
    expect(doc.summary.generations).toBe(1);
  });

  it('never reads the stub file --resume leaves (same id, no messages) as a session', () => {
    expect(readGeminiChat(jsonl([meta, { $set: { lastUpdated: ts(9) } }]), 'session-2026-11-29T10-09-g061.jsonl')).toEqual([]);
  });
});
