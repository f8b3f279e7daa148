import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeWithFixtures, fixturesDir } from './helpers/fixtures.js';
import { codexImporter, readCodexRollout } from '../src/adapters/codex/import.js';
import type { AgentEvent } from '../src/events/types.js';
import { validateEvent } from '../src/events/validate.js';
import { buildTrace } from '../src/model/trace-builder.js';
import type { TraceDocument } from '../src/model/trace.js';

const fixtures = fixturesDir;

const tmp = mkdtempSync(path.join(tmpdir(), 'agent-trace-codex-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(name: string, lines: unknown[] | string): string {
  const file = path.join(tmp, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, typeof lines === 'string' ? lines : lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return file;
}

function docOf(file: string): TraceDocument {
  const sessions = codexImporter.read(file);
  expect(sessions).toHaveLength(1);
  const s = sessions[0]!;
  for (const e of s.events) validateEvent(e);
  return buildTrace(s.sessionId, s.events).toDocument();
}

function head(file: string, bytes = 4096): string {
  return readFileSync(file).subarray(0, bytes).toString('utf8');
}

function turnPrompts(doc: TraceDocument): unknown[] {
  return doc.spans.filter((s) => s.kind === 'turn').map((s) => s.input);
}

/** Independent count from a raw rollout: unique responses by running total, tool calls, failures, prompts. */
function rawCodexFacts(text: string) {
  const lines = text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return undefined;
      }
    })
    .filter(Boolean);
  const totals = new Set<string>();
  const tokens = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 };
  let tools = 0;
  let errors = 0;
  const prompts: string[] = [];
  for (const l of lines) {
    const p = l.payload ?? {};
    if (l.type === 'event_msg' && p.type === 'token_count' && p.info?.total_token_usage) {
      const key = JSON.stringify(p.info.total_token_usage);
      if (totals.has(key)) continue;
      totals.add(key);
      const u = p.info.last_token_usage;
      tokens.input += u.input_tokens - (u.cached_input_tokens ?? 0);
      tokens.cacheRead += u.cached_input_tokens ?? 0;
      tokens.output += u.output_tokens;
      tokens.reasoning += u.reasoning_output_tokens ?? 0;
    }
    if (l.type === 'response_item' && ['function_call', 'custom_tool_call', 'local_shell_call'].includes(p.type)) tools++;
    if (l.type === 'response_item' && /_output$/.test(p.type)) {
      const out = typeof p.output === 'string' ? p.output : '';
      const code = /Process exited with code (\d+)/.exec(out)?.[1] ?? /"exit_code":(\d+)/.exec(out)?.[1];
      if (code !== undefined && code !== '0') errors++;
    }
    if (l.type === 'event_msg' && p.type === 'user_message') prompts.push(p.message);
  }
  return { responses: totals.size, tokens, tools, errors, prompts };
}

describeWithFixtures(['codex'], 'codex: real rollout fixtures', () => {
  const file = path.join(fixtures, 'codex/agentlogs-crud.jsonl');

  it('counts generations, tools, errors and tokens per unique response, as the raw file says', () => {
    const raw = rawCodexFacts(readFileSync(file, 'utf8'));
    const doc = docOf(file);
    expect(raw.responses).toBe(5); // 10 token_count lines with usage, each written twice
    expect(doc.summary.generations).toBe(raw.responses);
    expect(doc.summary.toolCalls).toBe(raw.tools);
    expect(doc.summary.toolErrors).toBe(raw.errors);
    expect(doc.summary.tokens).toEqual(raw.tokens);
    expect(doc.agent).toEqual({ name: 'codex', version: '0.89.0' });
    expect(doc.models).toEqual(['gpt-5.2-codex']);
    expect(doc.gitBranch).toBe('main');
    expect(doc.cwd).toBe('/Users/philipp/dev/agentlogs/fixtures');
  });

  it("keeps the person's prompts as turns and nothing injected", () => {
    const raw = rawCodexFacts(readFileSync(file, 'utf8'));
    const doc = docOf(file);
    expect(turnPrompts(doc)).toEqual(raw.prompts);
    const all = JSON.stringify(turnPrompts(doc));
    expect(all).not.toContain('environment_context');
    expect(all).not.toContain('AGENTS.md');
    expect(all).not.toContain('permissions instructions');
    // tools and model calls sit under the turn, the turn ends with the final answer
    const turn = doc.spans.find((s) => s.kind === 'turn')!;
    expect(doc.spans.filter((s) => s.kind === 'tool').every((s) => s.parentSpanId === turn.spanId)).toBe(true);
    expect(turn.endTime).toBeDefined();
    expect(turn.output).toContain('Created `JOKE.md`');
  });

  it('is deterministic: two reads give byte-identical traces and the same span ids', () => {
    const a = codexImporter.read(file)[0]!;
    const b = codexImporter.read(file)[0]!;
    const ta = buildTrace(a.sessionId, a.events);
    const tb = buildTrace(b.sessionId, b.events);
    expect(ta.serialize()).toBe(tb.serialize());
    expect(ta.toDocument().spans.map((s) => s.spanId)).toEqual(tb.toDocument().spans.map((s) => s.spanId));
  });

  it('detects the rollout from its head, even when the head cuts the first line short', () => {
    expect(codexImporter.detect(file, head(file))).toBe(true);
    expect(codexImporter.detect(file, head(file, 200))).toBe(true);
    expect(codexImporter.detect('/elsewhere/x.jsonl', head(file, 200))).toBe(true);
  });

  it('does not claim other agents’ files', () => {
    const others = [
      ...readdirSync(path.join(fixtures, 'claude-code/transcripts')).map((f) => path.join(fixtures, 'claude-code/transcripts', f)),
      ...readdirSync(path.join(fixtures, 'claude-code/hooks')).map((f) => path.join(fixtures, 'claude-code/hooks', f)),
      path.join(fixtures, 'gemini/test_conversation_gemini.json'),
      ...readdirSync(path.join(fixtures, 'opencode/exports')).map((f) => path.join(fixtures, 'opencode/exports', f)),
      ...readdirSync(path.join(fixtures, 'opencode/events')).map((f) => path.join(fixtures, 'opencode/events', f)),
    ];
    for (const f of others) expect(codexImporter.detect(f, head(f)), f).toBe(false);
  });

  it('survives a truncated file, a garbage line and missing fields', () => {
    const text = readFileSync(file, 'utf8');
    const full = docOf(file);
    const cut = write('cut.jsonl', text.slice(0, Math.floor(text.length * 0.6)));
    const partial = docOf(cut);
    expect(partial.summary.generations).toBeGreaterThan(0);
    expect(partial.summary.generations).toBeLessThan(full.summary.generations);

    const lines = text.split('\n');
    lines.splice(5, 0, 'this is not json {', '{"truncated":');
    expect(docOf(write('garbage.jsonl', lines.join('\n'))).summary).toEqual(full.summary);

    // Strip fields a parser might lean on: timestamps, usage details, call ids, the meta itself.
    const stripped = text
      .split('\n')
      .filter(Boolean)
      .map((l, i) => {
        const o = JSON.parse(l);
        if (i % 3 === 0) delete o.timestamp;
        if (o.payload?.info) delete o.payload.info.last_token_usage;
        if (i % 4 === 0 && o.payload) delete o.payload.call_id;
        if (o.type === 'session_meta') o.payload = { id: o.payload.id };
        return JSON.stringify(o);
      });
    const doc = docOf(write('stripped.jsonl', stripped.join('\n')));
    expect(doc.summary.generations).toBe(full.summary.generations);
    expect(doc.summary.tokens).toEqual(full.summary.tokens); // recovered from the running totals
  });
});

const SID = '0199aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee';
const t = (s: number) => new Date(Date.UTC(2026, 0, 2, 10, 0, s)).toISOString();
const env = (s: number, type: string, payload: unknown) => ({ timestamp: t(s), type, payload });
const usage = (input: number, cached: number, output: number, reasoning: number) => ({
  input_tokens: input,
  cached_input_tokens: cached,
  output_tokens: output,
  reasoning_output_tokens: reasoning,
  total_tokens: input + output,
});

describe('codex: rollouts written by the test', () => {
  it('reads a modern rollout: turn ids, parallel calls, failures, late token counts, compaction, abort', () => {
    const first = { type: 'token_count', info: { total_token_usage: usage(1000, 800, 50, 20), last_token_usage: usage(1000, 800, 50, 20) } };
    const lines = [
      env(0, 'session_meta', { id: SID, timestamp: t(0), cwd: '/w', originator: 'codex_cli_rs', cli_version: '0.120.0', model_provider: 'openai', git: { branch: 'dev' } }),
      env(1, 'event_msg', { type: 'task_started', turn_id: 'turn-1' }),
      env(1, 'response_item', { type: 'message', role: 'developer', content: [{ type: 'input_text', text: '<permissions instructions>x</permissions instructions>' }] }),
      env(1, 'response_item', { type: 'message', role: 'user', content: [{ type: 'input_text', text: '<environment_context>\n  <cwd>/w</cwd>\n</environment_context>' }] }),
      env(1, 'response_item', { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'fix the tests' }] }),
      env(1, 'event_msg', { type: 'user_message', message: 'fix the tests', images: [] }),
      env(1, 'turn_context', { turn_id: 'turn-1', cwd: '/w', model: 'gpt-5.4' }),
      env(2, 'response_item', { type: 'reasoning', summary: [{ type: 'summary_text', text: '**Running tests**' }], encrypted_content: 'x' }),
      env(3, 'response_item', { type: 'function_call', name: 'exec_command', arguments: '{"cmd":"npm test"}', call_id: 'call_a' }),
      env(3, 'response_item', { type: 'function_call', name: 'exec_command', arguments: '{"cmd":"ls"}', call_id: 'call_b' }),
      env(3, 'event_msg', first),
      env(5, 'response_item', { type: 'function_call_output', call_id: 'call_a', output: 'Chunk ID: 1\nWall time: 1.0 seconds\nProcess exited with code 1\nOutput:\nFAIL' }),
      env(5, 'response_item', { type: 'function_call_output', call_id: 'call_b', output: 'Exit code: 0\nWall time: 0.1 seconds\nOutput:\nsrc' }),
      env(5, 'event_msg', { ...first, rate_limits: { primary: { used_percent: 5 } } }), // written again when the next request starts: not a new response
      env(6, 'response_item', { type: 'custom_tool_call', status: 'completed', call_id: 'call_c', name: 'apply_patch', input: '*** Begin Patch\n*** End Patch' }),
      // this version writes the usage after the tool output
      env(7, 'response_item', { type: 'custom_tool_call_output', call_id: 'call_c', output: '{"output":"Success","metadata":{"exit_code":0,"duration_seconds":0.0}}' }),
      env(7, 'event_msg', { type: 'token_count', info: { total_token_usage: usage(2100, 1700, 80, 20), last_token_usage: usage(1100, 900, 30, 0) } }),
      env(8, 'response_item', { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Fixed.' }] }),
      env(8, 'event_msg', { type: 'token_count', info: { total_token_usage: usage(3300, 2800, 90, 20), last_token_usage: usage(1200, 1100, 10, 0) } }),
      env(9, 'event_msg', { type: 'task_complete', turn_id: 'turn-1', last_agent_message: 'Fixed.' }),
      env(10, 'compacted', { message: 'summary of the work so far', replacement_history: [] }),
      env(11, 'event_msg', { type: 'task_started', turn_id: 'turn-2' }),
      env(11, 'event_msg', { type: 'user_message', message: 'now refactor', images: [] }),
      env(12, 'response_item', { type: 'function_call', name: 'mcp__github__search', arguments: '{"q":"x"}', call_id: 'call_d' }),
      env(13, 'event_msg', { type: 'turn_aborted', turn_id: 'turn-2', reason: 'interrupted' }),
    ];
    const file = write('rollout-2026-01-02T10-00-00-0199aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee.jsonl', lines);
    expect(codexImporter.detect(file, head(file))).toBe(true);
    const doc = docOf(file);

    expect(doc.sessionId).toBe(SID);
    expect(turnPrompts(doc)).toEqual(['fix the tests', 'now refactor']);
    expect(doc.summary.generations).toBe(4); // 3 usage reports + the unanswered call in the aborted turn
    expect(doc.summary.toolCalls).toBe(4);
    expect(doc.summary.toolErrors).toBe(1);
    expect(doc.summary.tokens).toEqual({ input: 200 + 200 + 100, output: 90, cacheRead: 2800, cacheWrite: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 20 });

    const tool = (key: string) => doc.spans.find((s) => s.kind === 'tool' && s.attributes['gen_ai.tool.call.id'] === key)!;
    expect(tool('call_a').status).toBe('error');
    expect(tool('call_a').statusMessage).toBe('exit code 1');
    expect(tool('call_b').status).toBe('ok');
    expect(tool('call_c').output).toBe('Success');
    expect(tool('call_d').attributes['gen_ai.tool.type']).toBe('extension');
    expect(tool('call_d').endTime).toBeUndefined(); // never answered: still open in the file

    const gens = doc.spans.filter((s) => s.kind === 'generation');
    expect(gens[0]!.output).toEqual({ thinking: '**Running tests**', toolCalls: [{ id: 'call_a', name: 'exec_command' }, { id: 'call_b', name: 'exec_command' }] });
    expect(gens[1]!.attributes['gen_ai.usage.input_tokens']).toBe(1100); // the late usage found its response
    expect(gens[2]!.output).toEqual({ text: 'Fixed.' });

    const turns = doc.spans.filter((s) => s.kind === 'turn');
    expect(turns[0]!.output).toBe('Fixed.');
    expect(turns[0]!.endTime).toBe(Date.parse(t(9)));
    expect(turns[1]!.endTime).toBe(Date.parse(t(13)));
    expect(turns[1]!.events?.some((e) => e.name === 'interrupt')).toBe(true);
    expect(doc.spans.filter((s) => s.kind === 'compaction')).toHaveLength(1);
  });

  it('keys turns by turn id so Codex hook events land on the same span', () => {
    const file = write('keys.jsonl', [
      env(0, 'session_meta', { id: SID, cli_version: '0.120.0' }),
      env(1, 'event_msg', { type: 'user_message', message: 'hello' }),
      env(1, 'turn_context', { turn_id: 'T-9', model: 'gpt-5' }), // the context arrives after the prompt
    ]);
    const events = codexImporter.read(file)[0]!.events;
    const turn = events.find((e) => e.type === 'turn.start') as Extract<AgentEvent, { type: 'turn.start' }>;
    expect(turn.key).toBe('T-9');
  });

  it('reads the pre-envelope layout (bare header, state markers, no timestamps, no usage)', () => {
    const file = write('rollout-2025-08-20T13-20-47-c27a914d-0000-4000-8000-000000000001.jsonl', [
      { id: 'c27a914d-0000-4000-8000-000000000001', timestamp: '2025-08-20T13:20:47.060Z', instructions: null, git: { branch: 'main' } },
      { record_type: 'state' },
      { type: 'message', id: null, role: 'user', content: [{ type: 'input_text', text: '<user_instructions>be nice</user_instructions>' }] },
      { type: 'message', id: null, role: 'user', content: [{ type: 'input_text', text: 'list the files' }] },
      { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'opaque' },
      { type: 'function_call', id: 'fc_1', name: 'shell', arguments: '{"command":["ls"]}', call_id: 'call_1' },
      { record_type: 'state' },
      { type: 'function_call_output', call_id: 'call_1', output: '{"output":"README.md\\n","metadata":{"exit_code":0,"duration_seconds":0.01}}' },
      { type: 'message', id: null, role: 'assistant', content: [{ type: 'output_text', text: 'One file.' }] },
    ]);
    expect(codexImporter.detect(file, head(file))).toBe(true);
    const doc = docOf(file);
    expect(doc.sessionId).toBe('c27a914d-0000-4000-8000-000000000001');
    expect(turnPrompts(doc)).toEqual(['list the files']);
    expect(doc.summary.toolCalls).toBe(1);
    expect(doc.summary.generations).toBe(2);
    expect(doc.spans.find((s) => s.kind === 'tool')!.input).toEqual({ command: ['ls'] });
    expect(doc.startTime).toBe(Date.parse('2025-08-20T13:20:47.060Z'));
  });

  it('derives per-response usage from running totals when last_token_usage is missing', () => {
    const file = write('totals.jsonl', [
      env(0, 'session_meta', { id: SID }),
      env(1, 'event_msg', { type: 'user_message', message: 'hi' }),
      env(2, 'response_item', { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'a' }] }),
      env(2, 'event_msg', { type: 'token_count', info: { total_token_usage: usage(100, 50, 10, 0) } }),
      env(3, 'event_msg', { type: 'token_count', info: { total_token_usage: usage(100, 50, 10, 0) } }),
      env(4, 'event_msg', { type: 'user_message', message: 'again' }),
      env(5, 'response_item', { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'b' }] }),
      env(5, 'event_msg', { type: 'token_count', info: { total_token_usage: usage(250, 150, 15, 0) } }),
    ]);
    const doc = docOf(file);
    expect(doc.summary.generations).toBe(2);
    expect(doc.summary.tokens).toEqual({ input: 100, output: 15, cacheRead: 150, cacheWrite: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 });
  });

  it("skips the parent's history replayed at the top of a forked thread", () => {
    const child = '019c0002-0000-7000-8000-00000000c41d';
    const tok = (s: number, total: ReturnType<typeof usage>, last: ReturnType<typeof usage>) => env(s, 'event_msg', { type: 'token_count', info: { total_token_usage: total, last_token_usage: last } });
    const file = write(`rollout-2026-01-02T10-00-00-${child}.jsonl`, [
      env(0, 'session_meta', { id: child, forked_from_id: SID, source: { subagent: { thread_spawn: { parent_thread_id: SID, depth: 1 } } }, cli_version: '0.130.0', cwd: '/w' }),
      env(0, 'session_meta', { id: SID, source: 'cli', cwd: '/w' }),
      env(0, 'event_msg', { type: 'user_message', message: 'parent prompt copied into the child' }),
      env(0, 'response_item', { type: 'function_call', name: 'exec_command', arguments: '{}', call_id: 'call_parent' }),
      tok(0, usage(116000, 114000, 1000, 0), usage(73000, 72000, 500, 0)),
      env(1, 'turn_context', { model: 'gpt-5.5', cwd: '/w' }),
      tok(1, usage(116000, 114000, 1000, 0), usage(73000, 72000, 500, 0)), // replayed again
      env(2, 'event_msg', { type: 'user_message', message: 'child task' }),
      env(3, 'response_item', { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'done' }] }),
      tok(3, usage(117500, 115000, 1200, 50), usage(1500, 1000, 200, 50)),
    ]);
    const doc = docOf(file);
    expect(doc.sessionId).toBe(child);
    expect(doc.summary.generations).toBe(1);
    expect(doc.summary.toolCalls).toBe(0);
    expect(doc.summary.tokens).toEqual({ input: 500, output: 200, cacheRead: 1000, cacheWrite: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 50 });
    expect(turnPrompts(doc)).toEqual(['child task']);
  });

  it('nests a spawned subagent thread found beside the parent rollout, and does not import it twice', () => {
    const parentId = '019c0003-0000-7000-8000-0000000000aa';
    const childId = '019c0003-0000-7000-8000-0000000000bb';
    const dir = path.join(tmp, 'threads');
    const at = (s: number) => new Date(Date.UTC(2026, 0, 3, 9, 0, s)).toISOString();
    const e = (s: number, type: string, payload: unknown) => ({ timestamp: at(s), type, payload });
    const parent = [
      e(0, 'session_meta', { id: parentId, cli_version: '0.130.0', cwd: '/w' }),
      e(1, 'event_msg', { type: 'user_message', message: 'review the repo with a helper' }),
      e(2, 'response_item', { type: 'function_call', name: 'spawn_agent', arguments: JSON.stringify({ agent_type: 'explorer', message: 'list the tests' }), call_id: 'call_spawn' }),
      e(2, 'event_msg', { type: 'token_count', info: { total_token_usage: usage(100, 0, 10, 0), last_token_usage: usage(100, 0, 10, 0) } }),
      e(3, 'response_item', { type: 'function_call_output', call_id: 'call_spawn', output: JSON.stringify({ agent_id: childId, nickname: 'Hypatia' }) }),
      e(9, 'response_item', { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'The helper found 3 tests.' }] }),
      e(9, 'event_msg', { type: 'token_count', info: { total_token_usage: usage(300, 0, 20, 0), last_token_usage: usage(200, 0, 10, 0) } }),
    ];
    const child = [
      e(3, 'session_meta', { id: childId, source: { subagent: { thread_spawn: { parent_thread_id: parentId, depth: 1 } } }, cli_version: '0.130.0', cwd: '/w' }),
      e(3, 'event_msg', { type: 'user_message', message: 'list the tests' }),
      e(4, 'turn_context', { model: 'gpt-5.4-mini', cwd: '/w' }),
      e(5, 'response_item', { type: 'function_call', name: 'exec_command', arguments: '{"cmd":"ls test"}', call_id: 'call_child_ls' }),
      e(5, 'event_msg', { type: 'token_count', info: { total_token_usage: usage(50, 0, 5, 0), last_token_usage: usage(50, 0, 5, 0) } }),
      e(6, 'response_item', { type: 'function_call_output', call_id: 'call_child_ls', output: 'Exit code: 0\nOutput:\na b c' }),
      e(7, 'response_item', { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: '3 tests' }] }),
      e(7, 'event_msg', { type: 'token_count', info: { total_token_usage: usage(120, 40, 9, 0), last_token_usage: usage(70, 40, 4, 0) } }),
    ];
    const parentFile = write(`threads/rollout-2026-01-03T09-00-00-${parentId}.jsonl`, parent);
    const childFile = write(`threads/rollout-2026-01-03T09-00-03-${childId}.jsonl`, child);
    expect(path.dirname(parentFile)).toBe(dir);

    const doc = docOf(parentFile);
    expect(turnPrompts(doc)).toEqual(['review the repo with a helper']);
    const spawnTool = doc.spans.find((s) => s.kind === 'tool' && s.attributes['gen_ai.tool.call.id'] === 'call_spawn')!;
    const sub = doc.spans.find((s) => s.kind === 'subagent')!;
    expect(sub.parentSpanId).toBe(spawnTool.spanId);
    expect(sub.name).toBe('invoke_agent explorer');
    expect(sub.input).toBe('list the tests');
    expect(sub.output).toBe('3 tests');
    expect(sub.endTime).toBe(Date.parse(at(7)));
    const childTool = doc.spans.find((s) => s.kind === 'tool' && s.attributes['gen_ai.tool.call.id'] === 'call_child_ls')!;
    expect(childTool.parentSpanId).toBe(sub.spanId);
    expect(doc.spans.filter((s) => s.kind === 'generation' && s.parentSpanId === sub.spanId)).toHaveLength(2);
    expect(doc.summary.generations).toBe(4);
    expect(doc.summary.tokens.input).toBe(100 + 200 + 50 + 30);
    expect(doc.models).toEqual(expect.arrayContaining(['gpt-5.4-mini']));

    expect(codexImporter.read(childFile)).toEqual([]);
    const alone = write(`elsewhere/rollout-2026-01-03T09-00-03-${childId}.jsonl`, child);
    expect(docOf(alone).summary.generations).toBe(2);
  });

  it('0.171: a token_usage_record ends each response (its usage, its response id, cache writes apart); token_count after the tools is ignored', () => {
    const rec = (response_id: string, input: number, cached: number, written: number, output: number) => ({ thread_id: SID, turn_id: 'turn-1', response_id, usage: { input_tokens: input, cached_input_tokens: cached, cache_write_input_tokens: written, output_tokens: output, reasoning_output_tokens: 0, total_tokens: input + output } });
    const lines = [
      env(0, 'session_meta', { id: SID, timestamp: t(0), cwd: '/w', cli_version: '0.171.0' }),
      env(1, 'event_msg', { type: 'task_started', turn_id: 'turn-1' }),
      env(1, 'turn_context', { turn_id: 'turn-1', cwd: '/w', model: 'gpt-5.5' }),
      env(1, 'event_msg', { type: 'user_message', message: 'tidy it', images: [] }),
      env(2, 'response_item', { type: 'custom_tool_call', name: 'apply_patch', call_id: 'call_p', input: '*** Begin Patch\n*** Update File: a.txt\n@@\n-x\n+y\n*** Add File: b.txt\n+z\n*** End Patch\n' }),
      env(2, 'response_item', { type: 'function_call', name: 'exec_command', arguments: '{"cmd":"rm -rf x"}', call_id: 'call_rm' }),
      env(2, 'token_usage_record', rec('resp_1', 1000, 200, 300, 40)),
      env(6, 'response_item', { type: 'custom_tool_call_output', call_id: 'call_p', output: 'Exit code: 0\nOutput:\nSuccess.' }),
      env(6, 'response_item', { type: 'function_call_output', call_id: 'call_rm', output: 'exec_command failed: CreateProcess { message: "Rejected(\\"`/bin/bash -lc \'rm -rf x\'` rejected: policy forbids commands starting with `rm`\\")" }' }),
      env(6, 'event_msg', { type: 'token_count', info: { total_token_usage: usage(1000, 200, 40, 0), last_token_usage: usage(1000, 200, 40, 0) } }),
      env(7, 'response_item', { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Done.' }] }),
      env(7, 'token_usage_record', rec('resp_2', 1200, 1000, 0, 5)),
      env(7, 'event_msg', { type: 'token_count', info: { total_token_usage: usage(2200, 1200, 45, 0), last_token_usage: usage(1200, 1000, 5, 0) } }),
      env(8, 'event_msg', { type: 'task_complete', turn_id: 'turn-1', last_agent_message: 'Done.' }),
    ];
    const doc = docOf(write('rollout-2026-11-29T10-00-00-' + SID + '.jsonl', lines));
    const gens = doc.spans.filter((s) => s.kind === 'generation');
    expect(gens.map((g) => g.attributes['gen_ai.response.id'])).toEqual(['resp_1', 'resp_2']);
    expect(gens[0]!.endTime).toBe(Date.parse(t(2)));
    // Codex reports one kind of cache write; it is kept as the 5-minute part of the split.
    expect(doc.summary.tokens).toEqual({ input: 500 + 200, output: 45, cacheRead: 1200, cacheWrite: 300, cacheWrite5m: 300, cacheWrite1h: 0, reasoning: 0 });
    const rm = doc.spans.find((s) => s.attributes['gen_ai.tool.call.id'] === 'call_rm')!;
    expect(rm.status).toBe('error');
    expect(rm.attributes['error.type']).toBe('rejected');
    expect(doc.summary.filesTouched).toEqual(['a.txt', 'b.txt']);
  });

  it('returns nothing (and does not throw) for empty or foreign files', () => {
    expect(readCodexRollout('')).toEqual([]);
    expect(readCodexRollout('garbage\n{"also": "garbage"\n')).toEqual([]);
    expect(codexImporter.detect('x.jsonl', '')).toBe(false);
    expect(codexImporter.detect('x.jsonl', '{"type":"user","message":{"role":"user","content":"hi"},"sessionId":"s","uuid":"u"}')).toBe(false);
  });
});
