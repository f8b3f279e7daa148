import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeWithFixtures } from './helpers/fixtures.js';
import type { AgentEvent } from '../src/events/types.js';
import type { TraceDocument } from '../src/model/trace.js';
import { importedEnding } from '../src/store/liveness.js';
import { cli, fixturesDir, tempDir } from './helpers/env.js';
import {
  ancestors,
  claudeFixtures,
  countTranscript,
  freshDataDir,
  haveClaudeFixtures,
  isolatedEnv,
  parentOf,
  readLines,
  spansOf,
  TranscriptWriter,
} from './helpers/claude-code.js';

interface Imported {
  sessionId: string;
  traceFile: string;
  spans: number;
}

async function importPaths(paths: string[], dir: string, home: string, extra: string[] = []): Promise<Imported[]> {
  const r = await cli(['import', ...paths, '--json', '--dir', dir, ...extra], { env: isolatedEnv(home) });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Imported[];
}

function readTrace(path: string): TraceDocument {
  return JSON.parse(readFileSync(path, 'utf8')) as TraceDocument;
}

const transcriptFiles = haveClaudeFixtures ? readdirSync(join(claudeFixtures, 'transcripts')).filter((f) => f.endsWith('.jsonl')).sort() : [];

describeWithFixtures(['claude-code/transcripts', 'claude-code/hooks'], 'importing the real Claude Code transcripts (../shared/fixtures)', () => {
  const inputs = [...transcriptFiles.map((f) => join(claudeFixtures, 'transcripts', f)), join(claudeFixtures, 'hooks', 'chat.json')];

  it.each(inputs.map((p) => [basename(p), p]))('%s: model calls, tool calls, tool errors and the four token kinds match an independent count', async (_name, path) => {
    const { home, dir } = freshDataDir();
    const [result, ...rest] = await importPaths([path], dir, home);
    expect(rest).toHaveLength(0);
    const doc = readTrace(result!.traceFile);
    const expected = countTranscript(readLines(path));
    expect(expected.generations).toBeGreaterThan(0);
    expect(doc.summary.generations).toBe(expected.generations);
    expect(spansOf(doc, 'generation')).toHaveLength(expected.generations);
    expect(doc.summary.toolCalls).toBe(expected.toolCalls);
    expect(doc.summary.toolErrors).toBe(expected.toolErrors);
    expect(doc.summary.tokens).toEqual({ ...expected.tokens, reasoning: 0 });
    expect([...doc.models].sort()).toEqual([...expected.models].sort());
    expect(result!.spans).toBe(doc.spans.length);
    expect(doc.agent.name).toBe('claude-code');
    expect(doc.agent.version).toMatch(/^2\.\d+\.\d+$/);
    // Taking the first line of each response would under-count output tokens.
    const firstLineOutput = new Map<string, number>();
    for (const l of readLines(path)) {
      const m = l.message as { id?: string; model?: string; usage?: { output_tokens?: number } } | undefined;
      if (l.type === 'assistant' && m?.id && m.model !== '<synthetic>' && !firstLineOutput.has(m.id)) firstLineOutput.set(m.id, m.usage?.output_tokens ?? 0);
    }
    const naive = [...firstLineOutput.values()].reduce((a, b) => a + b, 0);
    expect(doc.summary.tokens.output).toBeGreaterThanOrEqual(naive);
  });

  it('subagents are nested under the Task tool that spawned them, with their own model calls and tools below them', async () => {
    const { home, dir } = freshDataDir();
    const results = await importPaths(
      [join(claudeFixtures, 'transcripts', 'subagent.jsonl'), join(claudeFixtures, 'transcripts', 'agentlogs-subagent.jsonl'), join(claudeFixtures, 'hooks', 'chat.json')],
      dir,
      home,
    );
    expect(results).toHaveLength(3);
    for (const r of results) {
      const doc = readTrace(r.traceFile);
      const subagents = spansOf(doc, 'subagent');
      expect(subagents.length).toBeGreaterThan(0);
      for (const s of subagents) {
        const parent = parentOf(doc, s)!;
        expect(parent.kind).toBe('tool');
        expect(['execute_tool Task', 'execute_tool Agent']).toContain(parent.name);
      }
    }
    // agent_progress (2.1.38): the Plan subagent's 9 tool calls and its model calls sit below it.
    const progress = readTrace(results[0]!.traceFile);
    const [plan] = spansOf(progress, 'subagent');
    expect(plan!.name).toBe('invoke_agent Plan');
    const inside = progress.spans.filter((s) => ancestors(progress, s).some((a) => a.spanId === plan!.spanId));
    expect(inside.filter((s) => s.kind === 'tool')).toHaveLength(9);
    expect(inside.filter((s) => s.kind === 'generation').every((g) => g.name === 'chat claude-haiku-4-5-20251001')).toBe(true);
    expect(inside.filter((s) => s.kind === 'generation').length).toBeGreaterThan(0);
    // inline isSidechain lines (2.0.13): the subagent's one model call is below it.
    const inline = readTrace(results[1]!.traceFile);
    const [general] = spansOf(inline, 'subagent');
    expect(general!.name).toBe('invoke_agent general-purpose');
    expect(inline.spans.filter((s) => s.kind === 'generation' && s.parentSpanId === general!.spanId)).toHaveLength(1);
  });

  it('turns are the person’s words only: no tool results, meta lines, command output or compaction summaries', async () => {
    const { home, dir } = freshDataDir();
    const byFile = new Map<string, TraceDocument>();
    for (const f of [...transcriptFiles.map((x) => join(claudeFixtures, 'transcripts', x)), join(claudeFixtures, 'hooks', 'chat.json')]) {
      const [r] = await importPaths([f], dir, home);
      byFile.set(basename(f), readTrace(r!.traceFile));
    }
    const prompts = (name: string) => spansOf(byFile.get(name)!, 'turn').map((t) => String(t.input));
    expect(prompts('short.jsonl')).toEqual(['mix phx.server doesnt seem to start']);
    expect(prompts('tool_heavy.jsonl')).toEqual(['start phoenix in background', expect.stringMatching(/^scrolling back in xterm\.js/)]);
    // A slash command that reached the model is its prompt, as typed; /clear, /compact, /mcp and /model are not turns.
    expect(prompts('subagent.jsonl')).toEqual([expect.stringMatching(/^\/handgemacht:create-beads websearch/), 'create the beads']);
    expect(prompts('agentlogs-compact.jsonl')).toEqual(['how are you doing']);
    expect(prompts('agentlogs-crud.jsonl')).toHaveLength(1);
    // The prompt typed while the agent worked (queued, absorbed mid-turn) is a turn of its own.
    expect(prompts('chat.json')).toEqual([
      expect.stringMatching(/^lets use an agent team/),
      expect.stringMatching(/^i have an idea!/),
      expect.stringMatching(/^how can we verify/),
    ]);
    for (const doc of byFile.values()) {
      for (const t of spansOf(doc, 'turn')) {
        expect(String(t.input)).not.toMatch(/<command-|<local-command|Caveat:|This session is being continued|\[Request interrupted|tool_use_id|<task-notification>/);
      }
      const firstLine = String(spansOf(doc, 'turn')[0]!.input).split('\n')[0]!;
      expect(firstLine.startsWith(doc.title!.replace(/…$/, ''))).toBe(true);
    }
    // The interruption in short.jsonl is a mark, and both interrupted tool calls failed.
    const short = byFile.get('short.jsonl')!;
    expect(short.spans.flatMap((s) => s.events ?? []).some((e) => e.name === 'interrupt')).toBe(true);
  });

  it('compaction: the boundary and its summary make one compact span with trigger and tokens before', async () => {
    const { home, dir } = freshDataDir();
    const [r] = await importPaths([join(claudeFixtures, 'transcripts', 'agentlogs-compact.jsonl')], dir, home);
    const doc = readTrace(r!.traceFile);
    const compactions = spansOf(doc, 'compaction');
    expect(compactions).toHaveLength(1);
    expect(compactions[0]!.attributes['agent_trace.compaction.trigger']).toBe('manual');
    expect(compactions[0]!.attributes['agent_trace.compaction.tokens_before']).toBe(15808);
    expect(String(compactions[0]!.output)).toMatch(/^This session is being continued/);
  });

  it('re-importing the same input gives the same journal and the same trace, ids included', async () => {
    const { home, dir } = freshDataDir();
    const paths = [join(claudeFixtures, 'transcripts', 'subagent.jsonl'), join(claudeFixtures, 'hooks', 'chat.json')];
    const first = await importPaths(paths, dir, home);
    const snapshot = first.map((r) => ({ trace: readFileSync(r.traceFile, 'utf8'), journal: readFileSync(join(r.traceFile, '..', 'events.jsonl'), 'utf8') }));
    const second = await importPaths(paths, dir, home);
    expect(second).toEqual(first);
    second.forEach((r, i) => {
      expect(readFileSync(r.traceFile, 'utf8')).toBe(snapshot[i]!.trace);
      expect(readFileSync(join(r.traceFile, '..', 'events.jsonl'), 'utf8')).toBe(snapshot[i]!.journal);
    });
    // Old sessions whose last turn finished are completed, not left running (nor called interrupted).
    for (const r of second) expect(readTrace(r.traceFile).status).toBe('completed');
  });

  it('every fixture ends as its transcript shows: completed, or interrupted when its last turn was', async () => {
    const { home, dir } = freshDataDir();
    const inputs = [
      ...transcriptFiles.map((f) => join(claudeFixtures, 'transcripts', f)),
      join(claudeFixtures, 'hooks', 'chat.json'),
      join(fixturesDir, 'codex', 'agentlogs-crud.jsonl'),
      join(fixturesDir, 'gemini', 'test_conversation_gemini.json'),
      ...['all-tools.json', 'crud.json'].map((f) => join(fixturesDir, 'opencode', 'exports', f)),
      ...readdirSync(join(fixturesDir, 'opencode', 'events')).sort().map((f) => join(fixturesDir, 'opencode', 'events', f)),
    ].filter((p) => existsSync(p));
    const status: Record<string, string> = {};
    const reasons: Record<string, string | undefined> = {};
    for (const path of inputs) {
      const [r] = await importPaths([path], dir, home);
      const doc = readTrace(r!.traceFile);
      status[basename(path)] = doc.status;
      const ending = readJournal(r!.traceFile).filter((e) => e.type === 'session.end' || e.type === 'session.interrupted');
      expect(ending, basename(path)).toHaveLength(1);
      reasons[basename(path)] = (ending[0] as { reason?: string }).reason;
      // It ends where the transcript's last activity is, not at the time of the import.
      expect(doc.endTime, basename(path)).toBe(Math.max(...readJournal(r!.traceFile).map((e) => e.time)));
    }
    // short.jsonl and tool_heavy.jsonl end with "[Request interrupted by user…]"; the permission capture stops
    // while its read tool is still running. Everything else finished its last turn.
    const interrupted = ['short.jsonl', 'tool_heavy.jsonl', 'real-session-permission-external-file.jsonl'];
    for (const [name, s] of Object.entries(status)) expect(s, name).toBe(interrupted.includes(name) ? 'interrupted' : 'completed');
    expect(reasons['short.jsonl']).toBe('imported: the last turn was interrupted ([Request interrupted by user for tool use])');
    expect(reasons['real-session-permission-external-file.jsonl']).toBe('imported: the last turn left tool call read unanswered');
    expect(reasons['subagent.jsonl']).toBe('imported: transcript ended');
  });
});

function readJournal(traceFile: string): AgentEvent[] {
  return readFileSync(join(traceFile, '..', 'events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AgentEvent);
}

describe('how an imported session ended (transcripts record no session end)', () => {
  const HOUR = 3_600_000;
  const sid = (n: number) => `5555555${n}-5555-4555-8555-555555555555`;

  function finished(projects: string, sessionId: string, start: number): TranscriptWriter {
    const w = new TranscriptWriter(join(projects, '-p', `${sessionId}.jsonl`), sessionId, start);
    w.prompt('list the files');
    w.response(`msg_${sessionId.slice(0, 8)}_1`, [{ tool: { id: `toolu_${sessionId.slice(0, 8)}_ls`, name: 'Bash', input: { command: 'ls' } } }], { input: 5, output: 9, cacheRead: 0, cacheWrite: 0 });
    w.toolResult(`toolu_${sessionId.slice(0, 8)}_ls`, 'a.ts b.ts');
    w.response(`msg_${sessionId.slice(0, 8)}_2`, [{ text: 'Two files.' }], { input: 6, output: 4, cacheRead: 0, cacheWrite: 0 });
    return w;
  }

  it('an idle session whose last turn finished is completed at its last activity; re-importing changes no byte', async () => {
    const { home, dir } = freshDataDir();
    const projects = join(home, '.claude', 'projects');
    const w = finished(projects, sid(1), Date.now() - 2 * HOUR);
    const [r] = await importPaths([projects], dir, home);
    const doc = readTrace(r!.traceFile);
    expect(doc.status).toBe('completed');
    expect(doc.endTime).toBe(w.now);
    const end = readJournal(r!.traceFile).filter((e) => e.type === 'session.end');
    expect(end).toEqual([{ type: 'session.end', sessionId: sid(1), time: w.now, source: 'import', status: 'completed', reason: 'imported: transcript ended' }]);
    expect(doc.spans.filter((s) => s.attributes['agent_trace.interrupted'] === true)).toEqual([]);
    // The journal's time is the session's last activity, not the moment of the import.
    expect(Math.abs(statSync(join(r!.traceFile, '..', 'events.jsonl')).mtimeMs - w.now)).toBeLessThan(1_000);
    const before = { trace: readFileSync(r!.traceFile, 'utf8'), journal: readFileSync(join(r!.traceFile, '..', 'events.jsonl'), 'utf8') };
    await importPaths([projects], dir, home);
    expect(readFileSync(r!.traceFile, 'utf8')).toBe(before.trace);
    expect(readFileSync(join(r!.traceFile, '..', 'events.jsonl'), 'utf8')).toBe(before.journal);
    // `list` agrees, and does not turn it into an interruption.
    const list = await cli(['list', '--json', '--dir', dir], { env: isolatedEnv(home) });
    expect((JSON.parse(list.stdout) as Array<{ status: string }>)[0]!.status).toBe('completed');
  });

  it('a last turn that was visibly interrupted keeps the session interrupted; an interruption in an earlier turn does not', async () => {
    const { home, dir } = freshDataDir();
    const projects = join(home, '.claude', 'projects');
    const start = Date.now() - 3 * HOUR;
    // The person pressed Esc in the last turn.
    const esc = finished(projects, sid(2), start);
    esc.prompt('now refactor them');
    esc.response('msg_esc_1', [{ text: 'Starting.' }], { input: 3, output: 2, cacheRead: 0, cacheWrite: 0 });
    esc.write({ type: 'user', message: { role: 'user', content: [{ type: 'text', text: '[Request interrupted by user]' }] } });
    // Killed while a tool ran: its call was never answered.
    const killed = finished(projects, sid(3), start);
    killed.prompt('run the tests');
    killed.response('msg_kill_1', [{ tool: { id: 'toolu_kill_test', name: 'Bash', input: { command: 'npm test' } } }], { input: 3, output: 2, cacheRead: 0, cacheWrite: 0 });
    // Interrupted once, then asked again and finished: completed.
    const resumed = new TranscriptWriter(join(projects, '-p', `${sid(4)}.jsonl`), sid(4), start);
    resumed.prompt('build it');
    resumed.response('msg_res_1', [{ text: 'Building.' }], { input: 3, output: 2, cacheRead: 0, cacheWrite: 0 });
    resumed.write({ type: 'user', message: { role: 'user', content: [{ type: 'text', text: '[Request interrupted by user]' }] } });
    resumed.prompt('go on');
    resumed.response('msg_res_2', [{ text: 'Built.' }], { input: 3, output: 2, cacheRead: 0, cacheWrite: 0 });

    const results = await importPaths([projects], dir, home);
    const byId = new Map(results.map((r) => [r.sessionId, readTrace(r.traceFile)]));
    expect(byId.get(sid(2))!.status).toBe('interrupted');
    expect(byId.get(sid(3))!.status).toBe('interrupted');
    expect(byId.get(sid(4))!.status).toBe('completed');
    const reason = (id: string) => (readJournal(results.find((r) => r.sessionId === id)!.traceFile).find((e) => e.type === 'session.interrupted') as { reason?: string } | undefined)?.reason;
    expect(reason(sid(2))).toBe('imported: the last turn was interrupted ([Request interrupted by user])');
    expect(reason(sid(3))).toBe('imported: the last turn left tool call Bash unanswered');
    // The call left open is closed as interrupted, not as an error.
    const test = byId.get(sid(3))!.spans.find((s) => s.attributes['gen_ai.tool.call.id'] === 'toolu_kill_test')!;
    expect(test.attributes['agent_trace.interrupted']).toBe(true);
    expect(test.status).not.toBe('error');
  });

  it('a recent session may still be running; once idle, reading it ends it the same way a re-import would', async () => {
    const { home, dir } = freshDataDir();
    const env = isolatedEnv(home);
    const config = join(home, '.config', 'agent-trace', 'config.json');
    mkdirSync(join(config, '..'), { recursive: true });
    writeFileSync(config, JSON.stringify({ inactivityMinutes: 60 }));
    const projects = join(home, '.claude', 'projects');
    finished(projects, sid(5), Date.now() - 40 * 60_000);
    const [r] = await importPaths([projects], dir, home);
    expect(readTrace(r!.traceFile).status).toBe('running');
    expect(readJournal(r!.traceFile).some((e) => e.type === 'session.end' || e.type === 'session.interrupted')).toBe(false);

    // 40 minutes idle is past a 30-minute limit: `list` settles it — completed, as its transcript shows.
    writeFileSync(config, JSON.stringify({ inactivityMinutes: 30 }));
    const list = await cli(['list', '--json', '--dir', dir], { env });
    expect((JSON.parse(list.stdout) as Array<{ status: string }>)[0]!.status).toBe('completed');
    const settled = readFileSync(join(r!.traceFile, '..', 'events.jsonl'), 'utf8');
    expect(readJournal(r!.traceFile).filter((e) => e.type === 'session.end')).toMatchObject([{ source: 'import', reason: 'imported: transcript ended' }]);
    await importPaths([projects], dir, home);
    expect(readFileSync(join(r!.traceFile, '..', 'events.jsonl'), 'utf8')).toBe(settled);
  });

  it('a session the hooks recorded keeps their status truth: the import adds no end of its own', async () => {
    const { home, dir } = freshDataDir();
    const env = isolatedEnv(home);
    const projects = join(home, '.claude', 'projects');
    const sessionId = sid(6);
    const w = finished(projects, sessionId, Date.now() - 2 * HOUR);
    // A Stop hook records the agent's process: here the test runner, which is alive.
    await cli(['hook', '--dir', dir], { env, input: JSON.stringify({ session_id: sessionId, hook_event_name: 'Stop', transcript_path: w.path, last_assistant_message: 'Two files.' }) });
    const [r] = await importPaths([projects], dir, home);
    expect(readTrace(r!.traceFile).status).toBe('running');
    expect(readJournal(r!.traceFile).filter((e) => e.source === 'import')).toEqual([]);
    // Its agent gone without a SessionEnd: interrupted, as liveness says for every hooks-recorded session.
    writeFileSync(join(r!.traceFile, '..', 'agent.json'), JSON.stringify({ pid: 2 ** 22 + 12345 }));
    const [again] = await importPaths([projects], dir, home);
    expect(readTrace(again!.traceFile).status).toBe('interrupted');
    expect(readJournal(again!.traceFile).find((e) => e.type === 'session.interrupted')).toMatchObject({ source: 'system', reason: expect.stringMatching(/agent process \d+ exited/) });
  });
});

describe('importedEnding (the rule, on normalized events of any agent)', () => {
  const base = { sessionId: 's', source: 'import' as const };
  it('an open last turn or model call is interrupted; a session that already ended gets nothing', () => {
    const turn = [{ ...base, type: 'session.start' as const, time: 1 }, { ...base, type: 'turn.start' as const, time: 2, prompt: 'p', key: 't1' }];
    expect(importedEnding('s', [...turn, { ...base, type: 'turn.end', time: 5, key: 't1' }])).toMatchObject({ type: 'session.end', time: 5, status: 'completed' });
    expect(importedEnding('s', turn)).toMatchObject({ type: 'session.interrupted', time: 2, reason: 'imported: the last turn never finished' });
    expect(importedEnding('s', [...turn, { ...base, type: 'generation.start', time: 3, key: 'g' }, { ...base, type: 'turn.end', time: 4, key: 't1' }])).toMatchObject({
      type: 'session.interrupted',
      reason: 'imported: the last turn left a model call unfinished',
    });
    // A subagent's loose end is not how the session ended.
    expect(importedEnding('s', [...turn, { ...base, type: 'tool.start', time: 3, key: 'x', name: 'Read', agentKey: 'a1' }, { ...base, type: 'turn.end', time: 4, key: 't1' }])).toMatchObject({ type: 'session.end' });
    expect(importedEnding('s', [...turn, { ...base, type: 'session.end', time: 6 }])).toBeUndefined();
    expect(importedEnding('s', [])).toBeUndefined();
  });
});

describe('importing Claude Code folders', () => {
  function writeSession(projects: string, project: string, sessionId: string, withSubagent: boolean, start: number): void {
    const w = new TranscriptWriter(join(projects, project, `${sessionId}.jsonl`), sessionId, start, `/home/u/${project}`);
    w.prompt(`fix the build of ${project}`);
    w.response(`msg_${sessionId.slice(0, 4)}_1`, [{ thinking: 'let me look' }, { text: 'Looking.' }, { tool: { id: `toolu_${sessionId.slice(0, 4)}_read`, name: 'Read', input: { file_path: '/x' } } }], { input: 10, output: 40, cacheRead: 1000, cacheWrite: 50 });
    w.toolResult(`toolu_${sessionId.slice(0, 4)}_read`, 'file body');
    if (withSubagent) {
      const agentId = `a${sessionId.slice(0, 6)}`;
      w.response(`msg_${sessionId.slice(0, 4)}_2`, [{ tool: { id: `toolu_${sessionId.slice(0, 4)}_task`, name: 'Task', input: { description: 'explore', prompt: 'Explore the repo', subagent_type: 'Explore' } } }], { input: 5, output: 30, cacheRead: 1100, cacheWrite: 0 });
      const sub = new TranscriptWriter(join(projects, project, sessionId, 'subagents', `agent-${agentId}.jsonl`), sessionId, w.now + 10, `/home/u/${project}`);
      sub.write({ type: 'user', isSidechain: true, agentId, message: { role: 'user', content: 'Explore the repo' } });
      sub.response('msg_sub_1', [{ text: 'Reading' }, { tool: { id: 'toolu_sub_grep', name: 'Grep', input: { pattern: 'x' } } }], { input: 3, output: 20, cacheRead: 500, cacheWrite: 100 }, 'claude-haiku-4-5-20251001', { isSidechain: true, agentId });
      sub.toolResult('toolu_sub_grep', 'no match', true, undefined, { isSidechain: true, agentId });
      sub.response('msg_sub_2', [{ text: 'Done exploring.' }], { input: 2, output: 15, cacheRead: 600, cacheWrite: 0 }, 'claude-haiku-4-5-20251001', { isSidechain: true, agentId });
      w.tick(2_000);
      w.toolResult(`toolu_${sessionId.slice(0, 4)}_task`, 'Done exploring.', false, { status: 'completed', agentId, prompt: 'Explore the repo' });
    }
    w.response(`msg_${sessionId.slice(0, 4)}_3`, [{ text: 'Fixed.' }], { input: 4, output: 12, cacheRead: 1200, cacheWrite: 0 });
  }

  it('imports the whole ~/.claude/projects layout with subagent folders, a project folder, or one subagent file', async () => {
    const { home, dir } = freshDataDir();
    const projects = join(home, '.claude', 'projects');
    const t = Date.parse('2026-01-10T10:00:00Z');
    writeSession(projects, '-home-u-alpha', '11111111-1111-4111-8111-111111111111', true, t);
    writeSession(projects, '-home-u-alpha', '22222222-2222-4222-8222-222222222222', false, t + 3_600_000);
    writeSession(projects, '-home-u-beta', '33333333-3333-4333-8333-333333333333', true, t + 7_200_000);
    writeFileSync(join(projects, '-home-u-beta', 'notes.txt'), 'not a transcript');

    const all = await importPaths([projects], dir, home);
    expect(all.map((r) => r.sessionId).sort()).toEqual(['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333']);
    const doc = readTrace(all.find((r) => r.sessionId.startsWith('1111'))!.traceFile);
    expect(doc.summary).toMatchObject({ turns: 1, generations: 5, toolCalls: 3, toolErrors: 1, subagents: 1 });
    expect(doc.summary.tokens).toEqual({ input: 24, output: 117, cacheRead: 4400, cacheWrite: 150, cacheWrite5m: 150, cacheWrite1h: 0, reasoning: 0 });
    const [sub] = spansOf(doc, 'subagent');
    expect(parentOf(doc, sub!)!.name).toBe('execute_tool Task');
    expect(sub!.name).toBe('invoke_agent Explore');
    expect(sub!.input).toBe('Explore the repo');
    const inside = doc.spans.filter((s) => s.parentSpanId === sub!.spanId);
    expect(inside.map((s) => s.name).sort()).toEqual(['chat claude-haiku-4-5-20251001', 'chat claude-haiku-4-5-20251001', 'execute_tool Grep']);
    expect(doc.cwd).toBe('/home/u/-home-u-alpha');

    // A project folder alone, and a subagent file alone (read with its session): the same traces.
    const { home: home2, dir: dir2 } = freshDataDir();
    const project = await importPaths([join(projects, '-home-u-alpha')], dir2, home2);
    expect(project).toHaveLength(2);
    const { home: home3, dir: dir3 } = freshDataDir();
    const single = await importPaths([join(projects, '-home-u-beta', '33333333-3333-4333-8333-333333333333', 'subagents', 'agent-a333333.jsonl')], dir3, home3);
    expect(single.map((r) => r.sessionId)).toEqual(['33333333-3333-4333-8333-333333333333']);
    expect(readTrace(single[0]!.traceFile).summary.subagents).toBe(1);
    expect(readTrace(single[0]!.traceFile).summary.generations).toBe(5);
  });

  it('re-importing after the hooks recorded the session keeps the hooks’ events and duplicates nothing', async () => {
    const { home, dir } = freshDataDir();
    const projects = join(home, '.claude', 'projects');
    const sessionId = '44444444-4444-4444-8444-444444444444';
    writeSession(projects, '-p', sessionId, true, Date.now() - 60_000);
    const env = isolatedEnv(home);
    const hook = (payload: Record<string, unknown>) => cli(['hook', '--dir', dir], { env, input: JSON.stringify({ session_id: sessionId, ...payload }) });
    await hook({ hook_event_name: 'PreToolUse', tool_name: 'Read', tool_use_id: 'toolu_4444_read', tool_input: { file_path: '/x' } });
    await hook({ hook_event_name: 'PostToolUse', tool_name: 'Read', tool_use_id: 'toolu_4444_read', tool_response: { ok: true } });
    await hook({ hook_event_name: 'Notification', message: 'Claude needs your permission', notification_type: 'permission_prompt' });
    const first = await importPaths([projects], dir, home);
    const second = await importPaths([projects], dir, home);
    expect(second).toEqual(first);
    const doc = readTrace(first[0]!.traceFile);
    expect(doc.summary.toolCalls).toBe(3);
    expect(spansOf(doc, 'tool').filter((s) => s.attributes['gen_ai.tool.call.id'] === 'toolu_4444_read')).toHaveLength(1);
    expect(doc.spans.flatMap((s) => s.events ?? []).filter((e) => e.name === 'notification')).toHaveLength(1);
  });

  it('refuses paths that do not exist or hold nothing to import, with one line and exit 1', async () => {
    const { home, dir } = freshDataDir();
    const missing = await cli(['import', join(home, 'nope'), '--dir', dir], { env: isolatedEnv(home) });
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    const empty = tempDir();
    writeFileSync(join(empty, 'readme.md'), '# hi');
    const nothing = await cli(['import', empty, '--dir', dir], { env: isolatedEnv(home) });
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/nothing to import/);
    expect(existsSync(join(dir, 'sessions'))).toBe(false);
  });

  it('says what it reads when a path holds none of it, once, on stderr only', async () => {
    const { home, dir } = freshDataDir();
    const env = isolatedEnv(home);
    const folder = tempDir();
    // An empty folder, a file no importer recognises: the formats agent-trace reads, with where they live.
    for (const target of [folder, join(folder, 'notes.json')]) {
      if (target.endsWith('.json')) writeFileSync(target, '{"hello": "world"}');
      const r = await cli(['import', target, '--dir', dir], { env });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^agent-trace: nothing to import in .*: no saved agent session found; agent-trace reads Claude Code transcripts \(~\/\.claude\/projects.*Codex rollouts \(~\/\.codex\/sessions.*Gemini CLI chat files \(~\/\.gemini\/tmp.*opencode/);
      expect(r.stderr).not.toMatch(/try --agent/);
    }
    // The wrong --agent for a file another importer knows: one message naming both, no "imported 0 session(s)".
    const gemini = join(folder, 'session-2026-01-10T10-00-abcd1234.json');
    const t = '2026-01-10T10:00:00.000Z';
    writeFileSync(gemini, JSON.stringify({ sessionId: 'g-1', projectHash: 'p', startTime: t, lastUpdated: t, messages: [{ id: 'm1', timestamp: t, type: 'user', content: [{ text: 'hi' }] }] }));
    const wrong = await cli(['import', '--agent', 'codex', gemini, '--dir', dir], { env });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toBe('');
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
    expect(wrong.stderr).toMatch(/no Codex rollout found \(--agent codex reads ~\/\.codex\/sessions.*\); found 1 Gemini CLI chat file instead: run again without --agent \(or with --agent gemini\)$/m);
    expect(existsSync(join(dir, 'sessions'))).toBe(false);
    const right = await cli(['import', gemini, '--json', '--dir', dir], { env });
    expect(right.code, right.stderr).toBe(0);
  });

  it('the test transcript writer writes what Claude Code writes: one response over several lines, partial usage first', () => {
    const d = tempDir();
    const w = new TranscriptWriter(join(d, 's.jsonl'), 's');
    w.prompt('p');
    w.response('msg_1', [{ text: 'a' }, { text: 'b' }], { input: 1, output: 9, cacheRead: 2, cacheWrite: 3 });
    const lines = readLines(join(d, 's.jsonl'));
    expect(lines).toHaveLength(3);
    expect((lines[1]!.message as { usage: { output_tokens: number } }).usage.output_tokens).toBe(1);
    expect(countTranscript(lines)).toMatchObject({ generations: 1, tokens: { input: 1, output: 9, cacheRead: 2, cacheWrite: 3 } });
  });
});
