import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { SpanStatusCode, trace, context } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { FileExporter } from '../exporters/file-exporter.js';
import { createSessionTracer } from '../src/tracer/session-tracer.js';
import { SessionStore } from '../src/store/session-store.js';
import { tempDir } from './helpers/env.js';

/** A gate a test opens by hand: lets a write sit between "temp file written" and "rename". */
function gate() {
  let open!: () => void;
  let reached!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  const arrived = new Promise<void>((r) => (reached = r));
  return {
    hold: async () => {
      reached();
      await opened;
    },
    arrived,
    open,
  };
}

function readTrace(dir: string, sessionId: string) {
  return JSON.parse(readFileSync(new SessionStore(dir).tracePath(sessionId), 'utf8'));
}

function recordToolCalls(tracer: ReturnType<typeof createSessionTracer>, from: number, count: number) {
  for (let i = from; i < from + count; i++) {
    const key = tracer.toolStart({ key: `t${i}`, name: 'Read', input: { file_path: `/f/${i}`, pad: 'y'.repeat(500) } });
    tracer.toolFinish(key, { output: 'z'.repeat(500) });
  }
}

describe('snapshot writes', () => {
  it('a burst recorded while a write is in flight reaches disk without any later event', async () => {
    const dir = tempDir();
    let held: ReturnType<typeof gate> | undefined = gate();
    const exporter = new FileExporter({ dir, beforeCommit: () => held?.hold() });
    const tracer = createSessionTracer({ exporter, sessionId: 'burst', snapshotDelayMs: 1 });
    recordToolCalls(tracer, 0, 200);
    const first = held;
    await first.arrived; // the first snapshot is written to its temp file and waits to be renamed
    held = undefined;
    recordToolCalls(tracer, 200, 300); // the burst, while that write is in flight
    first.open();
    // No further event: the follow-up write alone must bring the burst to disk.
    await expect.poll(() => readTrace(dir, 'burst').summary.toolCalls, { timeout: 5000, interval: 10 }).toBe(500);
    await tracer.end();
  });

  it('flush() resolves only when disk equals memory', async () => {
    const dir = tempDir();
    const tracer = createSessionTracer({ dir, sessionId: 'flushed', snapshotDelayMs: 10_000 });
    recordToolCalls(tracer, 0, 50);
    await tracer.flush();
    expect(readFileSync(new SessionStore(dir).tracePath('flushed'), 'utf8')).toBe(JSON.stringify(tracer.document()));
    recordToolCalls(tracer, 50, 1);
    await tracer.flush();
    expect(readTrace(dir, 'flushed').summary.toolCalls).toBe(51);
  });

  it('rebuilding from the journal gives the same bytes as the live trace', async () => {
    const dir = tempDir();
    const tracer = createSessionTracer({ dir, sessionId: 'rebuild', agent: { name: 'a', version: '1' } });
    tracer.userPrompt('hello');
    const g = tracer.modelCallStart({ model: 'gpt-5' });
    tracer.modelCallFinish(g, { usage: { input: 3, output: 4, cacheRead: 2 }, text: 'hi' });
    recordToolCalls(tracer, 0, 5);
    await tracer.end();
    const live = readFileSync(new SessionStore(dir).tracePath('rebuild'), 'utf8');
    const { builder } = new SessionStore(dir).rebuild('rebuild');
    expect(builder.serialize()).toBe(live);
  });

  it('writes a 10,000-span trace in pieces, letting the event loop run in between', async () => {
    const dir = tempDir();
    const tracer = createSessionTracer({ dir, sessionId: 'big', snapshotDelayMs: 0 });
    recordToolCalls(tracer, 0, 10_000);
    // Counted, not timed (how long the loop is blocked is the bench's business): a write done in one
    // synchronous piece would let the loop turn once or twice at most.
    let turns = 0;
    let done = false;
    const tick = () => {
      turns++;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    await tracer.flush();
    done = true;
    expect(readTrace(dir, 'big').spans.length).toBe(10_001);
    expect(turns).toBeGreaterThan(10);
  });
});

describe('crash markers', () => {
  it('a slow write that began before flushSync never replaces the crashed trace', async () => {
    const dir = tempDir();
    const held = gate();
    const exporter = new FileExporter({ dir, beforeCommit: () => held.hold() });
    const tracer = createSessionTracer({ exporter, sessionId: 'crashy', snapshotDelayMs: 0 });
    recordToolCalls(tracer, 0, 2000);
    const flushing = tracer.flush();
    await held.arrived; // a large snapshot sits before its rename
    tracer.flushSync('SIGTERM');
    expect(readTrace(dir, 'crashy').status).toBe('crashed');
    held.open();
    await flushing;
    expect(readTrace(dir, 'crashy').status).toBe('crashed');
    expect(readdirSync(new SessionStore(dir).folder('crashy')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('are per session: one crashed session never stops another sharing the exporter', async () => {
    const dir = tempDir();
    const exporter = new FileExporter({ dir });
    const a = createSessionTracer({ exporter, sessionId: 'A' });
    const b = createSessionTracer({ exporter, sessionId: 'B' });
    recordToolCalls(a, 0, 3);
    recordToolCalls(b, 0, 3);
    a.flushSync('boom');
    recordToolCalls(b, 3, 3);
    await b.flush();
    expect(readTrace(dir, 'A').status).toBe('crashed');
    expect(readTrace(dir, 'B').summary.toolCalls).toBe(6);
    expect(exporter.isCrashed('A')).toBe(true);
    expect(exporter.isCrashed('B')).toBe(false);
  });

  it('use one key for setting and checking, whatever characters the session id has', async () => {
    const dir = tempDir();
    const exporter = new FileExporter({ dir });
    const ids = ['a/b', 'a\\b', 'a.b', 'a:b', 'é/日本', '../x'];
    for (const id of ids) {
      const t = createSessionTracer({ exporter, sessionId: id });
      recordToolCalls(t, 0, 1);
      t.flushSync('crash');
      expect(exporter.isCrashed(id)).toBe(true);
      expect(new FileExporter({ dir }).isCrashed(id)).toBe(true); // a fresh process sees the marker on disk
      expect(new SessionStore(dir).load(id)?.status).toBe('crashed');
    }
    expect(readdirSync(join(dir, 'sessions')).length).toBe(ids.length);
    const untouched = createSessionTracer({ exporter, sessionId: 'a_b' });
    expect(exporter.isCrashed('a_b')).toBe(false);
    await untouched.end();
    expect(readTrace(dir, 'a_b').status).toBe('completed');
  });
});

describe('never throws into its host', () => {
  it('keeps working in memory with an unwritable data dir and reports to onError', async () => {
    const parent = tempDir();
    const dir = join(parent, 'ro');
    mkdirSync(dir);
    writeFileSync(join(dir, 'sessions'), 'a file where a folder should be');
    chmodSync(dir, 0o500);
    const errors: unknown[] = [];
    const tracer = createSessionTracer({ dir, sessionId: 'x', onError: (e) => errors.push(e) });
    expect(() => {
      tracer.userPrompt('still works');
      recordToolCalls(tracer, 0, 2);
      tracer.flushSync('crash');
    }).not.toThrow();
    await expect(tracer.flush()).resolves.toBeUndefined();
    await expect(tracer.end()).resolves.toBeUndefined();
    expect(errors.length).toBeGreaterThan(0);
    chmodSync(dir, 0o700);
  });

  it('rejects a malformed event without throwing and without touching the journal', async () => {
    const dir = tempDir();
    const errors: unknown[] = [];
    const tracer = createSessionTracer({ dir, sessionId: 'bad', onError: (e) => errors.push(e) });
    const before = readFileSync(new SessionStore(dir).journalPath('bad'), 'utf8');
    tracer.record({ type: 'tool.start' } as never);
    expect(String(errors[0])).toMatch(/key must be a string/);
    expect(readFileSync(new SessionStore(dir).journalPath('bad'), 'utf8')).toBe(before);
    await tracer.end();
  });
});

describe('OpenTelemetry SpanExporter', () => {
  it('spans from a real TracerProvider become a valid trace.json', async () => {
    const dir = tempDir();
    const exporter = new FileExporter({ dir });
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const tracer = provider.getTracer('my-agent');
    const root = tracer.startSpan('invoke_agent my-agent', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'my-agent', 'gen_ai.conversation.id': 'conv-1' } });
    const ctx = trace.setSpan(context.active(), root);
    const chat = tracer.startSpan('chat gpt-5', { attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-5', 'gen_ai.usage.input_tokens': 120, 'gen_ai.usage.output_tokens': 30, 'gen_ai.usage.cache_read.input_tokens': 100, 'gen_ai.conversation.id': 'conv-1' } }, ctx);
    chat.end();
    const tool = tracer.startSpan('execute_tool search', { attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search', 'gen_ai.conversation.id': 'conv-1' } }, ctx);
    tool.setStatus({ code: SpanStatusCode.ERROR, message: 'no results' });
    tool.end();
    const other = tracer.startSpan('db.query', { attributes: { 'gen_ai.conversation.id': 'conv-1' } }, ctx);
    other.end();
    root.end();
    await provider.forceFlush();
    await provider.shutdown();

    const doc = new SessionStore(dir).load('conv-1')!;
    expect(doc.sessionId).toBe('conv-1');
    // The pipeline's own root is the session span: same id, its name, and the session ended with it.
    expect(doc.spans[0]).toMatchObject({ kind: 'session', name: 'invoke_agent my-agent', spanId: root.spanContext().spanId, parentSpanId: null });
    expect(doc.status).toBe('completed');
    expect(doc.endTime).toBeDefined();
    const byName = new Map(doc.spans.map((s) => [s.name, s]));
    expect(byName.get('chat gpt-5')).toMatchObject({ kind: 'generation', parentSpanId: root.spanContext().spanId, spanId: chat.spanContext().spanId });
    expect(byName.get('execute_tool search')).toMatchObject({ kind: 'tool', status: 'error', statusMessage: 'no results' });
    expect(byName.get('db.query')).toMatchObject({ parentSpanId: root.spanContext().spanId }); // kept as it came
    expect(doc.spans).toHaveLength(4);
    expect(doc.models).toEqual(['gpt-5']);
    expect(doc.summary).toMatchObject({ turns: 0, generations: 1, toolCalls: 1, toolErrors: 1, subagents: 0 });
    expect(doc.summary.tokens).toMatchObject({ input: 20, output: 30, cacheRead: 100 });
    expect(doc.agent.name).toBe('my-agent');
    const ids = new Set(doc.spans.map((s) => s.spanId));
    for (const s of doc.spans) if (s.parentSpanId) expect(ids.has(s.parentSpanId)).toBe(true);
  });

  it('keeps a trace valid while the root is still open, and attaches children when it arrives', async () => {
    const dir = tempDir();
    const exporter = new FileExporter({ dir });
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const tracer = provider.getTracer('my-agent');
    const root = tracer.startSpan('invoke_agent helper', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'session.id': 'open-root' } });
    const ctx = trace.setSpan(context.active(), root);
    tracer.startSpan('chat m', { attributes: { 'gen_ai.operation.name': 'chat', 'session.id': 'open-root' } }, ctx).end();
    await provider.forceFlush();
    const running = new SessionStore(dir).load('open-root')!;
    expect(running.status).toBe('running');
    const ids = new Set(running.spans.map((s) => s.spanId));
    for (const s of running.spans) if (s.parentSpanId) expect(ids.has(s.parentSpanId)).toBe(true);
    root.end();
    await provider.forceFlush();
    const done = new SessionStore(dir).load('open-root')!;
    expect(done.status).toBe('completed');
    expect(done.spans.map((s) => [s.kind, s.parentSpanId])).toEqual([['session', null], ['generation', root.spanContext().spanId]]);
    await provider.shutdown();
  });
});
