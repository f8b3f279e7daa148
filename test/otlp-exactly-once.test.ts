import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OtlpExportError, OtlpExporter, type OtlpExporterOptions } from '../exporters/otlp/exporter.js';
import { buildResource } from '../exporters/otlp/spans.js';
import { exportSession } from '../exporters/otlp/session-export.js';
import { resolveOtlpSettings } from '../exporters/otlp/settings.js';
import { readWatermark, WATERMARK_FILE } from '../exporters/otlp/watermark.js';
import { SessionStore } from '../src/store/session-store.js';
import { startOtlpReceiver, useOtlpReceiver, type Behavior } from './helpers/otlp-receiver.js';
import { cleanEnv, cli, manyToolEvents, richSessionEvents, tempDir, writeConfig, writeSession } from './helpers/otlp-session.js';

const receiver = useOtlpReceiver();

const resource = buildResource({ serviceVersion: 'test' });

function exporterFor(options: Partial<OtlpExporterOptions> = {}): OtlpExporter {
  // Quick retries: a 10 ms backoff.
  return new OtlpExporter({ url: receiver.url, timeoutMs: 400, retries: 4, backoffMs: 10, ...options });
}

async function run(store: SessionStore, sessionId: string, exporter: OtlpExporter, extra: { batchSpans?: number; concurrency?: number } = {}) {
  return exportSession({ store, sessionId, exporter, resource, ...extra });
}

/** Connection failures: two quick retries, ~250 ms then ~500 ms (±20 %), however long the timeout and budget. */
function expectQuickRetries(waits: number[]): void {
  expect(waits).toHaveLength(2);
  expect(waits[0]).toBeGreaterThanOrEqual(200);
  expect(waits[0]).toBeLessThanOrEqual(300);
  expect(waits[1]).toBeGreaterThanOrEqual(400);
  expect(waits[1]).toBeLessThanOrEqual(600);
}

function uniqueIds(): Set<string> {
  return new Set(receiver.spans.map((s) => s.spanId));
}

describe('exactly once', () => {
  it('a second export sends nothing new', async () => {
    const dir = tempDir();
    const { store, doc } = writeSession(dir, 'twice', richSessionEvents('twice'));
    const exporter = exporterFor();
    const first = await run(store, 'twice', exporter);
    const second = await run(store, 'twice', exporter);
    await exporter.shutdown();
    expect(first.sent).toBe(doc.spans.length);
    expect(second).toMatchObject({ sent: 0, alreadySent: doc.spans.length, open: 0 });
    expect(receiver.spans).toHaveLength(doc.spans.length);
    expect(receiver.requests).toHaveLength(1);
    expect(readWatermark(store.folder('twice'), exporter.endpoint).sent.size).toBe(doc.spans.length);
  });

  it.each<[string, Behavior, number]>([
    ['refuses the first connections', 'refuse', 2],
    ['drops the connection after reading the request', 'drop', 2],
    ['times out', 'timeout', 1],
    ['answers 503 (the SDK retry status)', 503, 2],
    ['answers 500', 500, 2],
    ['answers 429', 429, 1],
  ])('a collector that %s: after retries every span arrived once', async (_label, behavior, count) => {
    const dir = tempDir();
    const { store, doc } = writeSession(dir, 'flaky', richSessionEvents('flaky'));
    receiver.failNext(count, behavior);
    const retries: string[] = [];
    const exporter = exporterFor({ onRetry: (r) => retries.push(r.reason) });
    const result = await run(store, 'flaky', exporter);
    await exporter.shutdown();
    expect(result.sent).toBe(doc.spans.length);
    expect(receiver.spans).toHaveLength(doc.spans.length);
    expect(receiver.duplicates()).toEqual([]);
    expect(receiver.requests.length).toBeGreaterThan(count);
    expect(retries.length).toBeGreaterThanOrEqual(1);
  });

  it('a collector that keeps failing: the export fails naming the endpoint, the watermark stays, the next export sends everything once', async () => {
    const dir = tempDir();
    const { store, doc } = writeSession(dir, 'down', richSessionEvents('down'));
    receiver.setDefault(503);
    const exporter = exporterFor({ retries: 2 });
    const error = await run(store, 'down', exporter).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OtlpExportError);
    expect((error as Error).message).toContain(receiver.url);
    expect((error as Error).message).toMatch(/HTTP 503/);
    expect((error as Error).message).not.toContain('\n');
    expect(readWatermark(store.folder('down'), exporter.endpoint).sent.size).toBe(0);
    expect(receiver.spans).toHaveLength(0);

    receiver.setDefault('ok');
    const result = await run(store, 'down', exporter);
    await exporter.shutdown();
    expect(result.sent).toBe(doc.spans.length);
    expect(receiver.spans).toHaveLength(doc.spans.length);
    expect(receiver.duplicates()).toEqual([]);
  });

  it('a failure half-way keeps what was acknowledged; the next export sends only the rest', async () => {
    const dir = tempDir();
    const n = 600;
    const { store, doc } = writeSession(dir, 'half', manyToolEvents('half', n));
    receiver.failNext(3, 'ok').setDefault(500);
    const exporter = exporterFor({ retries: 1 });
    const error = await run(store, 'half', exporter, { batchSpans: 50, concurrency: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OtlpExportError);
    expect(receiver.spans).toHaveLength(150);
    expect(readWatermark(store.folder('half'), exporter.endpoint).sent.size).toBe(150);

    receiver.setDefault('ok');
    const result = await run(store, 'half', exporter, { batchSpans: 50 });
    await exporter.shutdown();
    expect(result.sent).toBe(doc.spans.length - 150);
    expect(uniqueIds().size).toBe(doc.spans.length);
    expect(receiver.spans).toHaveLength(doc.spans.length);
  });

  it('credentials refused (401): no pointless retries, a message that says what to fix', async () => {
    const dir = tempDir();
    const { store } = writeSession(dir, 'auth', richSessionEvents('auth'));
    receiver.setDefault(401);
    const exporter = exporterFor();
    const error = (await run(store, 'auth', exporter).catch((e: unknown) => e)) as OtlpExportError;
    await exporter.shutdown();
    expect(error).toBeInstanceOf(OtlpExportError);
    expect(error.status).toBe(401);
    expect(error.message).toMatch(/credentials/);
    expect(error.message).toMatch(/--header|OTEL_EXPORTER_OTLP_HEADERS/);
    expect(receiver.requests).toHaveLength(1);
  });

  it('an unreachable collector: connection refused, two quick retries, then a clear error within about a second', async () => {
    const dir = tempDir();
    const { store } = writeSession(dir, 'gone', richSessionEvents('gone'));
    const closed = await startOtlpReceiver();
    const url = closed.url;
    await closed.close();
    // The defaults (10 s timeout, 3 retries, 500 ms backoff): a refused connection gets the quick retries only.
    const waits: number[] = [];
    const exporter = new OtlpExporter({ url, onRetry: (r) => waits.push(r.delayMs) });
    const error = (await run(store, 'gone', exporter).catch((e: unknown) => e)) as OtlpExportError;
    await exporter.shutdown();
    expect(error).toBeInstanceOf(OtlpExportError);
    expect(error.message).toContain(url);
    expect(error.message).toMatch(/: connection refused \(3 attempts in [0-9.]+ s\); start the collector, or fix the endpoint \(--endpoint/);
    expect(error.attempts).toBe(3);
    expectQuickRetries(waits);
    expect(existsSync(join(store.folder('gone'), WATERMARK_FILE))).toBe(false);
  });

  it('an unknown host: no long retries, the message names the host', async () => {
    const dir = tempDir();
    const { store } = writeSession(dir, 'nohost', richSessionEvents('nohost'));
    // .invalid never resolves (RFC 6761); five retries allowed, but a connection failure gets two quick ones.
    const waits: number[] = [];
    const exporter = new OtlpExporter({ url: 'http://agent-trace-test.invalid:4318/v1/traces', retries: 5, onRetry: (r) => waits.push(r.delayMs) });
    const error = (await run(store, 'nohost', exporter).catch((e: unknown) => e)) as OtlpExportError;
    await exporter.shutdown();
    expect(error).toBeInstanceOf(OtlpExportError);
    expect(error.message).toMatch(/unknown host "agent-trace-test\.invalid" \((ENOTFOUND|EAI_AGAIN)\) \(3 attempts in [0-9.]+ s\); check the host name/);
    expect(error.attempts).toBe(3);
    expectQuickRetries(waits);
  });

  it('attempts are counted truthfully: each one is one request, and the collector\'s explanation is quoted', async () => {
    const dir = tempDir();
    const { store } = writeSession(dir, 'counted', richSessionEvents('counted'));
    receiver.setDefault(503);
    // A long timeout: a transport that retried on its own would repeat each attempt within it.
    const exporter = exporterFor({ timeoutMs: 5_000, retries: 2 });
    const error = (await run(store, 'counted', exporter).catch((e: unknown) => e)) as OtlpExportError;
    await exporter.shutdown();
    expect(error.message).toMatch(/HTTP 503: receiver told to answer 503\) \(3 attempts in [0-9.]+ s\)/);
    expect(error.attempts).toBe(3);
    expect(receiver.requests).toHaveLength(3);
  });

  it('a collector that never answers: retried, but never past the retry budget', async () => {
    const dir = tempDir();
    const { store } = writeSession(dir, 'budget', richSessionEvents('budget'));
    receiver.setDefault('timeout');
    const retried: Array<{ elapsedMs: number; delayMs: number }> = [];
    const exporter = exporterFor({ timeoutMs: 1_000, retries: 5, retryBudgetMs: 2_500, onRetry: (r) => retried.push(r) });
    const error = (await run(store, 'budget', exporter).catch((e: unknown) => e)) as OtlpExportError;
    await exporter.shutdown();
    expect(error.message).toMatch(/no answer within 1000 ms \(2 attempts in [0-9.]+ s\); check the collector is reachable, or raise --timeout/);
    // Five retries were allowed, but after the first timed-out attempt less than the timeout was left of the
    // budget: one retry, cut to what was left, then no more.
    expect(receiver.requests).toHaveLength(2);
    expect(retried).toHaveLength(1);
  });

  it('concurrent requests each get their own answer: one collector answer is never blamed on another request', async () => {
    // The first request is answered late with a 503 (retry), the second at once with a 400 (no retry can help).
    const answers: number[] = [];
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const n = answers.push(0);
        if (n === 1) setTimeout(() => res.writeHead(503).end(), 150);
        else if (n === 2) res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request body');
        else res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
      const exporter = new OtlpExporter({ url, backoffMs: 10 });
      const { SpanConverter } = await import('../exporters/otlp/spans.js');
      const doc = writeSession(tempDir(), 'conc', richSessionEvents('conc')).doc;
      const converter = new SpanConverter({ sessionId: 'conc', traceId: doc.traceId, resource });
      const [a, b] = [doc.spans.slice(0, 2), doc.spans.slice(2, 4)].map((spans) => spans.map((s) => converter.convert(s)));
      const first = exporter.send(a!);
      await new Promise<void>((r) => server.once('request', () => r()));
      const second = exporter.send(b!).catch((e: unknown) => e as OtlpExportError);
      await expect(first).resolves.toBeUndefined(); // its 503 was retried, whatever the other request got
      const error = await second;
      expect(error).toBeInstanceOf(OtlpExportError);
      expect(error).toMatchObject({ status: 400, attempts: 1, retryable: false });
      expect((error as OtlpExportError).message).toMatch(/could not read the request \(HTTP 400: bad request body\)/);
      expect(answers).toHaveLength(3);
      await exporter.shutdown();
    } finally {
      server.close();
    }
  });

  it('https: a CA from OTEL_EXPORTER_OTLP_CERTIFICATE is trusted; without it the certificate error fails at once', async () => {
    const dir = tempDir();
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    let requests = 0;
    const server = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
      req.resume();
      req.on('end', () => ((requests += 1), res.writeHead(200).end()));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
      const { store, doc } = writeSession(dir, 'tls', richSessionEvents('tls'));
      const settings = resolveOtlpSettings({ flags: { endpoint: url }, env: { OTEL_EXPORTER_OTLP_CERTIFICATE: cert } })!;
      expect(settings.tls).toEqual({ certificate: cert });
      const trusting = new OtlpExporter({ url, tls: settings.tls });
      expect((await run(store, 'tls', trusting)).sent).toBe(doc.spans.length);
      await trusting.shutdown();

      const other = writeSession(dir, 'tls-2', richSessionEvents('tls-2'));
      const plain = new OtlpExporter({ url, backoffMs: 10 });
      const error = (await run(other.store, 'tls-2', plain).catch((e: unknown) => e)) as OtlpExportError;
      await plain.shutdown();
      expect(error).toMatchObject({ attempts: 1, retryable: false });
      expect(error.message).toMatch(/self[- ]signed certificate.*; check the TLS certificate \(OTEL_EXPORTER_OTLP_CERTIFICATE\)/i);
      expect(requests).toBe(1);
    } finally {
      server.close();
    }
  });

  it('a watermark that cannot be read stops the export instead of sending everything again', async () => {
    const dir = tempDir();
    const { store } = writeSession(dir, 'unreadable', richSessionEvents('unreadable'));
    mkdirSync(join(store.folder('unreadable'), WATERMARK_FILE)); // not a file: reading it fails (EISDIR)
    const exporter = exporterFor();
    await expect(run(store, 'unreadable', exporter)).rejects.toThrow(/EISDIR/);
    await exporter.shutdown();
    expect(receiver.requests).toHaveLength(0);
  });

  it('Retry-After is honoured, and one longer than the budget fails at once saying so', async () => {
    const dir = tempDir();
    const { store, doc } = writeSession(dir, 'after', richSessionEvents('after'));
    const answers: Array<[number, string | undefined]> = [
      [429, '1'],
      [200, undefined],
      [503, '60'],
    ];
    const times: number[] = [];
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        times.push(performance.now());
        const [status, after] = answers.shift() ?? [200, undefined];
        res.writeHead(status, after ? { 'retry-after': after } : {}).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
      const waits: number[] = [];
      const exporter = new OtlpExporter({ url, timeoutMs: 2_000, backoffMs: 10, onRetry: (r) => waits.push(r.delayMs) });
      const ok = await run(store, 'after', exporter);
      expect(ok.sent).toBe(doc.spans.length);
      expect(waits).toEqual([1000]); // as asked, not the 10 ms backoff
      expect(times).toHaveLength(2);
      const { store: other } = writeSession(dir, 'after-2', richSessionEvents('after-2'));
      const error = (await run(other, 'after-2', exporter).catch((e: unknown) => e)) as OtlpExportError;
      expect(waits).toEqual([1000]); // no second wait: 60 s is beyond the budget
      expect(times).toHaveLength(3);
      expect(error.message).toMatch(/HTTP 503\) \(asked to retry after 60 s\); check the collector's health/);
      await exporter.shutdown();
    } finally {
      server.close();
    }
  });

  it('open spans wait; they go out once they finish, the others are not repeated', async () => {
    const dir = tempDir();
    const sessionId = 'growing';
    const all = richSessionEvents(sessionId, { end: false });
    // Stop in the middle of turn 1: the turn, the Task tool and the subagent are still open.
    const cut = all.findIndex((e) => e.type === 'tool.start' && (e as { key?: string }).key === 'toolu_grep');
    const store = new SessionStore(dir);
    store.append(all.slice(0, cut + 1) as unknown[]);
    const exporter = exporterFor();
    const first = await run(store, sessionId, exporter);
    const partial = store.load(sessionId)!;
    const openIds = partial.spans.filter((s) => s.endTime === undefined).map((s) => s.spanId);
    expect(openIds.length).toBeGreaterThanOrEqual(4); // root, turn, Task, subagent, Grep
    expect(first.open).toBe(openIds.length);
    expect(first.sent).toBe(partial.spans.length - openIds.length);
    for (const id of openIds) expect(uniqueIds().has(id)).toBe(false);

    store.append(all.slice(cut + 1) as unknown[]);
    store.append([{ type: 'session.end', sessionId, time: all.at(-1)!.time! + 1000, status: 'completed' }]);
    const second = await run(store, sessionId, exporter);
    await exporter.shutdown();
    const final = store.load(sessionId)!;
    expect(second.sent).toBe(final.spans.length - first.sent);
    expect(receiver.spans).toHaveLength(final.spans.length);
    expect(receiver.duplicates()).toEqual([]);
    const root = receiver.spans.find((s) => s.parentSpanId === null)!;
    expect(root.status.code).toBe(1);
  });

  it('two exports of one session at the same time (same process) never duplicate', async () => {
    const dir = tempDir();
    const { store, doc } = writeSession(dir, 'racing', manyToolEvents('racing', 1500));
    receiver.latencyMs = 20;
    const a = exporterFor({ timeoutMs: 10_000 });
    const b = exporterFor({ timeoutMs: 10_000 });
    const [ra, rb] = await Promise.all([run(store, 'racing', a, { batchSpans: 100 }), run(store, 'racing', b, { batchSpans: 100 })]);
    await Promise.all([a.shutdown(), b.shutdown()]);
    expect(ra.sent + rb.sent).toBe(doc.spans.length);
    expect(Math.min(ra.sent, rb.sent)).toBe(0);
    expect(receiver.spans).toHaveLength(doc.spans.length);
    expect(receiver.duplicates()).toEqual([]);
  });

  it('a torn watermark line (crash during the append) is ignored and never glued to the next one', async () => {
    const dir = tempDir();
    const { store, doc } = writeSession(dir, 'torn', richSessionEvents('torn'));
    const { appendFileSync } = await import('node:fs');
    appendFileSync(join(store.folder('torn'), WATERMARK_FILE), `{"v":1,"endpoint":"${receiver.url}","spans":["abc`);
    const exporter = exporterFor();
    await run(store, 'torn', exporter);
    expect(receiver.spans).toHaveLength(doc.spans.length);
    const again = await run(store, 'torn', exporter);
    await exporter.shutdown();
    expect(again.sent).toBe(0);
    const lines = readFileSync(join(store.folder('torn'), WATERMARK_FILE), 'utf8').split('\n');
    expect(lines.filter((l) => l.startsWith('{"v":1') && l.endsWith('}'))).toHaveLength(1);
  });

  it('watermarks are per endpoint: a second collector gets everything too', async () => {
    const dir = tempDir();
    const { store, doc } = writeSession(dir, 'two-backends', richSessionEvents('two-backends'));
    const other = await startOtlpReceiver();
    try {
      const a = exporterFor();
      const b = new OtlpExporter({ url: other.url, timeoutMs: 2000 });
      await run(store, 'two-backends', a);
      await run(store, 'two-backends', b);
      expect((await run(store, 'two-backends', b)).sent).toBe(0);
      await Promise.all([a.shutdown(), b.shutdown()]);
      expect(receiver.spans).toHaveLength(doc.spans.length);
      expect(other.spans).toHaveLength(doc.spans.length);
    } finally {
      await other.close();
    }
  });
});

describe('exactly once across processes (the built CLI)', () => {
  it('two concurrent `agent-trace export` processes of one session: no duplicates', async () => {
    const dir = tempDir();
    const config = writeConfig(dir);
    const { doc } = writeSession(dir, 'two-procs', manyToolEvents('two-procs', 3000));
    receiver.latencyMs = 15;
    const env = cleanEnv({ AGENT_TRACE_CONFIG: config });
    const args = ['export', 'two-procs', '--dir', dir, '--endpoint', receiver.baseUrl, '--json'];
    const [a, b] = await Promise.all([cli(args, { env }), cli(args, { env })]);
    expect(a.stderr).toBe('');
    expect(b.stderr).toBe('');
    expect([a.code, b.code]).toEqual([0, 0]);
    const ra = JSON.parse(a.stdout) as { spans: number };
    const rb = JSON.parse(b.stdout) as { spans: number };
    expect(ra.spans + rb.spans).toBe(doc.spans.length);
    expect(receiver.spans).toHaveLength(doc.spans.length);
    expect(receiver.duplicates()).toEqual([]);
  });

  it('a refusing collector: exit 1, one line naming the endpoint and the fix; a second export sends every span once', async () => {
    const dir = tempDir();
    const config = writeConfig(dir);
    const { doc } = writeSession(dir, 'cli-down', richSessionEvents('cli-down'));
    const env = cleanEnv({ AGENT_TRACE_CONFIG: config, AGENT_TRACE_EXPORT_RETRIES: '1' });
    receiver.setDefault('refuse');
    const failed = await cli(['export', 'cli-down', '--dir', dir, '--endpoint', receiver.baseUrl, '--timeout', '300'], { env });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe('');
    const lines = failed.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(receiver.url);
    expect(lines[0]).toMatch(/agent-trace export/);
    expect(receiver.spans).toHaveLength(0);

    receiver.setDefault('ok');
    const ok = await cli(['export', 'cli-down', '--dir', dir, '--endpoint', receiver.baseUrl], { env });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`^exported ${doc.spans.length} spans from 1 session, .* in [0-9.]+s to ${receiver.url.replace(/[.]/g, '\\.')}\\n$`));
    const again = await cli(['export', 'cli-down', '--dir', dir, '--endpoint', receiver.baseUrl], { env });
    expect(again.stdout).toMatch(/^nothing new to export/);
    expect(receiver.spans).toHaveLength(doc.spans.length);
    expect(receiver.duplicates()).toEqual([]);
  });
});
