import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TraceDocument } from '../src/model/trace.js';
import { acquireSync } from '../src/store/lock.js';
import { reconcileSession } from '../src/store/reconcile.js';
import { SessionStore } from '../src/store/session-store.js';
import { RECONCILE_SOURCES } from '../src/adapters/sources.js';
import { binPath, cli, repoRoot, run, tempDir } from './helpers/env.js';
import { freshDataDir, isolatedEnv, spansOf, TranscriptWriter } from './helpers/claude-code.js';

/** The recorder the installed hooks run (dist/hook/record.sh). */
const recorder = join(repoRoot, 'dist', 'hook', 'record.sh');
/** A node that does not exist: the recorder then starts no worker, so only the readers reconcile. */
const NO_WORKER = '/nonexistent/node';

function record(dir: string, event: string, input: string | Buffer, options: { node?: string; env?: NodeJS.ProcessEnv } = {}) {
  return run('/bin/sh', [recorder, 'claude-code', event, options.node ?? NO_WORKER, dir], { input, env: options.env ?? { PATH: process.env.PATH } });
}

function spoolFiles(dir: string): string[] {
  try {
    return readdirSync(join(dir, 'spool', 'claude-code')).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
}

function journal(dir: string, sessionId: string): Array<Record<string, unknown>> {
  return readFileSync(join(dir, 'sessions', sessionId, 'events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function show(dir: string, sessionId: string, env: NodeJS.ProcessEnv): Promise<TraceDocument> {
  const r = await cli(['show', sessionId, '--json', '--dir', dir], { env });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as TraceDocument;
}

/** Spool files written the way the recorder names them: `<ns>-<pid>-<ppid>-<event>.json`. */
function spoolToolCalls(dir: string, sessionId: string, n: number): void {
  const folder = join(dir, 'spool', 'claude-code');
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const t0 = BigInt(Date.now()) * 1_000_000n;
  for (let i = 0; i < n; i++) {
    const payload = { session_id: sessionId, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_use_id: `toolu_${i}`, tool_input: { command: `echo ${i}` } };
    writeFileSync(join(folder, `${t0 + BigInt(i)}-${100_000 + i}-1-PreToolUse.json`), JSON.stringify(payload), { mode: 0o600 });
  }
}

function toolKeys(dir: string, sessionId: string): string[] {
  return journal(dir, sessionId)
    .filter((e) => e.type === 'tool.start')
    .map((e) => e.key as string)
    .sort();
}

describe('the hook recorder (dist/hook/record.sh)', () => {
  it('records any input byte for byte, privately, exits 0 and prints nothing', async () => {
    const dir = join(tempDir(), 'data');
    const inputs: Array<string | Buffer> = ['{"session_id":"x","hook_event_name":"PreToolUse"}', '', 'not json at all', Buffer.from([0, 255, 10, 13, 0x80]), 'z'.repeat(3 * 1024 * 1024)];
    for (const input of inputs) {
      const r = await record(dir, 'PreToolUse', input);
      expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    }
    const files = spoolFiles(dir);
    expect(files).toHaveLength(inputs.length);
    const contents = files.map((f) => readFileSync(join(dir, 'spool', 'claude-code', f)));
    for (const input of inputs) expect(contents.some((c) => c.equals(Buffer.from(input)))).toBe(true);
    for (const f of files) {
      expect(f).toMatch(/^\d{19}-\d+-\d+-PreToolUse\.json$/);
      expect(statSync(join(dir, 'spool', 'claude-code', f)).mode & 0o777).toBe(0o600);
    }
    expect(statSync(join(dir, 'spool', 'claude-code')).mode & 0o777).toBe(0o700);
    // Hostile arguments never escape the spool.
    expect((await run('/bin/sh', [recorder, '../../x', 'Pre/../../Tool', NO_WORKER, dir], { input: '{}' })).code).toBe(0);
    expect(readdirSync(join(dir, 'spool')).sort()).toEqual(['claude-code', 'unknown']);
    // What readers make of it: the one real payload is a tool call; the rest are refused with one log line each.
    const list = await cli(['list', '--json', '--dir', dir], { env: isolatedEnv(tempDir()) });
    expect(list.code).toBe(0);
    expect(spoolFiles(dir)).toEqual([]);
  });

  it('never fails the agent: a data dir that cannot exist, or no HOME at all', async () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, '');
    for (const dir of [join(file, 'data'), '/proc/agent-trace-nope']) {
      const r = await record(dir, 'Stop', '{"session_id":"s"}');
      expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    }
    const r = await run('/bin/sh', [recorder, 'claude-code', 'Stop', NO_WORKER, ''], { input: '{}', env: {} });
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('starts the worker when a turn or session ends, for every agent (Codex Interrupt included)', async () => {
    const dir = tempDir();
    // A stand-in for node: the worker it is started as leaves a mark naming the reconcile it was asked for.
    const fakeNode = join(dir, 'fake-node.sh');
    writeFileSync(fakeNode, '#!/bin/sh\nshift\necho "$*" > "$AGENT_TRACE_MARK.$$"\n', { mode: 0o755 });
    const ends: Array<[string, string]> = [['claude-code', 'Stop'], ['claude-code', 'StopFailure'], ['claude-code', 'SessionEnd'], ['codex', 'Interrupt'], ['codex', 'Stop'], ['gemini', 'AfterAgent'], ['opencode', 'session.idle']];
    const marks = join(dir, 'marks');
    mkdirSync(marks);
    await Promise.all(
      ends.map(async ([agent, event], i) => {
        const data = join(dir, `data-${i}`);
        const r = await run('/bin/sh', [recorder, agent, event, fakeNode, data], { input: '{}', env: { PATH: process.env.PATH, AGENT_TRACE_MARK: join(marks, String(i)) } });
        expect(r.code).toBe(0);
      }),
    );
    // Detached and a second late: wait for every mark, not for a time.
    await new Promise<void>((resolve) => {
      const look = () => (readdirSync(marks).length >= ends.length ? resolve() : setTimeout(look, 50));
      look();
    });
    const got = readdirSync(marks).map((n) => readFileSync(join(marks, n), 'utf8').trim()).sort();
    expect(got).toEqual(ends.map((_, i) => `reconcile --worker --dir ${join(dir, `data-${i}`)}`).sort());
  });

  it('16 hooks at once each leave one complete file', async () => {
    const dir = join(tempDir(), 'data');
    const payloads = Array.from({ length: 16 }, (_, i) => JSON.stringify({ session_id: 'c', hook_event_name: 'PreToolUse', tool_use_id: `t${i}`, pad: 'p'.repeat(200_000) }));
    const results = await Promise.all(payloads.map((p) => record(dir, 'PreToolUse', p)));
    for (const r of results) expect(r.code).toBe(0);
    const files = spoolFiles(dir);
    expect(files).toHaveLength(16);
    const got = files.map((f) => readFileSync(join(dir, 'spool', 'claude-code', f), 'utf8')).sort();
    expect(got).toEqual([...payloads].sort());
  });
});

describe('the reconcile step', () => {
  it('two reconcilers at once ingest every spooled payload exactly once', async () => {
    const { home, dir } = freshDataDir();
    spoolToolCalls(dir, 'two', 300);
    const env = isolatedEnv(home);
    const [a, b] = await Promise.all([cli(['reconcile', '--dir', dir], { env }), cli(['reconcile', '--dir', dir], { env })]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(toolKeys(dir, 'two')).toEqual(Array.from({ length: 300 }, (_, i) => `toolu_${i}`).sort());
    expect(readdirSync(join(dir, 'spool', 'claude-code')).filter((n) => !n.startsWith('drain.lock'))).toEqual([]);
  });

  it('a reconciler SIGKILLed mid-drain loses nothing and duplicates nothing', async () => {
    const { home, dir } = freshDataDir();
    spoolToolCalls(dir, 'kill', 400);
    const env = isolatedEnv(home);
    const child = spawn(process.execPath, [binPath, 'reconcile', '--dir', dir], { env, stdio: 'ignore' });
    const folder = join(dir, 'spool', 'claude-code');
    const exited = new Promise((r) => child.once('exit', r));
    // Kill it once it is ingesting: some payloads are in the journal and some still wait.
    await new Promise<void>((resolve) => {
      const look = () => {
        const journalPath = join(dir, 'sessions', 'kill', 'events.jsonl');
        if (existsSync(journalPath) && statSync(journalPath).size > 0) return resolve();
        setTimeout(look, 2);
      };
      look();
    });
    child.kill('SIGKILL');
    await exited;
    const left = readdirSync(folder).filter((n) => n.includes('.json'));
    expect(left.length).toBeGreaterThan(0);
    expect(toolKeys(dir, 'kill').length).toBeLessThan(400);
    // The next reader takes back what the dead one had claimed, and ingests the rest.
    const list = await cli(['list', '--json', '--dir', dir], { env });
    expect(list.code, list.stderr).toBe(0);
    expect(toolKeys(dir, 'kill')).toEqual(Array.from({ length: 400 }, (_, i) => `toolu_${i}`).sort());
    expect(readdirSync(folder).filter((n) => n.includes('.json'))).toEqual([]);
  });

  it('an agent that exits between the drain and its liveness check ended, not interrupted: its last hooks are read first', async () => {
    const { dir } = freshDataDir();
    const store = new SessionStore(dir, { sources: RECONCILE_SOURCES });
    // The agent: a live process whose pid the spool names (as the recorder names the agent it runs under).
    const agent = spawn('sleep', ['60'], { stdio: 'ignore' });
    const spool = join(dir, 'spool', 'claude-code');
    mkdirSync(spool, { recursive: true });
    let ns = BigInt(Date.now()) * 1_000_000n;
    const put = (event: string, payload: Record<string, unknown>) => {
      ns += 1_000_000n;
      writeFileSync(join(spool, `${ns}-${process.pid}-${agent.pid}-${event}.json`), JSON.stringify({ session_id: 'race-1', cwd: dir, hook_event_name: event, ...payload }));
    };
    put('SessionStart', { source: 'startup' });
    put('UserPromptSubmit', { prompt: 'hi' });
    put('Stop', { stop_hook_active: false });
    store.reconcile();
    expect(store.load('race-1')!.status).toBe('running');
    // SessionEnd reaches the spool and the agent exits — after a reader drained the spool, before it checks
    // whether the session's agent still lives.
    put('SessionEnd', { reason: 'other' });
    agent.kill('SIGKILL');
    await once(agent, 'exit');
    reconcileSession(store, 'race-1', RECONCILE_SOURCES, {}, { changed: [], exportWanted: [], drained: 0 }, false);
    const doc = store.load('race-1')!;
    expect(doc.status).toBe('completed');
    expect(doc.spans.flatMap((sp) => (sp.events ?? []).map((e) => e.name))).not.toContain('interrupted');
    expect(spoolFiles(dir)).toEqual([]);
  });

  it('a transcript not written yet at the first prompt is no error; one still missing when the turn ends is', async () => {
    const { home, dir } = freshDataDir();
    const env = isolatedEnv(home);
    const transcript = join(home, 'projects', 'not-yet.jsonl');
    const base = { session_id: 'early-1', transcript_path: transcript, cwd: home };
    expect((await record(dir, 'SessionStart', JSON.stringify({ ...base, hook_event_name: 'SessionStart', source: 'startup' }))).code).toBe(0);
    expect((await record(dir, 'UserPromptSubmit', JSON.stringify({ ...base, hook_event_name: 'UserPromptSubmit', prompt: 'hi' }))).code).toBe(0);
    const errors = async () => (JSON.parse((await cli(['doctor', '--json', '--dir', dir], { env })).stdout) as { recentErrors: string[] }).recentErrors;
    expect((await cli(['show', 'early-1', '--dir', dir], { env })).code).toBe(0);
    expect(await errors()).toEqual([]);
    expect((await record(dir, 'Stop', JSON.stringify({ ...base, hook_event_name: 'Stop', stop_hook_active: false }))).code).toBe(0);
    expect((await cli(['show', 'early-1', '--dir', dir], { env })).code).toBe(0);
    expect((await errors()).join('\n')).toMatch(/reconcile Stop: transcript .*not-yet\.jsonl not found/);
  });

  it('a lock whose holder is dead is taken over at once; one held by a live process is not', async () => {
    const folder = tempDir();
    const dead = await new Promise<number>((resolve) => {
      const c = spawn(process.execPath, ['-e', '0']);
      c.once('exit', () => resolve(c.pid!));
    });
    mkdirSync(join(folder, 'lock'));
    writeFileSync(join(folder, 'lock', 'owner'), JSON.stringify({ pid: dead }));
    const release = acquireSync(folder, { waitMs: 0 });
    expect(release).toBeDefined();
    expect(JSON.parse(readFileSync(join(folder, 'lock', 'owner'), 'utf8')).pid).toBe(process.pid);
    release!();
    expect(existsSync(join(folder, 'lock'))).toBe(false);
    // A live holder (a process of its own): not taken.
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    await new Promise((r) => live.once('spawn', r));
    mkdirSync(join(folder, 'lock'));
    writeFileSync(join(folder, 'lock', 'owner'), JSON.stringify({ pid: live.pid }));
    expect(acquireSync(folder, { waitMs: 50 })).toBeUndefined();
    live.kill('SIGKILL');
    await new Promise((r) => live.once('exit', r));
    expect(acquireSync(folder, { waitMs: 0 })).toBeDefined();
  });
});

describe('Claude Code 2.1.332 through the recorder, read by `show` with no worker ever run', () => {
  it('is exact the instant the session ends: turns, notice, interrupt, /compact, resume', async () => {
    const { home, dir } = freshDataDir();
    const env = isolatedEnv(home);
    const sessionId = 'c2f1a6e0-0000-4000-8000-000000000332';
    const t = new TranscriptWriter(join(home, '.claude', 'projects', '-work', `${sessionId}.jsonl`), sessionId, Date.now() - 60_000);
    const base = { session_id: sessionId, transcript_path: t.path, cwd: '/work/project' };
    const hook = async (event: string, payload: Record<string, unknown> = {}) => {
      const r = await record(dir, event, JSON.stringify({ ...base, hook_event_name: event, ...payload }));
      expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    };

    await hook('SessionStart', { source: 'startup', model: 'claude-opus-5-5' });
    // Turn 1, then a background agent's completion notice (a prompt that is not the person's).
    t.prompt('RUN-A do it');
    await hook('UserPromptSubmit', { prompt: 'RUN-A do it' });
    t.response('msg_1', [{ text: 'Started the agent.' }], { input: 10, output: 20, cacheRead: 100, cacheWrite: 50 });
    await hook('Stop', { last_assistant_message: 'Started the agent.' });
    const notice = '<task-notification>\n<task-id>af4c</task-id>\n<tool-use-id>toolu_a3</tool-use-id>\n<status>completed</status>\n<summary>Agent "explore" completed</summary>\n</task-notification>';
    t.raw({ type: 'user', message: { role: 'user', content: notice }, origin: { kind: 'task-notification' }, promptSource: 'system' });
    await hook('UserPromptSubmit', { prompt: notice });
    t.response('msg_2', [{ text: 'The agent finished.' }], { input: 5, output: 7, cacheRead: 200, cacheWrite: 0 });
    await hook('Stop', { last_assistant_message: 'The agent finished.' });

    // Turn 2: Esc while a tool runs — no hook fires; the transcript says it.
    t.prompt('RUN-B slow one');
    await hook('UserPromptSubmit', { prompt: 'RUN-B slow one' });
    t.response('msg_3', [{ tool: { id: 'toolu_sleep', name: 'Bash', input: { command: 'sleep 60' } } }], { input: 3, output: 9, cacheRead: 300, cacheWrite: 0 });
    await hook('PreToolUse', { tool_name: 'Bash', tool_use_id: 'toolu_sleep', tool_input: { command: 'sleep 60' } });
    t.toolResult('toolu_sleep', "The user doesn't want to proceed with this tool use. The tool use was rejected (eg. if it was a file edit, the new_string was NOT written to the file). STOP what you are doing and wait for the user to tell you how to proceed.", true, 'User rejected tool use', { toolDenialKind: 'user-rejected' });
    t.raw({ type: 'user', message: { role: 'user', content: [{ type: 'text', text: '[Request interrupted by user for tool use]' }] } });
    let doc = await show(dir, sessionId, env);
    const sleep = spansOf(doc, 'tool').find((s) => s.attributes['gen_ai.tool.call.id'] === 'toolu_sleep')!;
    expect(sleep.endTime).toBeDefined();
    expect(sleep.status).not.toBe('error');
    expect(sleep.attributes['agent_trace.interrupted']).toBe(true);
    expect(doc.summary.toolErrors).toBe(0);

    // /compact: PreCompact, two SubagentStop of its own (no type, no start), SessionStart(compact), PostCompact.
    t.tick(Math.max(0, Date.now() - t.now));
    await hook('PreCompact', { trigger: 'manual', custom_instructions: null });
    for (const id of ['a1c0', 'a2c0']) await hook('SubagentStop', { agent_id: id, agent_type: '', agent_transcript_path: join(home, 'never', `agent-${id}.jsonl`) });
    t.tick(1_000);
    t.raw({ type: 'system', subtype: 'compact_boundary', content: 'Conversation compacted', compactMetadata: { trigger: 'manual', preTokens: 1136, postTokens: 2873 } });
    t.raw({ type: 'user', isCompactSummary: true, message: { role: 'user', content: 'Summary of the work.' } });
    await hook('SessionStart', { source: 'compact', model: 'claude-opus-5-5' });
    await hook('PostCompact', { trigger: 'manual', compact_summary: 'Summary of the work.' });
    // A resumed process, then the end.
    await hook('SessionStart', { source: 'resume' });
    await hook('SessionEnd', { reason: 'other' });

    doc = await show(dir, sessionId, env);
    expect(doc.status).toBe('completed');
    expect(doc.agent).toEqual({ name: 'claude-code', version: '2.1.62' });
    expect(doc.summary).toMatchObject({ turns: 2, generations: 3, subagents: 0, toolErrors: 0 });
    expect(doc.summary.tokens).toMatchObject({ input: 18, output: 36, cacheRead: 600, cacheWrite: 50 });
    const turns = spansOf(doc, 'turn');
    expect(turns.filter((s) => !s.attributes['agent_trace.notice']).map((s) => s.input)).toEqual(['RUN-A do it', 'RUN-B slow one']);
    const noticeTurn = turns.find((s) => s.attributes['agent_trace.notice'] === 'task-notification')!;
    expect(noticeTurn).toMatchObject({ name: 'notice task-notification', input: 'Agent "explore" completed' });
    const reply = spansOf(doc, 'generation').find((g) => g.attributes['gen_ai.response.id'] === 'msg_2')!;
    expect(reply.parentSpanId).toBe(noticeTurn.spanId);
    const turn2 = turns.find((s) => s.input === 'RUN-B slow one')!;
    expect(turn2.status).not.toBe('error');
    expect(turn2.attributes['agent_trace.interrupted']).toBe(true);
    const compactions = spansOf(doc, 'compaction');
    expect(compactions).toHaveLength(1);
    expect(compactions[0]!.attributes).toMatchObject({ 'agent_trace.compaction.trigger': 'manual', 'agent_trace.compaction.tokens_before': 1136, 'agent_trace.compaction.tokens_after': 2873 });
    expect(doc.spans.filter((s) => s.endTime === undefined)).toEqual([]);
    // Nothing left behind: the spool is empty, no lock remains.
    expect(spoolFiles(dir)).toEqual([]);
    expect(readdirSync(join(dir, 'sessions', sessionId)).filter((n) => n.endsWith('.lock') || n === 'lock')).toEqual([]);
  });

  it('the worker the recorder starts drains the spool on its own, and doctor reports what fired', async () => {
    const { home, dir } = freshDataDir();
    const env = isolatedEnv(home, { AGENT_TRACE_CLAUDE_VERSION: '2.1.332' });
    expect((await cli(['install', '--dir', dir], { env })).code).toBe(0);
    const payload = { session_id: 'w-1', hook_event_name: 'SessionStart', source: 'startup', cwd: home };
    expect((await record(dir, 'SessionStart', JSON.stringify(payload), { node: process.execPath })).code).toBe(0);
    // The worker starts when the turn ends (not while the agent works).
    const stop = { session_id: 'w-1', hook_event_name: 'Stop', cwd: home };
    expect((await record(dir, 'Stop', JSON.stringify(stop), { node: process.execPath })).code).toBe(0);
    // The worker (detached) ingests both and writes the trace; wait for that, not for a time.
    await new Promise<void>((resolve) => {
      const look = () => (existsSync(join(dir, 'sessions', 'w-1', 'trace.json')) ? resolve() : setTimeout(look, 20));
      look();
    });
    expect(spoolFiles(dir)).toEqual([]);
    // It stays a few idle seconds for the next turn, yielding the CPU to the agent meanwhile (nice 10).
    const workerPid = Number(readFileSync(join(dir, 'spool', 'worker.pid'), 'utf8'));
    expect(getPriority(workerPid)).toBe(10);
    const doctor = await cli(['doctor', '--json', '--dir', dir], { env });
    expect(doctor.code, doctor.stderr).toBe(0);
    const report = JSON.parse(doctor.stdout) as { agents: Array<{ agent: string; installed: Array<{ events: string[] }>; lastFired: Record<string, number> }> };
    const claude = report.agents.find((a) => a.agent === 'claude-code')!;
    expect(claude.installed[0]!.events).toContain('Stop');
    expect(claude.lastFired.SessionStart).toBeGreaterThan(Date.now() - 60_000);
    const text = await cli(['doctor', '--dir', dir], { env });
    expect(text.stdout).toMatch(/Claude Code: found/);
    expect(text.stdout).toMatch(/last fired: .*SessionStart/);
  });
});
