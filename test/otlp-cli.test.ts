import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createProgress } from '../src/cli/export-progress.js';
import { SessionStore } from '../src/store/session-store.js';
import { startOtlpReceiver, useOtlpReceiver } from './helpers/otlp-receiver.js';
import { cleanEnv, cli, manyToolEvents, repoRoot, richSessionEvents, tempDir, writeConfig, writeSession } from './helpers/otlp-session.js';

const receiver = useOtlpReceiver();

describe('agent-trace export (CLI)', () => {
  it('--dry-run prints what would be sent and sends nothing', async () => {
    const dir = tempDir();
    const { doc } = writeSession(dir, 'dry-session', richSessionEvents('dry-session'));
    const env = cleanEnv({ AGENT_TRACE_CONFIG: writeConfig(dir) });
    const text = await cli(['export', 'dry', '--dir', dir, '--endpoint', receiver.baseUrl, '--dry-run', '--header', 'Authorization=Bearer s3cret'], { env });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`dry run: would send ${doc.spans.length} spans from 1 session to ${receiver.url} (http/protobuf, one trace per session, headers: Authorization)`);
    expect(text.stdout).toContain('invoke_agent claude-code');
    expect(text.stdout).toContain('execute_tool Bash');
    expect(text.stdout).not.toContain('s3cret');
    const json = await cli(['export', 'dry-session', '--dir', dir, '--endpoint', receiver.baseUrl, '--dry-run', '--json', '--trace-mode', 'turn'], { env });
    const plan = JSON.parse(json.stdout) as {
      dryRun: boolean;
      traceMode: string;
      spans: number;
      resource: Record<string, unknown>;
      sessions: Array<{ pending: number; spans: Array<{ spanId: string; traceId: string; startTimeUnixNano: string }> }>;
    };
    expect(plan).toMatchObject({ dryRun: true, traceMode: 'turn', spans: doc.spans.length });
    expect(plan.resource['service.name']).toBe('agent-trace');
    expect(plan.sessions[0]!.spans.map((s) => s.spanId).sort()).toEqual(doc.spans.map((s) => s.spanId).sort());
    expect(new Set(plan.sessions[0]!.spans.map((s) => s.traceId)).size).toBe(3); // session + two turns
    expect(receiver.requests).toHaveLength(0);
  });

  it('--all exports every session; --json gives the summary (sessions, spans, bytes, seconds)', async () => {
    const dir = tempDir();
    const env = cleanEnv({ AGENT_TRACE_CONFIG: writeConfig(dir) });
    const store = new SessionStore(dir);
    store.append(richSessionEvents('all-a') as unknown[]);
    store.append(richSessionEvents('all-b', { end: false }) as unknown[]);
    store.append(manyToolEvents('all-c', 50) as unknown[]);
    const docs = ['all-a', 'all-b', 'all-c'].map((id) => store.load(id)!);
    const finished = docs.reduce((n, d) => n + d.spans.filter((s) => s.endTime !== undefined).length, 0);
    const open = docs.reduce((n, d) => n + d.spans.filter((s) => s.endTime === undefined).length, 0);
    const run = await cli(['export', '--all', '--dir', dir, '--endpoint', receiver.baseUrl, '--json'], { env });
    expect(run.stderr).toBe('');
    const summary = JSON.parse(run.stdout) as { sessions: number; spans: number; bytes: number; seconds: number; open: number; results: unknown[] };
    expect(summary).toMatchObject({ sessions: 3, spans: finished, open });
    expect(summary.bytes).toBeGreaterThan(1000);
    expect(summary.seconds).toBeGreaterThan(0);
    expect(receiver.spans).toHaveLength(finished);
    const text = await cli(['export', '--all', '--dir', dir, '--endpoint', receiver.baseUrl], { env });
    expect(text.stdout).toBe(`nothing new to export to ${receiver.url} (3 sessions, ${finished} already sent, ${open} still open, sent when they finish)\n`);
  });

  it('--dry-run without any endpoint still lists what would be sent, says none is configured, exits 0', async () => {
    const dir = tempDir();
    const { doc } = writeSession(dir, 'dry-none', richSessionEvents('dry-none'));
    const env = cleanEnv({ AGENT_TRACE_CONFIG: writeConfig(dir) });
    const text = await cli(['export', 'dry-none', '--dir', dir, '--dry-run'], { env });
    expect(text.code).toBe(0);
    expect(text.stderr).toBe('');
    expect(text.stdout).toContain(`dry run: no OTLP endpoint is configured; with one, would send ${doc.spans.length} spans from 1 session (http/protobuf, one trace per session)`);
    expect(text.stdout).toMatch(/pass --endpoint URL .*OTEL_EXPORTER_OTLP_ENDPOINT.*otlp\.endpoint/);
    expect(text.stdout).toContain('invoke_agent claude-code');
    const json = await cli(['export', 'dry-none', '--dir', dir, '--dry-run', '--json'], { env });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ dryRun: true, endpoint: null, spans: doc.spans.length });
    // without --dry-run it is still an error
    const real = await cli(['export', 'dry-none', '--dir', dir], { env });
    expect(real.code).toBe(1);
    expect(real.stderr).toMatch(/^agent-trace: no OTLP endpoint: pass --endpoint URL/);
  });

  it('an endpoint without http:// says to add it', async () => {
    const dir = tempDir();
    writeSession(dir, 'scheme', richSessionEvents('scheme'));
    const env = cleanEnv({ AGENT_TRACE_CONFIG: writeConfig(dir) });
    const run = await cli(['export', 'scheme', '--dir', dir, '--endpoint', 'localhost:4318'], { env });
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('--endpoint: "localhost:4318" has no scheme; the endpoint must start with http:// or https://, e.g. http://localhost:4318');
    const inConfig = cleanEnv({ AGENT_TRACE_CONFIG: writeConfig(dir, { otlp: { endpoint: 'collector.internal:4318/v1/traces' } }) });
    const fromConfig = await cli(['export', 'scheme', '--dir', dir], { env: inConfig });
    expect(fromConfig.code).toBe(1);
    expect(fromConfig.stderr).toContain('e.g. http://collector.internal:4318/v1/traces');
  });

  it('a dead endpoint fails after the quick retries with one line naming it and the fix (default backoff)', async () => {
    const dir = tempDir();
    writeSession(dir, 'dead', richSessionEvents('dead'));
    const closed = await startOtlpReceiver();
    const { url, baseUrl } = closed;
    await closed.close();
    const env = cleanEnv({ AGENT_TRACE_CONFIG: writeConfig(dir), AGENT_TRACE_EXPORT_BACKOFF_MS: undefined });
    const run = await cli(['export', 'dead', '--dir', dir, '--endpoint', baseUrl], { env });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(`^agent-trace: cannot export to ${url.replace(/[.]/g, '\\.')}: connection refused \\(3 attempts in [0-9.]+ s\\); start the collector, or fix the endpoint`),
    );
    expect(lines[0]).toMatch(/nothing is lost/);
    // How long the quick retries wait is proven on the exporter (otlp-exactly-once.test.ts).
  });

  it('without a TTY, a retry after a long wait is announced once on stderr', async () => {
    const dir = tempDir();
    const { doc } = writeSession(dir, 'slow', richSessionEvents('slow'));
    const env = cleanEnv({ AGENT_TRACE_CONFIG: writeConfig(dir) });
    receiver.failNext(1, 'timeout');
    const run = await cli(['export', 'slow', '--dir', dir, '--endpoint', receiver.baseUrl, '--timeout', '2100'], { env });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(`agent-trace: ${receiver.url}: no answer within 2100 ms; retrying, for at most 15 s in all\n`);
    expect(run.stdout).toMatch(/^exported /);
    expect(receiver.spans).toHaveLength(doc.spans.length);
  });

  it('the progress bar draws on a TTY only and is erased at the end', () => {
    const writes: string[] = [];
    const tty = { isTTY: true, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream;
    const bar = createProgress(tty);
    bar.update({ session: 0, sessions: 2, sessionSpans: 100, sessionDone: 50, spans: 50, bytes: 2048 });
    bar.note('connection refused; retry 1 in 0.5s');
    bar.done();
    expect(writes.join('')).toMatch(/exporting .* 25% · 50 spans · 2\.0 KB · session 1\/2 · [0-9.]+s/);
    expect(writes.join('')).toContain('retry 1 in 0.5s');
    expect(writes.at(-1)).toBe('\r\u001b[2K');
    const pipe: string[] = [];
    const notTty = createProgress({ isTTY: false, write: (s: string) => pipe.push(s) } as unknown as NodeJS.WriteStream);
    notTty.update({ session: 0, sessions: 1, sessionSpans: 1, sessionDone: 1, spans: 1, bytes: 1 });
    notTty.done();
    expect(pipe).toEqual([]);
  });
});

const transcripts = resolve(repoRoot, '../shared/fixtures/claude-code/transcripts');
const haveFixtures = existsSync(transcripts);

describe.skipIf(!haveFixtures)('real Claude Code sessions (../shared/fixtures) as the collector sees them', () => {
  it('imported transcripts export with trace.json ids, parents, token usage and tool content', async () => {
    const dir = tempDir();
    const env = cleanEnv({ AGENT_TRACE_CONFIG: writeConfig(dir) });
    const files = readdirSync(transcripts).filter((f) => f.endsWith('.jsonl'));
    const imported = await cli(['import', ...files.map((f) => join(transcripts, f)), '--dir', dir, '--json'], { env });
    expect(imported.code).toBe(0);
    const run = await cli(['export', '--all', '--dir', dir, '--endpoint', receiver.baseUrl, '--json'], { env });
    expect(run.stderr).toBe('');
    const store = new SessionStore(dir);
    let expected = 0;
    const got = new Map(receiver.spans.map((s) => [s.spanId, s]));
    for (const id of store.sessionIds()) {
      const doc = store.load(id)!;
      for (const span of doc.spans.filter((s) => s.endTime !== undefined)) {
        expected++;
        const r = got.get(span.spanId)!;
        expect(r, `${id} ${span.name}`).toBeDefined();
        expect(r.traceId).toBe(doc.traceId);
        expect(r.parentSpanId).toBe(span.parentSpanId);
        expect(r.attributes['session.id']).toBe(doc.sessionId);
      }
    }
    expect(receiver.spans).toHaveLength(expected);
    expect(receiver.duplicates()).toEqual([]);
    const llm = receiver.spans.filter((s) => s.attributes['openinference.span.kind'] === 'LLM');
    expect(llm.length).toBeGreaterThan(10);
    expect(llm.some((s) => typeof s.attributes['gen_ai.usage.input_tokens'] === 'number' && typeof s.attributes['llm.token_count.total'] === 'number')).toBe(true);
    const tools = receiver.spans.filter((s) => s.attributes['openinference.span.kind'] === 'TOOL');
    expect(tools.some((s) => typeof s.attributes['gen_ai.tool.call.arguments'] === 'string' && typeof s.attributes['input.value'] === 'string')).toBe(true);
    expect(tools.some((s) => s.status.code === 2)).toBe(true);
  });
});
