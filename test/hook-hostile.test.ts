import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../src/events/types.js';
import type { TraceDocument } from '../src/model/trace.js';
import { binPath, cli, libPath, run, tempDir, waitForLine } from './helpers/env.js';
import { freshDataDir, isolatedEnv, TranscriptWriter } from './helpers/claude-code.js';

function journal(dir: string, sessionId: string): AgentEvent[] {
  const path = join(dir, 'sessions', sessionId, 'events.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AgentEvent);
}

function log(dir: string): string {
  const path = join(dir, 'agent-trace.log');
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

async function list(dir: string, env: NodeJS.ProcessEnv): Promise<Array<{ sessionId: string; status: string }>> {
  const r = await cli(['list', '--json', '--dir', dir], { env });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Array<{ sessionId: string; status: string }>;
}

describe('the hook never disturbs the agent', () => {
  it('exits 0 with empty stdout and stderr on malformed, hostile and unknown input, and logs what it refused', async () => {
    const { home, dir } = freshDataDir();
    const env = isolatedEnv(home);
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const inputs: Array<string | Buffer> = [
      '',
      'not json at all',
      '{"session_id": "s", "hook_event_name": "PreToolUse", ',
      '[]',
      '42',
      'null',
      '"a string"',
      '{}',
      JSON.stringify({ hook_event_name: 'PreToolUse', tool_use_id: 'x', tool_name: 'Bash' }),
      JSON.stringify({ session_id: 5, hook_event_name: 'PreToolUse', tool_use_id: 'x' }),
      JSON.stringify({ session_id: 'h-1', hook_event_name: 'NoSuchEvent', whatever: [1, 2, 3] }),
      JSON.stringify({ session_id: 'h-1', hook_event_name: 'PreToolUse', tool_use_id: { nested: true }, tool_name: 42 }),
      JSON.stringify({ session_id: 'x'.repeat(5000), hook_event_name: 'PreToolUse', tool_use_id: 't', tool_name: 'Bash' }),
      JSON.stringify({ session_id: '../../../etc/passwd', hook_event_name: 'PreToolUse', tool_use_id: 't1', tool_name: 'Bash', tool_input: { command: 'ls' } }),
      JSON.stringify({ session_id: 'h-1', hook_event_name: 'Stop', transcript_path: 42, last_assistant_message: { no: 'string' } }),
      JSON.stringify({ session_id: 'h-1', hook_event_name: 'SubagentStop', agent_transcript_path: '/dev/null', agent_id: 'a1' }),
      Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x7b, 0x22, 0xc3, 0x28]),
      deep,
    ];
    for (const input of inputs) {
      const r = await cli(['hook', '--dir', dir], { env, input });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe('');
    }
    expect(log(dir)).toMatch(/payload is not JSON/);
    expect(log(dir)).toMatch(/sessionId is longer than 1024/);
    // The traversal attempt stayed inside <dir>/sessions.
    expect(existsSync(join(dir, 'etc'))).toBe(false);
    expect(journal(dir, 'h-1').every((e) => e.sessionId === 'h-1')).toBe(true);
  });

  // How fast the hook handles it is measured by `npm run bench`, not here.
  it('records a 30 MB payload, cut to size, without breaking', async () => {
    const { home, dir } = freshDataDir();
    const big = JSON.stringify({ session_id: 'big-1', hook_event_name: 'PostToolUse', tool_name: 'Read', tool_use_id: 'toolu_big', tool_input: { file_path: '/huge' }, tool_response: { content: 'x'.repeat(30 * 1024 * 1024) } });
    const r = await cli(['hook', '--dir', dir], { env: isolatedEnv(home), input: big });
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const [end] = journal(dir, 'big-1').filter((e) => e.type === 'tool.end');
    expect(end).toBeDefined();
    expect(JSON.stringify(end).length).toBeLessThan(1024 * 1024);
    expect(JSON.stringify(end)).toMatch(/truncated/);
  });

  it('exits 0 silently with an unwritable data dir and with a full disk, logging when it can', async () => {
    const home = tempDir();
    const file = join(home, 'not-a-dir');
    writeFileSync(file, 'x');
    const payload = JSON.stringify({ session_id: 'u-1', hook_event_name: 'PreToolUse', tool_use_id: 't', tool_name: 'Bash', tool_input: { command: 'ls' } });
    for (const event of ['PreToolUse', 'Stop', 'SessionStart', 'SessionEnd']) {
      const r = await cli(['hook', '--dir', join(file, 'data')], { env: isolatedEnv(home), input: payload.replace('PreToolUse', event) });
      expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    }
    // A full disk: the journal is /dev/full (every write fails with ENOSPC).
    const dir = join(home, 'data');
    mkdirSync(join(dir, 'sessions', 'u-2'), { recursive: true });
    symlinkSync('/dev/full', join(dir, 'sessions', 'u-2', 'events.jsonl'));
    const r = await cli(['hook', '--dir', dir], { env: isolatedEnv(home), input: payload.replace('u-1', 'u-2') });
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(log(dir)).toMatch(/ENOSPC|no space/i);
  });

  it('records what the payload holds when the transcript is missing', async () => {
    const { home, dir } = freshDataDir();
    const r = await cli(['hook', '--dir', dir], {
      env: isolatedEnv(home),
      input: JSON.stringify({ session_id: 'm-1', hook_event_name: 'Stop', transcript_path: join(home, 'gone.jsonl'), last_assistant_message: 'All done.' }),
    });
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(journal(dir, 'm-1').find((e) => e.type === 'turn.end')).toMatchObject({ output: 'All done.' });
    expect(log(dir)).toMatch(/gone\.jsonl not found/);
    // Before the first answer the transcript may not exist yet: a prompt with none is not worth a line.
    await cli(['hook', '--dir', dir], { env: isolatedEnv(home), input: JSON.stringify({ session_id: 'm-1', hook_event_name: 'UserPromptSubmit', transcript_path: join(home, 'gone.jsonl'), prompt: 'again' }) });
    expect(log(dir).trimEnd().split('\n')).toHaveLength(1);
    // At a turn's end it must exist; missing is an expected condition (a payload from another machine, a deleted
    // transcript): one short line per hook, no stack trace.
    await cli(['hook', '--dir', dir], { env: isolatedEnv(home), input: JSON.stringify({ session_id: 'm-1', hook_event_name: 'Stop', transcript_path: join(home, 'gone.jsonl'), last_assistant_message: 'Done again.' }) });
    const lines = log(dir).trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatch(/^\S+ pid=\d+ reconcile Stop: transcript .*gone\.jsonl not found; recorded what the hook payload holds$/);
      expect(line).not.toMatch(/\bat |\.js:\d+/);
    }
  });

  it('takes over a transcript lock left by a dead process, and leaves a live one to its holder', async () => {
    const { home, dir } = freshDataDir();
    const env = isolatedEnv(home);
    const sessionId = 'l-1';
    const w = new TranscriptWriter(join(home, 'p', `${sessionId}.jsonl`), sessionId, Date.now() - 10_000);
    w.prompt('hello');
    w.response('msg_l1', [{ text: 'Hi there.' }], { input: 3, output: 7, cacheRead: 0, cacheWrite: 0 });
    const folder = join(dir, 'sessions', sessionId);
    mkdirSync(join(folder, 'transcript.lock'), { recursive: true });
    const old = new Date(Date.now() - 10 * 60_000);
    utimesSync(join(folder, 'transcript.lock'), old, old);
    const stop = JSON.stringify({ session_id: sessionId, hook_event_name: 'Stop', transcript_path: w.path, last_assistant_message: 'Hi there.' });
    let r = await cli(['hook', '--dir', dir], { env, input: stop });
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    // Taken over at once, not waited out: the catch-up ran under it, and it was released (the dead one is gone,
    // nothing moved aside is left) without the hook ever seeing it as live.
    expect(journal(dir, sessionId).filter((e) => e.type === 'generation.end')).toHaveLength(1);
    expect(existsSync(join(folder, 'transcript.lock'))).toBe(false);
    expect(readdirSync(folder).filter((n) => n.startsWith('transcript.lock'))).toEqual([]);
    expect(log(dir)).not.toMatch(/held by a live process/);

    // A lock a live process holds (this test's own): the hook records its own event and leaves the catch-up
    // for later — a hook never waits on a lock.
    w.prompt('again');
    w.response('msg_l2', [{ text: 'Again.' }], { input: 3, output: 5, cacheRead: 0, cacheWrite: 0 });
    mkdirSync(join(folder, 'transcript.lock'), { recursive: true });
    writeFileSync(join(folder, 'transcript.lock', 'owner'), JSON.stringify({ pid: process.pid }));
    r = await cli(['hook', '--dir', dir], { env, input: stop.replace('Hi there.', 'Again.') });
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    // When the hook has exited: its own event is recorded, the lock is still its holder's (not taken over), and
    // the transcript's new generation was left for later, with a log line saying so.
    expect(journal(dir, sessionId).filter((e) => e.type === 'turn.end')).toHaveLength(2);
    expect(JSON.parse(readFileSync(join(folder, 'transcript.lock', 'owner'), 'utf8'))).toMatchObject({ pid: process.pid });
    expect(journal(dir, sessionId).filter((e) => e.type === 'generation.end')).toHaveLength(1);
    expect(log(dir)).toMatch(/transcript lock of session l-1 is held by a live process/);
    // Once the holder lets go, the next reconcile (any read) catches up what was left.
    rmSync(join(folder, 'transcript.lock'), { recursive: true });
    const shown = JSON.parse((await cli(['show', sessionId, '--json', '--dir', dir], { env })).stdout) as TraceDocument;
    expect(shown.summary.generations).toBe(2);
  });
});

describe('status truth', () => {
  /** A stand-in for Claude Code: runs each hook command through /bin/sh, as Claude Code does. */
  function fakeAgent(home: string) {
    const script = join(tempDir(), 'agent.mjs');
    writeFileSync(
      script,
      `import { spawnSync } from 'node:child_process';
       import { createInterface } from 'node:readline';
       const rl = createInterface({ input: process.stdin });
       console.log('ready');
       rl.on('line', (line) => {
         const { command, payload } = JSON.parse(line);
         const r = spawnSync('/bin/sh', ['-c', command], { input: JSON.stringify(payload), env: { HOME: process.env.HOME } });
         console.log('done ' + r.status + ' ' + (r.stdout.length + r.stderr.length));
       });`,
    );
    const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'], env: isolatedEnv(home) });
    const send = async (command: string, payload: Record<string, unknown>): Promise<string> => {
      const done = waitForLine(child, /^done /);
      child.stdin!.write(`${JSON.stringify({ command, payload })}\n`);
      return done;
    };
    return { child, send, ready: waitForLine(child, /^ready$/) };
  }

  it('a session whose agent process was killed (no SessionEnd) is interrupted; a resume continues the same trace', async () => {
    const { home, dir } = freshDataDir();
    const env = isolatedEnv(home);
    const command = `'${process.execPath}' '${binPath}' hook --dir '${dir}'`;
    const agent = fakeAgent(home);
    await agent.ready;
    const sessionId = 'k-1';
    expect(await agent.send(command, { session_id: sessionId, hook_event_name: 'SessionStart', source: 'startup', cwd: home })).toBe('done 0 0');
    expect(await agent.send(command, { session_id: sessionId, hook_event_name: 'UserPromptSubmit', prompt: 'run the tests' })).toBe('done 0 0');
    expect(await agent.send(command, { session_id: sessionId, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_use_id: 'toolu_k1', tool_input: { command: 'npm test' } })).toBe('done 0 0');
    const recorded = JSON.parse(readFileSync(join(dir, 'sessions', sessionId, 'agent.json'), 'utf8')) as { pid: number };
    expect(recorded.pid).toBe(agent.child.pid);
    expect((await list(dir, env)).find((s) => s.sessionId === sessionId)?.status).toBe('running');

    const exited = new Promise((r) => agent.child.once('exit', r));
    agent.child.kill('SIGKILL');
    await exited;
    expect((await list(dir, env)).find((s) => s.sessionId === sessionId)?.status).toBe('interrupted');
    const show = await cli(['show', sessionId, '--json', '--dir', dir], { env });
    const doc = JSON.parse(show.stdout) as TraceDocument;
    const tool = doc.spans.find((s) => s.kind === 'tool')!;
    expect(tool.endTime).toBeDefined();
    expect(tool.attributes['agent_trace.interrupted']).toBe(true);
    expect(tool.status).toBe('unset');
    expect(journal(dir, sessionId).filter((e) => e.type === 'session.interrupted')).toHaveLength(1);
    // Reading again records nothing more.
    await list(dir, env);
    expect(journal(dir, sessionId).filter((e) => e.type === 'session.interrupted')).toHaveLength(1);

    // `claude --resume`: the same session id starts again in a new process and continues the trace.
    const again = fakeAgent(home);
    await again.ready;
    await again.send(command, { session_id: sessionId, hook_event_name: 'SessionStart', source: 'resume' });
    await again.send(command, { session_id: sessionId, hook_event_name: 'UserPromptSubmit', prompt: 'go on' });
    const resumed = JSON.parse((await cli(['show', sessionId, '--json', '--dir', dir], { env })).stdout) as TraceDocument;
    expect(resumed.status).toBe('running');
    expect(resumed.traceId).toBe(doc.traceId);
    for (const s of doc.spans) expect(resumed.spans.map((x) => x.spanId)).toContain(s.spanId);
    expect(resumed.spans.filter((s) => s.kind === 'turn')).toHaveLength(2);
    await again.send(command, { session_id: sessionId, hook_event_name: 'SessionEnd', reason: 'prompt_input_exit' });
    again.child.kill();
    expect((await list(dir, env)).find((s) => s.sessionId === sessionId)?.status).toBe('completed');
  });

  it('recording an interruption in a long-lived reader (the viewer) leaves no stray lock timer behind', async () => {
    // Marking a session interrupted nests two named locks of one folder; an earlier lock library keyed held
    // locks by folder, so the inner release orphaned the outer lock's refresh timer, which threw ~5 s later.
    const dir = tempDir();
    const gone = await new Promise<number>((resolve) => {
      const c = spawn(process.execPath, ['-e', '0']);
      c.once('exit', () => resolve(c.pid!));
    });
    const script = join(tempDir(), 'reader.mjs');
    writeFileSync(
      script,
      `import { SessionStore } from ${JSON.stringify(libPath)};
       const store = new SessionStore(${JSON.stringify(dir)});
       store.append([{ type: 'session.start', sessionId: 'v-1', time: Date.now() - 1000, agentPid: ${gone}, agent: { name: 'claude-code' } },
                     { type: 'tool.start', sessionId: 'v-1', time: Date.now() - 500, key: 't', name: 'Bash' }]);
       store.reconcile({ sessions: ['v-1'] });
       const doc = store.load('v-1');
       console.log(doc.status);
       setTimeout(() => console.log('still alive'), 6500);`,
    );
    const r = await run(process.execPath, [script]);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').filter(Boolean)).toEqual(['interrupted', 'still alive']);
    expect(r.code).toBe(0);
  }, 30_000);

  it('a session whose agent process is unknown is interrupted after the configured inactivity, not before', async () => {
    const { home, dir } = freshDataDir();
    const env = isolatedEnv(home);
    // Tool hooks only (hooks installed mid-session): no agent process was recorded.
    for (const id of ['i-old', 'i-recent']) {
      const r = await cli(['hook', '--dir', dir], { env, input: JSON.stringify({ session_id: id, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_use_id: `t-${id}`, tool_input: { command: 'ls' } }) });
      expect(r.code).toBe(0);
    }
    expect(existsSync(join(dir, 'sessions', 'i-old', 'agent.json'))).toBe(false);
    const journalPath = join(dir, 'sessions', 'i-old', 'events.jsonl');
    const old = new Date(Date.now() - 20 * 60_000);
    utimesSync(journalPath, old, old);
    utimesSync(join(dir, 'sessions', 'i-recent', 'events.jsonl'), new Date(Date.now() - 2 * 60_000), new Date(Date.now() - 2 * 60_000));
    // Default (30 minutes): both still running.
    expect((await list(dir, env)).map((s) => s.status)).toEqual(['running', 'running']);
    // Configured to 10 minutes: the one idle for 20 is interrupted; its journal still shows when it was last active.
    mkdirSync(join(home, '.config', 'agent-trace'), { recursive: true });
    writeFileSync(join(home, '.config', 'agent-trace', 'config.json'), JSON.stringify({ inactivityMinutes: 10 }));
    const statuses = Object.fromEntries((await list(dir, env)).map((s) => [s.sessionId, s.status]));
    expect(statuses).toEqual({ 'i-old': 'interrupted', 'i-recent': 'running' });
    expect(Math.abs(statSync(journalPath).mtimeMs - old.getTime())).toBeLessThan(1_000);
    expect(journal(dir, 'i-old').at(-1)).toMatchObject({ type: 'session.interrupted', source: 'system', reason: 'no activity for 10 minutes' });
  });
});
