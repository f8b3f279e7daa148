import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../src/events/types.js';
import { SessionStore } from '../src/store/session-store.js';
import { binPath, cli, run, tempDir } from './helpers/env.js';

const T0 = 1_700_000_000_000;

function seed(dir: string): void {
  const store = new SessionStore(dir);
  const session = (id: string, start: number, prompt: string): AgentEvent[] => [
    { type: 'session.start', sessionId: id, time: start, agent: { name: 'claude-code', version: '2.1.62' } },
    { type: 'turn.start', sessionId: id, time: start + 1, prompt },
    { type: 'generation.end', sessionId: id, time: start + 500, startTime: start + 2, key: `${id}-m1`, model: 'claude-sonnet-4-5', usage: { input: 10, output: 20, cacheRead: 30, cacheWrite: 40 } },
    { type: 'tool.start', sessionId: id, time: start + 600, key: `${id}-t1`, name: 'Bash', input: { command: 'ls' } },
    { type: 'tool.end', sessionId: id, time: start + 700, key: `${id}-t1`, error: 'command not found' },
    { type: 'session.end', sessionId: id, time: start + 1000 },
  ];
  store.append([...session('aaaa-1111', T0, 'older \u001b[31mred\u001b[0m session'), ...session('aaaa-2222', T0 + 60_000, 'newer session'), ...session('bbbb-3333', T0 + 120_000, 'newest')]);
}

describe('agent-trace list / show', () => {
  it('list --json prints the documented shape, newest first', async () => {
    const dir = tempDir();
    seed(dir);
    const r = await cli(['list', '--json', '--dir', dir]);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout);
    expect(list.map((s: { sessionId: string }) => s.sessionId)).toEqual(['bbbb-3333', 'aaaa-2222', 'aaaa-1111']);
    expect(Object.keys(list[0]).sort()).toEqual(['agent', 'endTime', 'sessionId', 'startTime', 'status', 'summary', 'title'].sort());
    expect(list[0]).toMatchObject({ title: 'newest', status: 'completed', agent: { name: 'claude-code' }, startTime: T0 + 120_000, endTime: T0 + 121_000 });
    expect(list[0].summary).toMatchObject({ generations: 1, toolCalls: 1, toolErrors: 1, tokens: { input: 10, output: 20, cacheRead: 30, cacheWrite: 40 } });
  });

  it('list prints a table without colour or terminal escapes from trace text', async () => {
    const dir = tempDir();
    seed(dir);
    const r = await cli(['list', '--dir', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ID\s+TITLE\s+AGENT\s+STATUS/);
    expect(r.stdout).toContain('bbbb-333');
    expect(r.stdout).not.toContain('\u001b');
  });

  it('list shows ids long enough to be unique, and each one works with show', async () => {
    const dir = tempDir();
    const store = new SessionStore(dir);
    const ids = ['ses_3464aaaa1', 'ses_3464aaaa2', 'ses_9'];
    store.append(ids.map((sessionId, i) => ({ type: 'session.start' as const, sessionId, time: T0 + i })));
    const r = await cli(['list', '--dir', dir]);
    const shown = r.stdout.trim().split('\n').slice(1).map((line) => line.split(/\s+/)[0]!);
    expect(shown.sort()).toEqual(['ses_3464aaaa1', 'ses_3464aaaa2', 'ses_9']);
    for (const prefix of shown) expect((await cli(['show', prefix, '--json', '--dir', dir])).code).toBe(0);
  });

  it('show accepts a unique prefix, prints a summary, and --json prints the trace document', async () => {
    const dir = tempDir();
    seed(dir);
    const text = await cli(['show', 'bbbb', '--dir', dir]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('bbbb-3333');
    expect(text.stdout).toMatch(/tool errors 1/);
    expect(text.stdout).toContain('command not found');
    const json = await cli(['show', 'aaaa-2', '--json', '--dir', dir]);
    const doc = JSON.parse(json.stdout);
    expect(doc).toMatchObject({ schemaVersion: 1, sessionId: 'aaaa-2222' });
    expect(doc.spans.map((s: { kind: string }) => s.kind)).toEqual(['session', 'turn', 'generation', 'tool']);
  });

  it('names the problem and exits 1 for an ambiguous or unknown session, 2 for a usage error', async () => {
    const dir = tempDir();
    seed(dir);
    const ambiguous = await cli(['show', 'aaaa', '--dir', dir]);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toMatch(/ambiguous.*aaaa-1111.*aaaa-2222/);
    expect(ambiguous.stderr.trim().split('\n')).toHaveLength(1);
    const unknown = await cli(['show', 'zzz', '--dir', dir]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('agent-trace list');
    const usage = await cli(['show']);
    expect(usage.code).toBe(2);
    const bad = await cli(['frobnicate']);
    expect(bad.code).toBe(2);
  });

  it('finds the data dir by flag, then AGENT_TRACE_DIR, then the config file, then XDG_DATA_HOME', async () => {
    const home = tempDir();
    const flagDir = join(home, 'flag');
    const envDir = join(home, 'env');
    const configDir = join(home, 'from-config');
    const xdg = join(home, 'xdg');
    for (const [d, id] of [[flagDir, 'flag-s'], [envDir, 'env-s'], [configDir, 'config-s'], [join(xdg, 'agent-trace'), 'xdg-s']] as const) {
      new SessionStore(d).append([{ type: 'session.start', sessionId: id, time: T0 }]);
    }
    mkdirSync(join(home, 'cfg', 'agent-trace'), { recursive: true });
    const base = { HOME: home, XDG_DATA_HOME: xdg, XDG_CONFIG_HOME: join(home, 'cfg'), PATH: process.env.PATH ?? '' };
    const ids = async (args: string[], env: Record<string, string>) => JSON.parse((await cli(['list', '--json', ...args], { env: { ...base, ...env } })).stdout).map((s: { sessionId: string }) => s.sessionId);
    expect(await ids([], {})).toEqual(['xdg-s']);
    writeFileSync(join(home, 'cfg', 'agent-trace', 'config.json'), JSON.stringify({ dir: configDir }));
    expect(await ids([], {})).toEqual(['config-s']);
    expect(await ids([], { AGENT_TRACE_DIR: envDir })).toEqual(['env-s']);
    expect(await ids(['--dir', flagDir], { AGENT_TRACE_DIR: envDir })).toEqual(['flag-s']);
    writeFileSync(join(home, 'cfg', 'agent-trace', 'config.json'), '{ not json');
    const broken = await cli(['list'], { env: base });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/config\.json is not valid JSON/);
  });

  it('show counts compactions and calls left interrupted', async () => {
    const dir = tempDir();
    new SessionStore(dir).append([
      { type: 'turn.start', sessionId: 'compacted', time: T0, prompt: 'long task' },
      { type: 'compaction.start', sessionId: 'compacted', time: T0 + 10, trigger: 'auto' },
      { type: 'compaction.end', sessionId: 'compacted', time: T0 + 20 },
      { type: 'tool.start', sessionId: 'compacted', time: T0 + 30, key: 't', name: 'Bash' },
      { type: 'session.interrupted', sessionId: 'compacted', time: T0 + 40 },
    ]);
    const r = await cli(['show', 'compacted', '--dir', dir]);
    expect(r.stdout).toMatch(/compactions 1\s+interrupted calls 1/);
  });

  it('prune names what it removes and refuses a malformed retention setting', async () => {
    const home = tempDir();
    const dir = join(home, 'data');
    const store = new SessionStore(dir);
    for (const [id, start] of [['old-one', T0], ['new-one', T0 + 86_400_000]] as const) {
      store.append([{ type: 'session.start', sessionId: id, time: start }, { type: 'session.end', sessionId: id, time: start + 1 }]);
    }
    const env = { HOME: home, XDG_CONFIG_HOME: join(home, 'cfg'), PATH: process.env.PATH ?? '' };
    const dry = await cli(['prune', '--max-sessions', '1', '--dry-run', '--dir', dir], { env });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would remove old-one');
    expect(store.sessionIds().sort()).toEqual(['new-one', 'old-one']);
    mkdirSync(join(home, 'cfg', 'agent-trace'), { recursive: true });
    writeFileSync(join(home, 'cfg', 'agent-trace', 'config.json'), JSON.stringify({ retention: { maxSessions: 'abc' } }));
    const bad = await cli(['prune', '--dir', dir], { env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^agent-trace: retention\.maxSessions in \S+config\.json must be a number ≥ 0 of sessions, not "abc"\n$/);
  });

  it('has --help on every command', async () => {
    for (const command of ['list', 'show', 'hook', 'install', 'uninstall', 'import', 'view', 'export', 'prune']) {
      const r = await cli([command, '--help']);
      expect(r.code, command).toBe(0);
      expect(r.stdout, command).toMatch(/Usage: agent-trace/);
    }
  });

  it('show says what the cost rests on: the named, dated source, the 1-hour cache writes, family stand-ins and unpriced models', async () => {
    const dir = tempDir();
    const id = 'cost-notes';
    const at = Date.parse('2026-06-01T10:00:00Z');
    const gen = (n: number, model: string, usage: Record<string, number>): AgentEvent => ({ type: 'generation.end', sessionId: id, time: at + n * 10 + 5, startTime: at + n * 10, key: `m${n}`, model, provider: 'anthropic', usage });
    new SessionStore(dir).append([
      { type: 'session.start', sessionId: id, time: at, agent: { name: 'claude-code' }, provider: 'anthropic' },
      { type: 'turn.start', sessionId: id, time: at + 1, prompt: 'price me' },
      gen(1, 'claude-opus-4-6', { input: 1000, output: 100, cacheWrite: 3000, cacheWrite1h: 2000 }),
      gen(2, 'claude-haiku-9', { input: 1000, output: 100 }),
      gen(3, 'house-model-x', { input: 1000, output: 100 }),
      { type: 'session.end', sessionId: id, time: at + 100 },
    ]);
    const r = await cli(['show', id, '--dir', dir], { env: { ...process.env, NO_COLOR: '1', AGENT_TRACE_CONFIG: join(dir, 'none.json') } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('cache write 3.0k (1 h 2.0k, 5 min 1.0k)');
    expect(r.stdout).toMatch(/cost\s+~\$0\.\d{4} \(estimated from @pydantic\/genai-prices 0\.1\.8 \(prices as of \d{4}-\d{2}-\d{2}\)\)/);
    expect(r.stdout).toContain('estimate claude-haiku-9 (1 calls): not in the price source, priced as claude-haiku-4-5 (family fallback)');
    expect(r.stdout).toContain('no price house-model-x (1 calls): unknown model, not counted in the cost');
    const doc = JSON.parse((await cli(['show', id, '--json', '--dir', dir])).stdout);
    // opus 4.6: 1000 × $5 + 1000 × $6.25 (5 min) + 2000 × $10 (1 h) + 100 × $25, per million; haiku as 4.5: 1000 × $1 + 100 × $5.
    expect(doc.summary.cost.usd).toBeCloseTo((5000 + 6250 + 20_000 + 2500 + 1000 + 500) / 1e6, 9);
    expect(doc.summary.unpriced).toEqual([{ model: 'house-model-x', calls: 1 }]);
  });

  it('leaves quietly (exit 0, nothing on stderr) when the reader of its output stops reading: `show --json | head`', async () => {
    const dir = tempDir();
    const store = new SessionStore(dir);
    const events: AgentEvent[] = [{ type: 'session.start', sessionId: 'big-1', time: T0, agent: { name: 'claude-code' } }, { type: 'turn.start', sessionId: 'big-1', time: T0 + 1, prompt: 'many tools' }];
    for (let i = 0; i < 3000; i++) {
      events.push({ type: 'tool.start', sessionId: 'big-1', time: T0 + 2 + i, key: `t${i}`, name: 'Bash', input: { command: `echo ${'x'.repeat(200)} ${i}` } });
      events.push({ type: 'tool.end', sessionId: 'big-1', time: T0 + 3 + i, key: `t${i}`, output: 'y'.repeat(200) });
    }
    store.append(events);
    const r = await run('bash', ['-c', `"${process.execPath}" "${binPath}" show big-1 --json --dir "${dir}" | head -c 100 >/dev/null; echo "status \${PIPESTATUS[0]}"`]);
    expect(r.stdout.trim()).toBe('status 0');
    expect(r.stderr).toBe('');
  });
});
