import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../src/events/types.js';
import { sweepTempFiles } from '../src/store/atomic-write.js';
import { logError } from '../src/store/log.js';
import { ensureDir } from '../src/store/fs-util.js';
import { sessionFolderName } from '../src/store/paths.js';
import { applyRetention } from '../src/store/retention.js';
import { SessionStore } from '../src/store/session-store.js';
import { tempDir } from './helpers/env.js';

const T0 = 1_700_000_000_000;

function sessionEvents(sessionId: string, start = T0, ended = true): AgentEvent[] {
  const events: AgentEvent[] = [
    { type: 'session.start', sessionId, time: start, agent: { name: 'test-agent' } },
    { type: 'turn.start', sessionId, time: start + 1, prompt: `prompt of ${sessionId}` },
    { type: 'tool.start', sessionId, time: start + 2, key: 'k1', name: 'Bash', input: { command: 'ls' } },
    { type: 'tool.end', sessionId, time: start + 3, key: 'k1', output: 'a b' },
  ];
  if (ended) events.push({ type: 'session.end', sessionId, time: start + 4 });
  return events;
}

describe('session folders', () => {
  it('are safe, injective and bounded for hostile ids', () => {
    const ids = ['abc', 'ABC', 'Abc', 'a/b', 'a\\b', 'a_b', '../../etc/passwd', '..', '.', 'a:b', 'a.b', 'sess ion', 'été-日本', '', 'x'.repeat(300), `${'x'.repeat(300)}y`, 'a\u0000b'];
    const names = ids.map(sessionFolderName);
    expect(new Set(names).size).toBe(ids.length);
    for (const name of names) {
      expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(name.length).toBeLessThanOrEqual(100);
    }
    // A safe lower-case id is used as it is; case-insensitive filesystems cannot merge the others.
    expect(sessionFolderName('7da73774-862d-4897')).toBe('7da73774-862d-4897');
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(ids.length);
  });

  it('keep every session inside <dir>/sessions, private to the user', () => {
    const dir = tempDir();
    const store = new SessionStore(dir);
    const ids = ['../escape', '/abs/path', 'C:\\win\\x', 'dots...', 'üñí:cødé'];
    store.append(ids.flatMap((id) => sessionEvents(id)));
    for (const id of ids) {
      const folder = store.folder(id);
      expect(relative(join(dir, 'sessions'), folder)).not.toMatch(/^\.\.|\//);
      expect(store.load(id)?.sessionId).toBe(id);
      expect(statSync(folder).mode & 0o777).toBe(0o700);
      for (const f of readdirSync(folder)) {
        const st = statSync(join(folder, f));
        if (st.isFile()) expect(st.mode & 0o777, f).toBe(0o600);
      }
    }
    expect(readdirSync(join(dir, 'sessions')).length).toBe(ids.length);
    expect(existsSync(resolve(dir, '..', 'escape'))).toBe(false);
    expect(store.sessionIds().sort()).toEqual([...ids].sort());
  });
});

describe('session store', () => {
  it('rejects a malformed event with a clear error and leaves the session intact', () => {
    const store = new SessionStore(tempDir());
    store.append(sessionEvents('s1', T0, false));
    const before = readFileSync(store.journalPath('s1'), 'utf8');
    expect(() => store.append([{ type: 'tool.start', sessionId: 's1', time: T0 + 9, key: 'x' }])).toThrow(/name must be a string/);
    expect(readFileSync(store.journalPath('s1'), 'utf8')).toBe(before);
    expect(store.load('s1')?.summary.toolCalls).toBe(1);
  });

  it('rebuilds trace.json when it lags the journal, and tolerates a torn last line', () => {
    const store = new SessionStore(tempDir());
    store.append(sessionEvents('s1', T0, false));
    expect(store.load('s1')?.summary.toolCalls).toBe(1);
    store.append([{ type: 'tool.start', sessionId: 's1', time: T0 + 10, key: 'k2', name: 'Read' }]);
    appendFileSync(store.journalPath('s1'), '{"type":"tool.start","sessionId":"s1"'); // a writer died mid-line
    expect(store.load('s1')?.summary.toolCalls).toBe(2);
    // Reading never writes: trace.json is brought up to date by the reconcile step only.
    expect(existsSync(store.tracePath('s1'))).toBe(false);
    store.reconcile();
    const onDisk = JSON.parse(readFileSync(store.tracePath('s1'), 'utf8'));
    expect(onDisk.summary.toolCalls).toBe(2);
    expect(store.load('s1')?.summary.toolCalls).toBe(2);
  });

  it('repairs a trace that a stale write put over a crash', () => {
    const store = new SessionStore(tempDir());
    store.append(sessionEvents('s1', T0, false));
    expect(store.load('s1')?.status).toBe('running');
    store.reconcile();
    const stale = readFileSync(store.tracePath('s1'), 'utf8');
    store.append([{ type: 'session.crash', sessionId: 's1', time: T0 + 50, reason: 'boom' }]);
    writeFileSync(join(store.folder('s1'), 'crashed'), JSON.stringify({ time: T0 + 50 }));
    expect(store.load('s1')?.status).toBe('crashed');
    // A slow writer from before the crash lands afterwards, with the journal length it matched back then.
    writeFileSync(store.tracePath('s1'), stale);
    expect(store.load('s1')?.status).toBe('crashed');
    store.reconcile();
    expect(JSON.parse(readFileSync(store.tracePath('s1'), 'utf8')).status).toBe('crashed');
  });

  it('finds sessions whose trace is not written yet from the first journal line alone', () => {
    const store = new SessionStore(tempDir());
    // A first line longer than one read, as a pasted prompt makes it; the rest of the journal is not needed.
    store.append([{ type: 'turn.start', sessionId: 'fresh-session', time: T0, prompt: 'p'.repeat(200_000) }]);
    appendFileSync(store.journalPath('fresh-session'), 'garbage that a full read would trip on\n');
    expect(existsSync(store.tracePath('fresh-session'))).toBe(false);
    expect(store.sessionIds()).toEqual(['fresh-session']);
  });

  it('resolves unique prefixes and reports ambiguous or unknown ones', () => {
    const store = new SessionStore(tempDir());
    store.append([...sessionEvents('abc-111'), ...sessionEvents('abc-222'), ...sessionEvents('xyz')]);
    expect(store.resolve('abc-1')).toBe('abc-111');
    expect(store.resolve('xyz')).toBe('xyz');
    expect(() => store.resolve('abc')).toThrow(/ambiguous/);
    expect(() => store.resolve('nope')).toThrow(/no session matches/);
  });
});

describe('folder creation', () => {
  it('creates nested private folders, and fails fast where a folder cannot be made', () => {
    const root = tempDir();
    ensureDir(join(root, 'a', 'b', 'c'));
    expect(statSync(join(root, 'a', 'b', 'c')).mode & 0o777).toBe(0o700);
    writeFileSync(join(root, 'file'), 'x');
    expect(() => ensureDir(join(root, 'file', 'sub'))).toThrow();
    // Node's recursive mkdir spins forever on /proc/<missing>; ours gives up at once.
    if (existsSync('/proc/self')) expect(() => ensureDir('/proc/agent-trace-nope/sessions')).toThrow(/ENOENT/);
  });
});

describe('temp file sweep', () => {
  it('removes temp files of dead writers and keeps those of live ones', () => {
    const folder = tempDir();
    const deadPid = 2 ** 22 + 12345; // above pid_max on Linux
    writeFileSync(join(folder, `trace.json.${deadPid}.1.tmp`), '{');
    writeFileSync(join(folder, `trace.json.${process.pid}.7.tmp`), '{');
    writeFileSync(join(folder, 'trace.json'), '{}');
    expect(sweepTempFiles(folder)).toBe(1);
    expect(readdirSync(folder).sort()).toEqual(['trace.json', `trace.json.${process.pid}.7.tmp`]);
    // A live pid's temp that is very old (pid reuse) goes too.
    const old = new Date(Date.now() - 3600_000);
    utimesSync(join(folder, `trace.json.${process.pid}.7.tmp`), old, old);
    expect(sweepTempFiles(folder)).toBe(1);
  });
});

describe('retention', () => {
  it('removes the oldest by time of activity, not by name, and never a live session', () => {
    const dir = tempDir();
    const store = new SessionStore(dir);
    const now = Date.now();
    // Names sort the opposite way from their age.
    const sessions = [
      { id: 'a-newest', age: 1 },
      { id: 'b-middle', age: 5 },
      { id: 'c-old', age: 20 },
      { id: 'd-oldest', age: 40 },
    ];
    for (const s of sessions) {
      store.append(sessionEvents(s.id, now - s.age * 86_400_000));
      store.load(s.id);
      const t = new Date(now - s.age * 86_400_000);
      utimesSync(store.journalPath(s.id), t, t);
    }
    store.append(sessionEvents('z-live', now - 1000, false)); // running, active a second ago
    // An import of an old session writes its files today: its age is still when it happened.
    store.append(sessionEvents('e-imported-old', now - 90 * 86_400_000));

    const byCount = applyRetention(store, { maxSessions: 3, dryRun: true, now });
    expect(byCount.removed.sort()).toEqual(['c-old', 'd-oldest', 'e-imported-old']);

    const byAge = applyRetention(store, { maxAgeDays: 10, now });
    expect(byAge.removed.sort()).toEqual(['c-old', 'd-oldest', 'e-imported-old']);
    expect(store.sessionIds().sort()).toEqual(['a-newest', 'b-middle', 'z-live']);

    const tight = applyRetention(store, { maxSessions: 0, now });
    expect(tight.removed.sort()).toEqual(['a-newest', 'b-middle']);
    expect(store.sessionIds()).toEqual(['z-live']);
  });
});

describe('error log', () => {
  function logOf(dir: string): string {
    const path = join(dir, 'agent-trace.log');
    return existsSync(path) ? readFileSync(path, 'utf8') : '';
  }

  it('has a line when trace.json cannot be written (once a minute per message), and the reader still gets the trace', () => {
    const store = new SessionStore(tempDir());
    store.append(sessionEvents('w1', T0, false));
    // A folder where trace.json should be: the atomic rename onto it fails (even for root).
    mkdirSync(join(store.tracePath('w1'), 'x'), { recursive: true });
    store.reconcile();
    expect(store.materialize('w1').summary.toolCalls).toBe(1);
    const lines = logOf(store.dir).split('\n').filter((l) => /session w1: trace\.json not written/.test(l));
    expect(lines, logOf(store.dir)).toHaveLength(1);
  });

  it('stays bounded in size', () => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    const big = 'x'.repeat(1900);
    for (let i = 0; i < 1500; i++) logError(dir, 'test', new Error(big));
    const size = statSync(join(dir, 'agent-trace.log')).size;
    expect(size).toBeLessThan(1.1 * 1024 * 1024);
    expect(existsSync(join(dir, 'agent-trace.log.1'))).toBe(true);
    expect(statSync(join(dir, 'agent-trace.log.1')).size).toBeLessThan(1.1 * 1024 * 1024);
  });
});
