// In-process rows of SPEC §8: record() event-loop block, bytes written per session, flushSync.
import { existsSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';

/** Bytes this process has passed to write(2) so far (Linux). */
function writtenBytes() {
  if (!existsSync('/proc/self/io')) return undefined;
  const line = readFileSync('/proc/self/io', 'utf8').split('\n').find((l) => l.startsWith('wchar:'));
  return line ? Number(line.split(/\s+/)[1]) : undefined;
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** A realistic event of a coding-agent session: alternating model calls and tool calls with some content. */
function* sessionCalls(count) {
  for (let i = 0; i < count; i++) {
    if (i % 5 === 0) yield { kind: 'model', i };
    else yield { kind: 'tool', i };
  }
}

function recordCall(tracer, call) {
  if (call.kind === 'model') {
    const key = tracer.modelCallStart({ key: `m${call.i}`, model: 'claude-sonnet-4-5' });
    tracer.modelCallFinish(key, { usage: { input: 12, output: 340, cacheRead: 40_000, cacheWrite: 900 }, text: `Step ${call.i}: reading the next file to find the bug. `.repeat(3) });
  } else {
    const key = tracer.toolStart({ key: `t${call.i}`, name: call.i % 3 ? 'Read' : 'Bash', input: { file_path: `/repo/src/module-${call.i}.ts`, command: 'npm test -- --run' } });
    tracer.toolFinish(key, { output: `export function f${call.i}() {\n  return ${call.i};\n}\n`.repeat(4) });
  }
}

export async function rows(ctx) {
  const { createSessionTracer, TraceBuilder } = await import(ctx.lib);
  const out = [];

  // ——— record() p99 event-loop block at 20,000 spans ———
  {
    const measureTicks = async (work, n) => {
      const gaps = [];
      let last = performance.now();
      for (let i = 0; i < n; i++) {
        work(i);
        await tick();
        const now = performance.now();
        gaps.push(now - last);
        last = now;
      }
      return gaps;
    };
    const baselineGaps = await measureTicks(() => undefined, 20_000);
    const tracer = createSessionTracer({ dir: join(ctx.work, 'record'), sessionId: 'record-bench' });
    tracer.userPrompt('benchmark');
    // One tool call (two events, one span) per turn of the event loop, as a busy agent would record them.
    const gaps = await measureTicks((i) => recordCall(tracer, { kind: 'tool', i }), 20_000);
    await tracer.end();
    const p99 = percentile(gaps, 99);
    const base = percentile(baselineGaps, 99);
    out.push({ name: 'record(): p99 event-loop block, 20,000 spans', value: p99, unit: 'ms', baseline: base, baselineName: 'empty loop p99', ratio: p99 / base, target: '≤ 1 ms', pass: p99 <= 1 });
    out.push({ name: 'record(): max event-loop block, 20,000 spans', value: Math.max(...gaps), unit: 'ms', baseline: Math.max(...baselineGaps), baselineName: 'empty loop max', ratio: Math.max(...gaps) / Math.max(...baselineGaps), target: 'report', pass: true });
  }

  // ——— bytes written for a 5,000-event session ———
  {
    const calls = [...sessionCalls(2_500)]; // 2 events per call = 5,000 events
    const dir = join(ctx.work, 'bytes');
    const before = writtenBytes();
    const tracer = createSessionTracer({ dir, sessionId: 'bytes-bench' });
    tracer.userPrompt('find the bug');
    for (const call of calls) {
      recordCall(tracer, call);
      await tick();
    }
    await tracer.end();
    const ours = writtenBytes() - before;
    const traceFile = join(dir, 'sessions', 'bytes-bench', 'trace.json');
    const finalSize = statSync(traceFile).size;

    // The naive writer: rebuild and rewrite the whole trace after every event.
    const naiveDir = join(ctx.work, 'naive');
    mkdirSync(naiveDir, { recursive: true });
    const naiveFile = join(naiveDir, 'trace.json');
    const builder = new TraceBuilder('naive');
    const events = readFileSync(join(dir, 'sessions', 'bytes-bench', 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const naiveBefore = writtenBytes();
    for (const e of events) {
      builder.apply({ ...e, sessionId: 'naive' });
      writeFileSync(naiveFile, builder.serialize());
    }
    const naive = writtenBytes() - naiveBefore;
    out.push({ name: `bytes written, ${events.length}-event session ÷ final trace.json`, value: ours / finalSize, unit: '×', baseline: naive / finalSize, baselineName: 'rewrite-per-event writer', ratio: ours / naive, target: '≤ 3 ×', pass: ours / finalSize <= 3 });
  }

  // ——— flushSync at 20,000 spans ———
  {
    const tracer = createSessionTracer({ dir: join(ctx.work, 'flushsync'), sessionId: 'flushsync-bench' });
    tracer.userPrompt('big session');
    for (const call of sessionCalls(20_000)) recordCall(tracer, call);
    await tracer.flush();
    recordCall(tracer, { kind: 'tool', i: 99_999 }); // the crash lands mid-session, with fresh events
    const doc = tracer.document();
    const t0 = performance.now();
    tracer.flushSync('benchmark crash');
    const ms = performance.now() - t0;
    // Baseline: what a plain crash write costs — stringify the whole trace and write it synchronously.
    const b0 = performance.now();
    writeFileSync(join(ctx.work, 'flushsync-baseline.json'), JSON.stringify(doc));
    const baseline = performance.now() - b0;
    out.push({ name: `flushSync at ${doc.spans.length.toLocaleString('en')} spans`, value: ms, unit: 'ms', baseline, baselineName: 'stringify + writeFileSync', ratio: ms / baseline, target: '≤ 50 ms', pass: ms <= 50 });
  }
  return out;
}
