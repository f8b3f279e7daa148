// Claude Code rows (SPEC §8): the hook's hot path against `node -e 0`, a Stop hook reading a 1,500-line
// transcript (and the next, incremental one), and the import of a ~3 MB transcript.
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function wall(args, input, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { input, env, stdio: ['pipe', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

/** A Claude Code transcript as Claude Code writes it: one line per content block, usage repeated. */
export function transcriptLines(sessionId, { lines, outputBytes = 600, start = Date.parse('2026-03-01T10:00:00Z') }) {
  const out = [];
  let t = start;
  let parent = null;
  let n = 0;
  const push = (line) => {
    n++;
    const uuid = `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
    out.push(JSON.stringify({ parentUuid: parent, isSidechain: false, userType: 'external', cwd: '/work/bench', sessionId, version: '2.1.62', gitBranch: 'main', ...line, uuid, timestamp: new Date((t += 137)).toISOString() }));
    parent = uuid;
  };
  const body = 'x'.repeat(outputBytes);
  let turn = 0;
  let msg = 0;
  while (out.length < lines) {
    push({ type: 'user', message: { role: 'user', content: `task ${++turn}: refactor module ${turn} and run its tests` } });
    for (let step = 0; step < 6 && out.length < lines; step++) {
      const id = `msg_bench_${++msg}`;
      const usage = (o) => ({ input_tokens: 3, cache_creation_input_tokens: 400, cache_read_input_tokens: 20_000 + msg, output_tokens: o });
      const tools = [`toolu_${msg}_a`, `toolu_${msg}_b`];
      push({ type: 'assistant', requestId: `req_${msg}`, message: { model: 'claude-opus-4-6', id, type: 'message', role: 'assistant', content: [{ type: 'text', text: `Step ${step}: looking at file ${step}.` }], stop_reason: null, usage: usage(2) } });
      for (const [i, tid] of tools.entries()) {
        push({ type: 'assistant', requestId: `req_${msg}`, message: { model: 'claude-opus-4-6', id, type: 'message', role: 'assistant', content: [{ type: 'tool_use', id: tid, name: i ? 'Grep' : 'Read', input: i ? { pattern: `fn${step}` } : { file_path: `/work/bench/src/m${turn}/f${step}.ts` } }], stop_reason: i ? 'tool_use' : null, usage: usage(i ? 180 : 2) } });
      }
      for (const tid of tools) push({ type: 'user', message: { role: 'user', content: [{ tool_use_id: tid, type: 'tool_result', content: `${tid}\n${body}` }] }, toolUseResult: { stdout: body.slice(0, 64) } });
    }
    push({ type: 'assistant', requestId: `req_end_${turn}`, message: { model: 'claude-opus-4-6', id: `msg_end_${turn}`, type: 'message', role: 'assistant', content: [{ type: 'text', text: `Done with task ${turn}.` }], stop_reason: 'end_turn', usage: { input_tokens: 2, cache_creation_input_tokens: 100, cache_read_input_tokens: 21_000, output_tokens: 40 } } });
    push({ type: 'system', subtype: 'turn_duration', durationMs: 4000 });
  }
  return out.slice(0, lines);
}

export async function rows(ctx) {
  const out = [];
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('OTEL_') || k.startsWith('AGENT_TRACE_')) delete env[k];
  env.XDG_CONFIG_HOME = join(ctx.work, 'claude-config');

  // ——— hook, PreToolUse payload: median wall against node -e 0, interleaved ———
  const dir = join(ctx.work, 'claude-hot');
  const payload = (i) =>
    JSON.stringify({
      session_id: 'bench-hot-0000-4000-8000-000000000001',
      transcript_path: join(ctx.work, 'none.jsonl'),
      cwd: '/work/bench',
      permission_mode: 'default',
      hook_event_name: 'PreToolUse',
      tool_name: 'Read',
      tool_input: { file_path: `/work/bench/src/file${i}.ts` },
      tool_use_id: `toolu_bench_${i}`,
    });
  for (let i = 0; i < 5; i++) {
    wall(['-e', '0'], '', env);
    wall([ctx.bin, 'hook', '--dir', dir], payload(-i - 1), env);
  }
  const base = [];
  const hot = [];
  for (let i = 0; i < 41; i++) {
    base.push(wall(['-e', '0'], '', env));
    hot.push(wall([ctx.bin, 'hook', '--dir', dir], payload(i), env));
  }
  const b = median(base);
  const h = median(hot);
  out.push({ name: 'claude-code hook: PreToolUse, median wall', value: h, unit: 'ms', baseline: b, baselineName: 'node -e 0', ratio: h / b, target: '≤ 1.3×', pass: h / b <= 1.3 });

  // ——— hook, Stop on a 1,500-line transcript (first read), then the next turn (incremental) ———
  const sessionId = 'bench-stop-0000-4000-8000-000000000002';
  const tdir = join(ctx.work, 'claude-projects', '-work-bench');
  mkdirSync(tdir, { recursive: true });
  const transcript = join(tdir, `${sessionId}.jsonl`);
  const lines = transcriptLines(sessionId, { lines: 1_520 });
  writeFileSync(transcript, `${lines.slice(0, 1_500).join('\n')}\n`);
  const sdir = join(ctx.work, 'claude-stop');
  const stopPayload = JSON.stringify({ session_id: sessionId, transcript_path: transcript, cwd: '/work/bench', hook_event_name: 'Stop', stop_hook_active: false });
  wall([ctx.bin, 'hook', '--dir', sdir], JSON.stringify({ session_id: sessionId, transcript_path: transcript, hook_event_name: 'SessionStart', source: 'startup' }), env);
  const first = wall([ctx.bin, 'hook', '--dir', sdir], stopPayload, env);
  appendFileSync(transcript, `${lines.slice(1_500).join('\n')}\n`);
  const next = wall([ctx.bin, 'hook', '--dir', sdir], stopPayload, env);
  out.push({ name: 'claude-code hook: Stop, 1,500-line transcript (first read)', value: first, unit: 'ms', baseline: b, baselineName: 'node -e 0', ratio: first / b, target: '≤ 1,000 ms', pass: first <= 1_000 });
  out.push({ name: 'claude-code hook: Stop, +20 lines (incremental)', value: next, unit: 'ms', baseline: b, baselineName: 'node -e 0', ratio: next / b, target: '≤ 1,000 ms', pass: next <= 1_000 });

  // ——— import of a ~3 MB transcript ———
  const bigId = 'bench-import-0000-4000-8000-000000000003';
  const big = join(tdir, `${bigId}.jsonl`);
  let count = 2_000;
  let text = `${transcriptLines(bigId, { lines: count, outputBytes: 1_400 }).join('\n')}\n`;
  while (Buffer.byteLength(text) < 3 * 1024 * 1024) {
    count += 200;
    text = `${transcriptLines(bigId, { lines: count, outputBytes: 1_400 }).join('\n')}\n`;
  }
  writeFileSync(big, text);
  const mb = statSync(big).size / 1024 / 1024;
  const imports = [];
  for (let i = 0; i < 5; i++) imports.push(wall([ctx.bin, 'import', big, '--dir', join(ctx.work, `claude-import-${i}`)], '', env));
  const imp = median(imports);
  out.push({ name: `claude-code import: ${mb.toFixed(1)} MB transcript (${count} lines), median`, value: imp, unit: 'ms', baseline: b, baselineName: 'node -e 0', ratio: imp / b, target: '≤ 500 ms', pass: imp <= 500 });
  return out;
}
