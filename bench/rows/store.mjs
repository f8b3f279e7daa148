// Store rows (SPEC §8, issue 10): list, show PREFIX, prune and the viewer's first list at 100, 1,000 and 5,000
// sessions, each with its growth against the 100-session store measured in the same run; a new session
// appearing under a watching viewer; a 300,000-span session through `show --json` and the viewer API; import
// and re-import of a 500-transcript folder. Sessions are generated with the product's own writer
// (SessionStore.append + materialize), not thousands of CLI calls.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { transcriptLines } from './claude-code.mjs';
import { startViewer } from '../start-viewer.mjs';

const SIZES = [100, 1_000, 5_000];
const T0 = Date.parse('2025-06-01T09:00:00Z');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs the CLI once: wall ms and peak RSS (MB, from /usr/bin/time when present). */
function run(ctx, args, env) {
  const time = '/usr/bin/time';
  const useTime = spawnSync(time, ['-f', '%M', 'true']).status === 0;
  const t0 = process.hrtime.bigint();
  const r = useTime
    ? spawnSync(time, ['-f', '%M', process.execPath, ctx.bin, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 })
    : spawnSync(process.execPath, [ctx.bin, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`agent-trace ${args.join(' ')} exited ${r.status}: ${String(r.stderr).slice(-500)}`);
  const lines = String(r.stderr).trim().split('\n');
  const rss = useTime ? Number(lines[lines.length - 1]) / 1024 : undefined;
  return { ms, rss };
}

function best(ctx, args, env, n = 3) {
  const runs = Array.from({ length: n }, () => run(ctx, args, env));
  return { ms: median(runs.map((r) => r.ms)), rss: Math.max(...runs.map((r) => r.rss ?? 0)) || undefined };
}

/** One generated session: turns of model and tool calls with some content (~40 spans, ~40 KB of trace). */
function sessionEvents(sessionId, start, tools = 36) {
  const out = [{ type: 'session.start', sessionId, time: start, agent: { name: 'claude-code', version: '2.1.0' }, cwd: `/work/project-${sessionId.slice(-3)}` }];
  let t = start + 1;
  for (let i = 0; i < tools; i++) {
    if (i % 12 === 0) out.push({ type: 'turn.start', sessionId, time: t++, key: `turn-${i}`, prompt: `Task ${i / 12}: fix the failing tests in module ${i}` });
    if (i % 4 === 0) {
      out.push({ type: 'generation.start', sessionId, time: t, key: `g${i}`, model: 'claude-sonnet-4-5' });
      out.push({ type: 'generation.end', sessionId, time: t + 9, key: `g${i}`, model: 'claude-sonnet-4-5', usage: { input: 12, output: 80, cacheRead: 20_000, cacheWrite: 300 }, output: { text: 'Reading the next files.' } });
      t += 10;
    }
    out.push({ type: 'tool.start', sessionId, time: t, key: `t${i}`, name: i % 3 ? 'Read' : 'Bash', input: { file_path: `/work/src/module${i}.ts` } });
    out.push({ type: 'tool.end', sessionId, time: t + 20, key: `t${i}`, output: `export const value${i} = ${i};\n`.repeat(30) });
    t += 25;
  }
  out.push({ type: 'session.end', sessionId, time: t + 1, status: 'completed' });
  return out;
}

function idOf(n) {
  return `${n.toString(16).padStart(8, '0')}-b7e1-4c2a-9d3f-${(n * 7919).toString(16).padStart(12, '0')}`;
}

function generate(store, from, to) {
  for (let n = from; n < to; n++) {
    const id = idOf(n);
    store.append(sessionEvents(id, T0 + n * 60_000));
    store.materialize(id);
  }
}


function get(url) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(url, (res) => {
      let bytes = 0;
      res.on('data', (d) => (bytes += d.length));
      res.on('end', () => resolve({ ms: performance.now() - t0, status: res.statusCode, bytes }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function viewerRows(ctx, dir, env, store, n) {
  const started = performance.now();
  const { child, url } = await startViewer(ctx.bin, dir, { env });
  try {
    const ready = performance.now() - started;
    const first = await get(`${url}api/sessions?offset=0&limit=200`);
    const whole = await get(`${url}api/sessions`);
    // A new session while the viewer watches: the next list answer includes it.
    const id = idOf(900_000 + n);
    store.append(sessionEvents(id, Date.now() - 60_000, 4));
    const fresh = await get(`${url}api/sessions?offset=0&limit=200`);
    const info = await get(`${url}api/info`);
    return { ready, first: first.ms, whole: whole.ms, wholeBytes: whole.bytes, newSession: fresh.ms, info: info.ms };
  } finally {
    child.kill('SIGTERM');
  }
}

export async function rows(ctx) {
  const { SessionStore } = await import(pathToFileURL(ctx.lib).href);
  const out = [];
  const env = { ...process.env, XDG_CONFIG_HOME: join(ctx.work, 'store-config') };
  for (const k of Object.keys(env)) if (k.startsWith('OTEL_') || k.startsWith('AGENT_TRACE_')) delete env[k];
  const node = median(Array.from({ length: 5 }, () => {
    const t0 = process.hrtime.bigint();
    spawnSync(process.execPath, ['-e', '0']);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  }));

  // ——— list, show PREFIX, prune, viewer at 100 / 1,000 / 5,000 sessions ———
  const dir = join(ctx.work, 'store-many');
  const store = new SessionStore(dir);
  const at = new Map();
  let made = 0;
  for (const size of SIZES) {
    const t0 = performance.now();
    generate(store, made, size);
    made = size;
    const genMs = performance.now() - t0;
    const prefix = idOf(Math.floor(size / 2)).slice(0, 8);
    const m = {
      gen: genMs,
      list: best(ctx, ['list', '--dir', dir], env),
      listJson: best(ctx, ['list', '--json', '--dir', dir], env),
      show: best(ctx, ['show', prefix, '--dir', dir], env),
      prune: best(ctx, ['prune', '--max-sessions', String(size * 2), '--dry-run', '--dir', dir], env),
      viewer: await viewerRows(ctx, dir, env, store, size),
    };
    made++; // the viewer row added one session
    at.set(size, m);
  }
  const small = at.get(100);
  const big = at.get(5_000);
  for (const size of SIZES) {
    const m = at.get(size);
    const label = size.toLocaleString('en-US');
    const growth = (v, base) => (size === 100 ? undefined : v / base);
    const row = (name, value, baseline, baselineName, target, pass, unit = 'ms') => out.push({ name, value, unit, baseline, baselineName, ratio: baseline ? value / baseline : undefined, target, pass });
    row(`store: list at ${label} sessions`, m.list.ms, size === 100 ? node : small.list.ms, size === 100 ? 'node -e 0' : 'list at 100', size === 5_000 ? '≤ 500 ms' : 'flat per session', size === 5_000 ? m.list.ms <= 500 : true);
    row(`store: list --json at ${label} sessions`, m.listJson.ms, size === 100 ? node : small.listJson.ms, size === 100 ? 'node -e 0' : 'list --json at 100', size === 5_000 ? '≤ 500 ms' : 'flat per session', size === 5_000 ? m.listJson.ms <= 500 : true);
    row(`store: show PREFIX at ${label} sessions`, m.show.ms, size === 100 ? node : small.show.ms, size === 100 ? 'node -e 0' : 'show at 100', size === 100 ? '-' : '≤ 1.2× at 100', size === 100 ? true : growth(m.show.ms, small.show.ms) <= 1.2);
    row(`store: prune --dry-run at ${label} sessions`, m.prune.ms, size === 100 ? node : small.prune.ms, size === 100 ? 'node -e 0' : 'prune at 100', size === 5_000 ? '≤ 1,000 ms' : 'flat per session', size === 5_000 ? m.prune.ms <= 1_000 : true);
    row(`store: viewer first list page at ${label} sessions`, m.viewer.first, size === 100 ? undefined : small.viewer.first, size === 100 ? undefined : 'at 100', '≤ 500 ms', m.viewer.first <= 500);
    row(`store: viewer whole list (${Math.round(m.viewer.wholeBytes / 1024)} KB) at ${label}`, m.viewer.whole, size === 100 ? undefined : small.viewer.whole, size === 100 ? undefined : 'at 100', '≤ 500 ms', m.viewer.whole <= 500);
    row(`store: viewer list after a new session at ${label}`, m.viewer.newSession, m.viewer.info, 'GET /api/info', '≤ 50 ms', m.viewer.newSession <= 50);
  }
  out.push({ name: 'store: list RSS at 5,000 sessions', value: big.list.rss, unit: 'MB', baseline: small.list.rss, baselineName: 'at 100', ratio: big.list.rss / small.list.rss, target: '≤ 200 MB', pass: big.list.rss <= 200 });
  out.push({ name: 'store: per-session cost of list, 100 → 5,000', value: (big.list.ms - small.list.ms) / 4_900, unit: 'ms', target: '≤ 0.1 ms per session', pass: (big.list.ms - small.list.ms) / 4_900 <= 0.1 });

  // ——— a 300,000-span session: show --json and the viewer API ———
  {
    const hdir = join(ctx.work, 'store-huge');
    const huge = new SessionStore(hdir);
    const id = 'huge-300k-spans';
    huge.append([{ type: 'session.start', sessionId: id, time: T0, agent: { name: 'claude-code' }, title: '300,000 spans' }, { type: 'turn.start', sessionId: id, time: T0 + 1, key: 'turn', prompt: 'go' }]);
    let t = T0 + 2;
    for (let b = 0; b < 150; b++) {
      const batch = [];
      for (let i = 0; i < 2_000; i++) {
        const k = `t${b}-${i}`;
        batch.push({ type: 'tool.start', sessionId: id, time: t, key: k, name: 'Read', input: { file_path: `/src/${k}.ts` } });
        batch.push({ type: 'tool.end', sessionId: id, time: t + 1, key: k, output: `line of ${k}` });
        t += 2;
      }
      huge.append(batch);
    }
    huge.append([{ type: 'session.end', sessionId: id, time: t }]);
    huge.materialize(id);
    const json = best(ctx, ['show', id, '--json', '--dir', hdir], env, 1);
    const text = best(ctx, ['show', id, '--dir', hdir], env, 1);
    const small1 = best(ctx, ['show', idOf(1).slice(0, 8), '--json', '--dir', dir], env, 1);
    out.push({ name: 'store: show --json, 300k-span session', value: json.ms, unit: 'ms', baseline: small1.ms, baselineName: 'a 40-span session', ratio: json.ms / small1.ms, target: '≤ 8,600 ms (issue: 8.6 s)', pass: json.ms <= 8_600 });
    out.push({ name: 'store: show --json RSS, 300k-span session', value: json.rss, unit: 'MB', baseline: small1.rss, baselineName: 'a 40-span session', ratio: json.rss / small1.rss, target: '≤ 1,000 MB (issue: 2.1 GB)', pass: json.rss <= 1_000 });
    out.push({ name: 'store: show (summary), 300k-span session', value: text.ms, unit: 'ms', baseline: small1.ms, baselineName: 'a 40-span session', ratio: text.ms / small1.ms, target: 'measured', pass: true });
    const { child, url } = await startViewer(ctx.bin, hdir, { env });
    try {
      const header = await get(`${url}api/sessions/${id}`);
      const page = await get(`${url}api/sessions/${id}/spans?offset=150000&limit=1000`);
      out.push({ name: 'store: viewer API, 300k-span session loaded', value: header.ms, unit: 'ms', target: '≤ 3,000 ms', pass: header.status === 200 && header.ms <= 3_000 });
      out.push({ name: 'store: viewer API, a page of 1,000 spans of it', value: page.ms, unit: 'ms', target: '≤ 50 ms', pass: page.status === 200 && page.ms <= 50 });
    } finally {
      child.kill('SIGTERM');
    }
  }

  // ——— import and re-import of a 500-transcript folder ———
  {
    const input = join(ctx.work, 'store-transcripts', '-work-bench');
    mkdirSync(input, { recursive: true });
    for (let i = 0; i < 500; i++) {
      const sid = `ba5e${i.toString(16).padStart(4, '0')}-0000-4000-8000-000000000000`;
      writeFileSync(join(input, `${sid}.jsonl`), `${transcriptLines(sid, { lines: 300 + (i % 7) * 40, start: T0 + i * 3_600_000 }).join('\n')}\n`);
    }
    const idir = join(ctx.work, 'store-import');
    const first = run(ctx, ['import', input, '--dir', idir], env);
    const again = median([0, 1, 2].map(() => run(ctx, ['import', input, '--dir', idir], env).ms));
    out.push({ name: 'store: import of 500 transcripts', value: first.ms, unit: 'ms', baseline: node, baselineName: 'node -e 0', ratio: first.ms / node, target: 'measured', pass: true });
    out.push({ name: 'store: import RSS, 500 transcripts', value: first.rss, unit: 'MB', target: '≤ 300 MB', pass: first.rss === undefined || first.rss <= 300 });
    out.push({ name: 'store: re-import of the 500 unchanged transcripts', value: again, unit: 'ms', baseline: first.ms, baselineName: 'first import', ratio: again / first.ms, target: '≤ 0.05×', pass: again / first.ms <= 0.05 });
  }
  return out;
}
