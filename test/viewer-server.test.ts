import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SESSION_ID, writeDemoSession } from '../src/demo/demo-session.js';
import { buildViewerApp, startViewer, type RunningViewer } from '../viewer/server/app.js';
import { isAllowedHost, parseHostHeader } from '../viewer/server/security.js';
import { LiveSession } from '../viewer/server/live-session.js';
import { append, bigSessionEvents, sseEvents, startTestViewer, tempStore } from './viewer-helpers.js';
import { TranscriptWriter } from './helpers/claude-code.js';
import { RECONCILE_SOURCES } from '../src/adapters/sources.js';
import { SessionStore } from '../src/store/session-store.js';
import { writeSpool } from '../src/store/spool.js';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'dist/bin/agent-trace.js');

describe('viewer server', () => {
  const { store, cleanup } = tempStore();
  let viewer: RunningViewer;
  let base: string;
  let host: string;

  beforeAll(async () => {
    writeDemoSession(store);
    append(store, 'older-session', [
      { type: 'session.start', agent: { name: 'codex' }, cwd: '/srv/other' },
      { type: 'turn.start', prompt: 'an older prompt' },
      { type: 'session.end' },
    ], Date.now() - 86_400_000);
    store.append(bigSessionEvents('huge-session', 20_000, { start: Date.now() - 3 * 86_400_000 }));
    viewer = await startTestViewer(store);
    base = viewer.url.replace(/\/$/, '');
    host = `127.0.0.1:${viewer.port}`;
  });

  afterAll(async () => {
    await viewer.close();
    cleanup();
  });

  const get = (path: string, headers: Record<string, string> = {}) =>
    viewer.app.inject({ method: 'GET', url: path, headers: { host, ...headers } });

  it('serves the front end with a strict CSP and security headers', async () => {
    const res = await get('/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('<script type="module" src="/app.js">');
    expect(res.body).not.toMatch(/<script>(?!<)/);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("require-trusted-types-for 'script'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    for (const asset of ['/app.js', '/styles.css']) {
      const a = await get(asset);
      expect(a.statusCode).toBe(200);
      expect(a.headers['content-security-policy']).toBe(csp);
    }
  });

  it('puts the CSP on API answers and errors too, and never caches the API', async () => {
    for (const path of ['/api/sessions', '/api/sessions/nope', '/nothing-here']) {
      const res = await get(path);
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    }
    expect((await get('/api/sessions')).headers['cache-control']).toBe('no-store');
    expect((await get('/api/sessions')).headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses requests whose Host header is not the bound host (DNS rebinding)', async () => {
    for (const bad of [`evil.example:${viewer.port}`, 'evil.example', `127.0.0.1.nip.io:${viewer.port}`, `127.0.0.1:${viewer.port + 1}`, '127.0.0.1', `localhost.evil.com:${viewer.port}`, `[::1]:${viewer.port}@evil`, '']) {
      for (const path of ['/', '/api/sessions', `/api/sessions/${DEMO_SESSION_ID}/trace`]) {
        const res = await viewer.app.inject({ method: 'GET', url: path, headers: { host: bad } });
        expect(res.statusCode, `${bad} ${path}`).toBe(403);
        expect(res.body).not.toContain(DEMO_SESSION_ID);
      }
    }
    for (const good of [host, `localhost:${viewer.port}`, `LOCALHOST:${viewer.port}`, `[::1]:${viewer.port}`]) {
      expect((await viewer.app.inject({ method: 'GET', url: '/api/sessions', headers: { host: good } })).statusCode, good).toBe(200);
    }
    // over real HTTP, with a forged Host header and with none at all
    const status = (headers: Record<string, string>, setHost = true) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: viewer.port, path: '/api/sessions', headers, setHost }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await status({ host: `attacker.example:${viewer.port}` })).toBe(403);
    expect(await status({}, false)).not.toBe(200);
    expect(await status({})).toBe(200);
  });

  it('checks hosts for loopback, wildcard and explicit binds', () => {
    expect(parseHostHeader('[::1]:80')).toEqual({ name: '::1', port: 80 });
    expect(parseHostHeader('a:b:c')).toBeUndefined();
    expect(parseHostHeader('x/y:1')).toBeUndefined();
    expect(isAllowedHost('localhost:7600', { host: '127.0.0.1', port: 7600 })).toBe(true);
    expect(isAllowedHost('localhost:7601', { host: '127.0.0.1', port: 7600 })).toBe(false);
    expect(isAllowedHost('192.168.1.10:7600', { host: '127.0.0.1', port: 7600 })).toBe(false);
    expect(isAllowedHost('192.168.1.10:7600', { host: '0.0.0.0', port: 7600 })).toBe(true);
    expect(isAllowedHost('rebind.attacker.com:7600', { host: '0.0.0.0', port: 7600 })).toBe(false);
    expect(isAllowedHost('10.0.0.5:7600', { host: '10.0.0.5', port: 7600 })).toBe(true);
    expect(isAllowedHost('localhost:7600', { host: '10.0.0.5', port: 7600 })).toBe(false);
    expect(isAllowedHost(undefined, { host: '127.0.0.1', port: 7600 })).toBe(false);
  });

  it('never serves a file outside the front end (path traversal)', async () => {
    const attempts = [
      '/../package.json',
      '/%2e%2e/package.json',
      '/..%2fpackage.json',
      '/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/..%5c..%5cpackage.json',
      '/static/../../package.json',
      '/index.html/../../package.json',
      '/api/sessions/..%2F..%2F..%2Fetc%2Fpasswd',
      '/api/sessions/..%2F..%2Fpackage.json/trace',
      '/api/sessions/%2e%2e/trace',
      '/api/sessions/..%2Fsessions%2Fdemo-session/trace',
      '/app.js%00.html',
      '/.git/config',
    ];
    for (const path of attempts) {
      const res = await get(path);
      expect([400, 403, 404], path).toContain(res.statusCode);
      expect(res.body, path).not.toContain('"devDependencies"');
      expect(res.body, path).not.toContain('root:x:0');
      expect(res.body, path).not.toContain('[core]');
    }
    const raw = await fetch(`${base}/..%2f..%2f..%2fetc%2fpasswd`);
    expect(raw.status).toBe(404);
  });

  it('answers 404 for unknown sessions and spans and 400 for malformed ids', async () => {
    for (const path of ['/api/sessions/no-such-session', '/api/sessions/no-such-session/trace', '/api/sessions/no-such-session/spans', '/api/sessions/no-such-session/live', '/api/sessions/demo']) {
      const res = await get(path);
      expect(res.statusCode, path).toBe(404);
      expect(res.json()).toEqual({ error: 'unknown session' });
    }
    expect((await get('/api/sessions/bad%00id')).statusCode).toBe(400);
    expect((await get(`/api/sessions/${'x'.repeat(1100)}`)).statusCode).toBe(400);
    expect((await get(`/api/sessions/${DEMO_SESSION_ID}/spans/ffffffffffffffff`)).statusCode).toBe(404);
    expect((await get(`/api/sessions/${DEMO_SESSION_ID}/spans/bad.id`)).statusCode).toBe(400);
    expect((await get('/api/nothing')).statusCode).toBe(404);
    expect((await viewer.app.inject({ method: 'POST', url: '/api/sessions', headers: { host } })).statusCode).toBe(404);
    expect((await viewer.app.inject({ method: 'DELETE', url: `/api/sessions/${DEMO_SESSION_ID}`, headers: { host } })).statusCode).toBe(404);
  });

  it('lists sessions newest first, with a conditional GET', async () => {
    const res = await get('/api/sessions');
    const list = res.json() as Array<{ sessionId: string; title: string | null; firstPrompt: string | null; status: string; cwd: string | null; summary: { toolCalls: number; filesTouched: number } }>;
    expect(list.map((s) => s.sessionId)).toEqual([DEMO_SESSION_ID, 'older-session', 'huge-session']);
    const demo = list[0]!;
    expect(demo.title).toMatch(/demo/i);
    expect(demo.firstPrompt).toMatch(/parseDuration/);
    expect(demo.status).toBe('completed');
    expect(demo.cwd).toBe('/home/dev/acme-api');
    expect(demo.summary.toolCalls).toBe(17);
    expect(demo.summary.filesTouched).toBe(4);
    const etag = String(res.headers.etag);
    expect((await get('/api/sessions', { 'if-none-match': etag })).statusCode).toBe(304);
    const info = (await get('/api/info')).json() as { pricesAsOf: string; priceSource: string; prices: Record<string, unknown> };
    expect(info.pricesAsOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // The price source is named and dated; `prices` holds only the config file's overrides.
    expect(info.priceSource).toBe(`@pydantic/genai-prices 0.1.8 (prices as of ${info.pricesAsOf})`);
    expect(info.prices).toEqual({});
  });

  it('serves one session: header, span by id, the whole trace', async () => {
    const head = (await get(`/api/sessions/${DEMO_SESSION_ID}`)).json() as { total: number; header: { sessionId: string; summary: { turns: number } } };
    expect(head.header.sessionId).toBe(DEMO_SESSION_ID);
    expect(head.header.summary.turns).toBe(4);
    const trace = await get(`/api/sessions/${DEMO_SESSION_ID}/trace`);
    const doc = trace.json() as { spans: Array<{ spanId: string; kind: string }> };
    expect(doc.spans.length).toBe(head.total);
    expect(trace.headers['x-trace-version']).toMatch(/^\d+$/);
    const one = (await get(`/api/sessions/${DEMO_SESSION_ID}/spans/${doc.spans[3]!.spanId}`)).json() as { spanId: string };
    expect(one.spanId).toBe(doc.spans[3]!.spanId);
    expect(doc).toEqual(store.load(DEMO_SESSION_ID));
  });

  it('streams huge sessions in pieces and pages their spans', async () => {
    const res = await fetch(`${base}/api/sessions/huge-session/trace`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBeNull();
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    const reader = res.body!.getReader();
    const chunks: Uint8Array[] = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    expect(chunks.length).toBeGreaterThan(10);
    const doc = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { spans: unknown[] };
    const total = Number(res.headers.get('x-trace-spans'));
    expect(doc.spans.length).toBe(total);
    expect(total).toBeGreaterThan(22_000);

    const page1 = (await get('/api/sessions/huge-session/spans?offset=0&limit=5000')).json() as { total: number; offset: number; spans: Array<{ spanId: string }> };
    expect(page1.total).toBe(total);
    expect(page1.spans).toHaveLength(5000);
    const page2 = (await get('/api/sessions/huge-session/spans?offset=5000&limit=99999')).json() as { spans: Array<{ spanId: string }> };
    expect(page2.spans).toHaveLength(5000); // capped
    expect(page2.spans[0]!.spanId).not.toBe(page1.spans[0]!.spanId);
    const last = (await get(`/api/sessions/huge-session/spans?offset=${total - 10}`)).json() as { spans: unknown[] };
    expect(last.spans).toHaveLength(10);
    const beyond = (await get(`/api/sessions/huge-session/spans?offset=${total + 10}&limit=abc`)).json() as { spans: unknown[] };
    expect(beyond.spans).toHaveLength(0);
  });

  it('pushes only the changed spans of a running session over SSE', async () => {
    const id = 'live-session';
    append(store, id, [
      { type: 'session.start', agent: { name: 'claude-code' } },
      { type: 'turn.start', key: 'turn-1', prompt: 'run the tests' },
      { type: 'tool.start', key: 'tool-1', name: 'Bash', input: { command: 'npm test' } },
    ]);
    const head = await fetch(`${base}/api/sessions/${id}/trace`);
    const epoch = head.headers.get('x-trace-epoch');
    const version = Number(head.headers.get('x-trace-version'));
    const first = (await head.json()) as { spans: unknown[] };
    const controller = new AbortController();
    const res = await fetch(`${base}/api/sessions/${id}/live?since=${epoch}.${version}`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    const events = sseEvents(res);
    append(store, id, [{ type: 'tool.start', key: 'tool-2', name: 'Read', input: { file_path: '/x.ts' } }]);
    const next = await events.next();
    expect(next.value!.event).toBe('delta');
    const delta = JSON.parse(next.value!.data) as { version: number; total: number; spans: Array<{ name: string }>; header: { status: string } };
    expect(delta.total).toBe(first.spans.length + 1);
    expect(delta.spans.map((s) => s.name)).toContain('execute_tool Read');
    expect(delta.spans.map((s) => s.name)).not.toContain('execute_tool Bash');
    expect(delta.version).toBeGreaterThan(version);
    expect(next.value!.id).toBe(`${epoch}.${delta.version}`);
    append(store, id, [{ type: 'tool.end', key: 'tool-1', output: 'ok' }]);
    const again = JSON.parse((await events.next()).value!.data) as { spans: Array<{ name: string; endTime?: number }> };
    expect(again.spans.map((s) => s.name)).toEqual(expect.arrayContaining(['execute_tool Bash']));
    expect(again.spans.find((s) => s.name === 'execute_tool Bash')!.endTime).toBeDefined();
    controller.abort();

    // an unknown epoch (server restarted, session replaced) gets a reset
    const stale = new AbortController();
    const res2 = await fetch(`${base}/api/sessions/${id}/live?since=1.1`, { signal: stale.signal });
    expect((await sseEvents(res2).next()).value!.event).toBe('reset');
    stale.abort();
  });

  it('tells list pages when sessions change', async () => {
    const controller = new AbortController();
    const res = await fetch(`${base}/api/live?version=-1`, { signal: controller.signal });
    const events = sseEvents(res);
    expect((await events.next()).value!.event).toBe('sessions');
    append(store, 'brand-new-session', [{ type: 'session.start', agent: { name: 'gemini-cli' } }]);
    const ev = await events.next();
    expect(ev.value!.event).toBe('sessions');
    controller.abort();
    const list = (await get('/api/sessions')).json() as Array<{ sessionId: string }>;
    expect(list[0]!.sessionId).toBe('brand-new-session');
  });
});

describe('LiveSession', () => {
  it('applies only new journal bytes and versions each span', () => {
    const { store, cleanup } = tempStore();
    try {
      const id = 'inc';
      append(store, id, [{ type: 'session.start' }, { type: 'turn.start', key: 'a', prompt: 'p' }, { type: 'tool.start', key: 't1', name: 'Bash' }]);
      const live = new LiveSession(store, id);
      expect(live.refresh()).toBe(true);
      const v1 = live.version;
      const n1 = live.spanCount;
      expect(live.refresh()).toBe(false);
      append(store, id, [{ type: 'tool.start', key: 't2', name: 'Read' }]);
      expect(live.refresh()).toBe(true);
      const delta = JSON.parse(live.delta(v1)) as { spans: Array<{ name: string }>; total: number };
      expect(delta.total).toBe(n1 + 1);
      expect(delta.spans.map((s) => s.name)).toContain('execute_tool Read');
      expect(delta.spans.map((s) => s.name)).not.toContain('execute_tool Bash');
      const epoch = live.epoch;
      // a journal replaced by a shorter one starts a new epoch
      cleanup();
      append(store, id, [{ type: 'session.start' }]);
      live.refresh();
      expect(live.epoch).not.toBe(epoch);
      expect(live.spanCount).toBe(1);
    } finally {
      cleanup();
    }
  });
});

describe('LiveSession first load', () => {
  it('reads a fresh trace.json instead of replaying the journal, then follows changes from the journal', () => {
    const { store, cleanup } = tempStore();
    try {
      const id = 'fresh';
      append(store, id, [{ type: 'session.start' }, { type: 'turn.start', key: 'a', prompt: 'p' }, { type: 'tool.start', key: 't1', name: 'Bash', input: [{ spanId: 'tricky' }] }]);
      store.materialize(id);
      const live = new LiveSession(store, id);
      expect(live.refresh()).toBe(true);
      expect(live.follower.followsJournal).toBe(false); // read from trace.json, not replayed
      const doc = JSON.parse([...live.documentParts()].join(''));
      expect(doc).toEqual(store.load(id));
      const v1 = live.version;
      expect(live.refresh()).toBe(false);
      append(store, id, [{ type: 'tool.end', key: 't1', output: 'done' }]);
      expect(live.refresh()).toBe(true);
      expect(live.follower.followsJournal).toBe(true);
      const delta = JSON.parse(live.delta(v1)) as { spans: Array<{ name: string }> };
      expect(delta.spans.map((s) => s.name)).toContain('execute_tool Bash');
      expect(delta.spans.length).toBeLessThan(doc.spans.length);
      expect(JSON.parse([...live.documentParts()].join(''))).toEqual(store.load(id));

      // a stale trace.json is not trusted: the journal is replayed
      append(store, 'stale', [{ type: 'session.start' }, { type: 'turn.start', prompt: 'q' }]);
      store.materialize('stale');
      append(store, 'stale', [{ type: 'tool.start', key: 'x', name: 'Read' }]);
      const stale = new LiveSession(store, 'stale');
      stale.refresh();
      expect(stale.spanCount).toBe(3);
    } finally {
      cleanup();
    }
  });

  it('serves a session that has only a trace.json (no journal)', async () => {
    const { store, cleanup } = tempStore();
    try {
      append(store, 'donor', [{ type: 'session.start', title: 'file only' }, { type: 'turn.start', prompt: 'hello' }]);
      const doc = store.load('donor')!;
      const { mkdirSync, writeFileSync } = await import('node:fs');
      const folder = store.folder('file-only');
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'trace.json'), JSON.stringify({ ...doc, sessionId: 'file-only' }));
      const live = new LiveSession(store, 'file-only');
      expect(live.refresh()).toBe(true);
      expect(live.header?.title).toBe('file only');
      expect(live.spanCount).toBe(doc.spans.length);
      expect(live.refresh()).toBe(false);
    } finally {
      cleanup();
    }
  });
});

describe('agent-trace view (CLI)', () => {
  const run = (args: string[], env: Record<string, string> = {}) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env, XDG_CONFIG_HOME: '/nonexistent' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const line = new Promise<string>((resolve) => {
      const check = () => {
        if (stdout.includes('\n')) resolve(stdout.split('\n')[0]!);
      };
      child.stdout.on('data', check);
      void exited.then(() => resolve(stdout.split('\n')[0] ?? ''));
    });
    return { child, line, exited, out: () => stdout, err: () => stderr };
  };

  it('prints exactly one line, serves the store and adds a demo session to an empty store', async () => {
    const { dir, store, cleanup } = tempStore();
    try {
      const p = run(['view', '--no-open', '--port', '0', '--demo-if-empty', '--dir', dir]);
      const line = await p.line;
      expect(line).toMatch(/^agent-trace viewer: http:\/\/127\.0\.0\.1:\d+\/$/);
      const url = line.replace('agent-trace viewer: ', '');
      const list = (await (await fetch(`${url}api/sessions`)).json()) as Array<{ sessionId: string; title: string }>;
      expect(list.map((s) => s.sessionId)).toEqual([DEMO_SESSION_ID]);
      expect(list[0]!.title).toMatch(/demo/i);
      expect(store.sessionIds()).toEqual([DEMO_SESSION_ID]);
      expect((await fetch(url)).headers.get('content-security-policy')).toContain("default-src 'self'");
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      expect(p.out()).toBe(`${line}\n`);
    } finally {
      cleanup();
    }
  });

  it('removes the demo once the store has sessions of its own', async () => {
    const { dir, store, cleanup } = tempStore();
    try {
      writeDemoSession(store);
      append(store, 'real-session', [{ type: 'session.start' }]);
      const p = run(['view', '--no-open', '--port', '0', '--demo-if-empty', '--dir', dir]);
      await p.line;
      expect(store.sessionIds()).toEqual(['real-session']);
      expect(p.err()).toContain('removed the demo session');
      p.child.kill('SIGTERM');
      await p.exited;
    } finally {
      cleanup();
    }
  });

  it('does not add the demo to a store that has sessions, and resolves a session prefix', async () => {
    const { dir, store, cleanup } = tempStore();
    try {
      append(store, 'abc-123-session', [{ type: 'session.start' }]);
      const p = run(['view', 'abc-1', '--no-open', '--port', '0', '--demo-if-empty', '--dir', dir]);
      const line = await p.line;
      expect(line).toMatch(/^agent-trace viewer: http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(store.sessionIds()).toEqual(['abc-123-session']);
      for (let i = 0; i < 100 && !p.err().includes('#/s/'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(p.err()).toContain('#/s/abc-123-session');
      p.child.kill('SIGTERM');
      await p.exited;
      const missing = run(['view', 'zzz', '--no-open', '--port', '0', '--dir', dir]);
      expect(await missing.exited).toBe(1);
      expect(missing.err()).toMatch(/no session matches "zzz"/);
    } finally {
      cleanup();
    }
  });

  it('needs --allow-remote to bind a non-loopback address, and warns when it does', async () => {
    const { dir, cleanup } = tempStore();
    try {
      const refused = run(['view', '--no-open', '--port', '0', '--host', '0.0.0.0', '--dir', dir]);
      expect(await refused.exited).toBe(1);
      expect(refused.err()).toMatch(/--allow-remote/);
      expect(refused.out()).toBe('');
      const allowed = run(['view', '--no-open', '--port', '0', '--host', '0.0.0.0', '--allow-remote', '--dir', dir]);
      const line = await allowed.line;
      expect(line).toMatch(/^agent-trace viewer: http:\/\/0\.0\.0\.0:\d+\/$/);
      allowed.child.kill('SIGTERM');
      await allowed.exited;
      expect(allowed.err()).toMatch(/WARNING/);
      const badPort = run(['view', '--no-open', '--port', 'eighty', '--dir', dir]);
      expect(await badPort.exited).toBe(2);
    } finally {
      cleanup();
    }
  });

  it('startViewer refuses a remote bind without allowRemote; buildViewerApp works without listening', async () => {
    const { store, cleanup } = tempStore();
    try {
      await expect(startViewer({ store, host: '0.0.0.0', port: 0 })).rejects.toThrow(/allow-remote/);
      const { app } = await buildViewerApp({ store, port: 7600 });
      expect((await app.inject({ url: '/api/sessions', headers: { host: '127.0.0.1:7600' } })).json()).toEqual([]);
      await app.close();
    } finally {
      cleanup();
    }
  });
});

describe('demo session', () => {
  it('shows every feature of the viewer and says it is a demo', () => {
    const { store, cleanup } = tempStore();
    try {
      writeDemoSession(store, { end: 1_800_000_000_000 });
      const doc = store.load(DEMO_SESSION_ID)!;
      expect(doc.title).toMatch(/^Demo/);
      expect(doc.status).toBe('completed');
      expect(doc.summary.turns).toBe(4);
      expect(doc.summary.subagents).toBe(1);
      expect(doc.summary.toolErrors).toBe(2);
      expect(doc.summary.cost?.usd).toBeGreaterThan(0);
      const kinds = new Set(doc.spans.map((s) => s.kind));
      expect([...kinds].sort()).toEqual(['compaction', 'generation', 'session', 'subagent', 'tool', 'turn']);
      const sub = doc.spans.find((s) => s.kind === 'subagent')!;
      expect(doc.spans.find((s) => s.spanId === sub.parentSpanId)!.name).toBe('execute_tool Task');
      expect(doc.spans.some((s) => s.attributes['agent_trace.interrupted'] === true)).toBe(true);
      const events = doc.spans.flatMap((s) => (s.events ?? []).map((e) => e.name));
      expect(events).toEqual(expect.arrayContaining(['permission_request', 'api_error', 'interrupt', 'notification']));
      expect(doc.spans.map((s) => s.attributes['gen_ai.tool.name'])).toEqual(expect.arrayContaining(['Edit', 'MultiEdit', 'Write']));
    } finally {
      cleanup();
    }
  });
});

describe('viewer: exact the instant hooks and transcripts change', () => {
  it('finds a session still in the spool, and shows a running turn from its transcript with no hook firing', async () => {
    const { dir, cleanup } = tempStore();
    const store = new SessionStore(dir, { sources: RECONCILE_SOURCES });
    const { app } = await buildViewerApp({ store, port: 7600 });
    const get = (url: string) => app.inject({ url, headers: { host: '127.0.0.1:7600' } });
    try {
      expect((await get('/api/sessions')).json()).toEqual([]);
      const transcript = join(dir, 'projects', '-work', 'live-1.jsonl');
      const t = new TranscriptWriter(transcript, 'live-1', Date.now() - 60_000);
      const hook = (event: string, payload: Record<string, unknown> = {}) =>
        writeSpool(dir, 'claude-code', event, JSON.stringify({ session_id: 'live-1', transcript_path: transcript, cwd: '/work', hook_event_name: event, ...payload }));
      hook('SessionStart', { source: 'startup' });
      t.prompt('run the tests');
      hook('UserPromptSubmit', { prompt: 'run the tests' });
      // The viewer has not looked since: the session is only in the spool, yet it is found.
      const first = await get('/api/sessions/live-1');
      expect(first.statusCode, first.body).toBe(200);
      expect(first.json().header.status).toBe('running');
      // The turn goes on: tool calls and model calls reach the transcript only (tool hooks are opt-in).
      t.response('msg_1', [{ text: 'Running them.' }, { tool: { id: 'toolu_1', name: 'Bash', input: { command: 'npm test' } } }], { input: 5, output: 40, cacheRead: 100, cacheWrite: 10 });
      const during = (await get('/api/sessions/live-1')).json();
      expect(during.header.summary.generations).toBe(1);
      expect(during.header.summary.tokens.output).toBe(40);
    } finally {
      await app.close();
      cleanup();
    }
  });
});
