import { statSync } from 'node:fs';
import { DEFAULT_RETRY_BUDGET_MS, displayEndpoint, OtlpExportError, OtlpExporter } from '../../../exporters/otlp/exporter.js';
import { buildResource, msToNanos } from '../../../exporters/otlp/spans.js';
import { BACKGROUND_ENV, claimWaiter } from '../../../exporters/otlp/background.js';
import { createProgress, formatBytes } from '../export-progress.js';
import { exportSession, pendingSpans, planSession, type SessionExportResult } from '../../../exporters/otlp/session-export.js';
import { converterFor, readSessionSpans } from '../../../exporters/otlp/session-spans.js';
import { resolveOtlpDraft, type OtlpDraftSettings } from '../../../exporters/otlp/settings.js';
import { version } from '../../version.js';
import { readWatermark, watermarkPath } from '../../../exporters/otlp/watermark.js';
import { defaultConfigPath } from '../../store/paths.js';
import { logError } from '../../store/log.js';
import { summaryPath } from '../../store/summary.js';
import { SessionTooLargeError, TraceFileError } from '../../store/trace-file.js';
import { cliContext, type CliContext } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { paint, plain, useColor } from '../format.js';

export interface ExportCommandOptions {
  dir?: string;
  all?: boolean;
  endpoint?: string;
  protocol?: string;
  header?: string[];
  timeout?: string;
  compression?: string;
  traceMode?: string;
  dryRun?: boolean;
  json?: boolean;
}

/**
 * `agent-trace export [SESSION... | --all]`: sends every finished span not yet acknowledged by the endpoint,
 * session by session, each under its export lock (see exporters/otlp/session-export.ts). Prints a progress bar on
 * a TTY and a one-line summary; `--dry-run` prints what would be sent. With AGENT_TRACE_EXPORT_BACKGROUND=1
 * (the hook's detached export) it prints nothing and reports failures to the log.
 */
export async function runExport(sessions: string[], opts: ExportCommandOptions): Promise<void> {
  const background = process.env[BACKGROUND_ENV] === '1';
  let ctx: CliContext | undefined;
  try {
    ctx = cliContext(opts);
    await exportCommand(ctx, sessions, opts, background);
  } catch (error) {
    // The background export's stderr goes nowhere: its failures go to the log (and its exit status says so).
    if (background && ctx) logError(ctx.dir, `background export (${sessions.join(' ') || 'all'})`, error);
    throw error;
  }
}

/** Export settings; a dry run goes on without an endpoint (it says none is configured). */
function settingsFrom(ctx: CliContext, opts: ExportCommandOptions): OtlpDraftSettings {
  // A bad flag is a usage error (2), a bad variable or config value is not (1): see errors.ts.
  const settings = resolveOtlpDraft({
      flags: {
        endpoint: opts.endpoint,
        protocol: opts.protocol,
        headers: opts.header,
        timeoutMs: opts.timeout,
        compression: opts.compression,
        traceMode: opts.traceMode,
      },
      env: process.env,
      config: ctx.config.otlp,
      configPath: defaultConfigPath(),
  });
  if (settings.url === undefined && !opts.dryRun) throw new CliError(`no OTLP endpoint: ${endpointHowTo()}`);
  return settings;
}

function endpointHowTo(): string {
  return `pass --endpoint URL (e.g. http://localhost:4318), set OTEL_EXPORTER_OTLP_ENDPOINT, or set otlp.endpoint in ${defaultConfigPath()}`;
}

/** Said once on stderr when not on a TTY (no progress bar there) and a retry comes after a noticeable wait. */
const QUIET_RETRY_MS = 2_000;

function sessionIds(ctx: CliContext, sessions: string[], all: boolean | undefined): string[] {
  // What the hooks spooled and the transcripts added is in the trace before anything is sent.
  ctx.store.reconcile({ sessions: [] });
  const ids = all ? allSessionIds(ctx) : namedSessionIds(ctx, sessions);
  ctx.store.reconcile({ sessions: ids });
  return ids;
}

/** Oldest first, so a collector receives sessions in the order they happened. */
function allSessionIds(ctx: CliContext): string[] {
  return ctx.store
    .sessionIds()
    .map((id) => ({ id, t: ctx.store.lastActivity(id) }))
    .sort((a, b) => a.t - b.t || a.id.localeCompare(b.id))
    .map((x) => x.id);
}

function namedSessionIds(ctx: CliContext, sessions: string[]): string[] {
  const ids: string[] = [];
  for (const query of sessions) {
    // An exact id needs no directory scan (resolve reads every session's trace to match prefixes).
    const id = ctx.store.hasSession(query) ? query : ctx.store.resolve(query);
    if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

async function exportCommand(ctx: CliContext, sessions: string[], opts: ExportCommandOptions, background: boolean): Promise<void> {
  if (opts.all && sessions.length) throw usageError('give session ids or --all, not both');
  if (!opts.all && sessions.length === 0) throw usageError('name the sessions to export, or use --all (see `agent-trace list`)');
  const settings = settingsFrom(ctx, opts);
  const ids = sessionIds(ctx, sessions, opts.all);
  const resource = buildResource({
    serviceName: settings.serviceName,
    serviceVersion: version,
    attributes: settings.resourceAttributes,
  });
  if (opts.dryRun) {
    dryRun(ctx, ids, settings, resource, opts.json === true);
    return;
  }
  const url = settings.url!;

  const bar = !background && !opts.json && Boolean(process.stderr.isTTY);
  const progress = createProgress(process.stderr, bar);
  let toldRetry = false;
  const exporter = new OtlpExporter({
    url,
    protocol: settings.protocol,
    headers: settings.headers,
    timeoutMs: settings.timeoutMs,
    compression: settings.compression,
    retries: settings.retries,
    backoffMs: settings.backoffMs,
    tls: settings.tls,
    onRetry: ({ attempt, delayMs, reason, elapsedMs }) => {
      progress.note(`${reason}; retry ${attempt - 1} in ${(delayMs / 1000).toFixed(1)}s`);
      if (bar || background || toldRetry || elapsedMs + delayMs < QUIET_RETRY_MS) return;
      toldRetry = true;
      process.stderr.write(`agent-trace: ${displayEndpoint(url)}: ${reason}; retrying, for at most ${DEFAULT_RETRY_BUDGET_MS / 1000} s in all\n`);
    },
  });
  const started = performance.now();
  const results: SessionExportResult[] = [];
  const skipped: string[] = [];
  let spans = 0;
  try {
    for (let i = 0; i < ids.length; i++) {
      const sessionId = ids[i]!;
      const folder = ctx.store.folder(sessionId);
      let releaseWaiter: (() => void) | undefined;
      if (background) {
        // Another background export already waits for this session's lock: it will send our spans too.
        releaseWaiter = claimWaiter(folder);
        if (!releaseWaiter) continue;
      }
      const done = alreadyExported(ctx, sessionId, exporter.endpoint);
      if (done) {
        // Nothing new since the last export: known from two small files, without reading a span.
        results.push(done);
        releaseWaiter?.();
        continue;
      }
      let sessionSpans = 0;
      let sessionDone = 0;
      const show = (): void =>
        progress.update({ session: i, sessions: ids.length, sessionSpans, sessionDone, spans, bytes: exporter.stats.bytesSent });
      try {
        const result = await exportSession({
          store: ctx.store,
          sessionId,
          exporter,
          resource,
          traceMode: settings.traceMode,
          lockWaitMs: background ? 120_000 : 300_000,
          onWait: () => progress.note(`waiting for another export of ${sessionId.slice(0, 8)}`),
          onLocked: () => releaseWaiter?.(),
          onPlan: (plan) => {
            sessionSpans = plan.pending;
            progress.note('');
            show();
          },
          onProgress: (n) => {
            sessionDone += n;
            spans += n;
            show();
          },
        });
        results.push(result);
      } catch (error) {
        // One session that cannot be read never stops the export of the others: it is named and skipped.
        if (!(error instanceof SessionTooLargeError || error instanceof TraceFileError)) throw error;
        skipped.push(`${sessionId}: ${error.message}`);
        if (background) logError(ctx.dir, `export of ${sessionId}`, error);
        else process.stderr.write(`agent-trace: skipped session ${sessionId}: ${error.message}\n`);
      } finally {
        releaseWaiter?.();
      }
    }
  } catch (error) {
    progress.done();
    await exporter.shutdown().catch(() => undefined);
    if (error instanceof OtlpExportError) {
      const sent = spans > 0 ? ` (${spans} spans were sent and recorded before the failure)` : '';
      throw new CliError(`${error.message}${sent}; nothing is lost: the next \`agent-trace export\` sends what is left`);
    }
    throw error;
  }
  progress.done();
  const bytes = exporter.stats.bytesSent;
  await exporter.shutdown().catch(() => undefined);
  const seconds = (performance.now() - started) / 1000;
  if (background) return;
  const alreadySent = results.reduce((n, r) => n + r.alreadySent, 0);
  const open = results.reduce((n, r) => n + r.open, 0);
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          endpoint: exporter.endpoint,
          protocol: settings.protocol,
          traceMode: settings.traceMode,
          sessions: results.length,
          spans,
          bytes,
          seconds: Math.round(seconds * 1000) / 1000,
          alreadySent,
          open,
          results,
        },
        null,
        2,
      )}\n`,
    );
    return;
  }
  const color = useColor();
  const extra = [alreadySent ? `${alreadySent} already sent` : '', open ? `${open} still open, sent when they finish` : '']
    .filter(Boolean)
    .join(', ');
  const sessionsText = `${results.length} session${results.length === 1 ? '' : 's'}`;
  if (spans === 0) {
    process.stdout.write(`nothing new to export to ${exporter.endpoint} (${sessionsText}${extra ? `, ${extra}` : ''})\n`);
    return;
  }
  process.stdout.write(
    `${paint('exported', 'green', color)} ${spans} span${spans === 1 ? '' : 's'} from ${sessionsText}, ` +
      `${formatBytes(bytes)} in ${seconds.toFixed(2)}s to ${exporter.endpoint}${extra ? ` (${extra})` : ''}\n`,
  );
}

/**
 * A finished session every span of which this endpoint acknowledged after the trace last changed (the
 * watermark is newer than summary.json, which is rewritten with every trace.json): its result, else undefined.
 */
function alreadyExported(ctx: CliContext, sessionId: string, endpoint: string): SessionExportResult | undefined {
  const summary = ctx.store.currentSummary(sessionId);
  if (!summary || summary.spans === undefined || summary.header.status === 'running') return undefined;
  const folder = ctx.store.folder(sessionId);
  try {
    if (statSync(watermarkPath(folder)).mtimeMs <= statSync(summaryPath(folder)).mtimeMs) return undefined;
  } catch {
    return undefined;
  }
  const watermark = readWatermark(folder, endpoint);
  if (watermark.torn || watermark.sent.size < summary.spans) return undefined;
  return { sessionId, sent: 0, alreadySent: summary.spans, open: 0, total: summary.spans };
}

function dryRun(ctx: CliContext, ids: string[], settings: OtlpDraftSettings, resource: ReturnType<typeof buildResource>, json: boolean): void {
  // Without an endpoint nothing was ever acknowledged anywhere: every finished span would be sent.
  const endpoint = settings.url === undefined ? undefined : displayEndpoint(settings.url);
  const sessions = [];
  let total = 0;
  for (const sessionId of ids) {
    let source;
    let header;
    try {
      source = readSessionSpans(ctx.store, sessionId);
      header = ctx.store.summary(sessionId)?.header;
    } catch (error) {
      if (!(error instanceof TraceFileError)) throw error;
      process.stderr.write(`agent-trace: skipped session ${sessionId}: ${error.message}\n`);
      continue;
    }
    const watermark = endpoint === undefined ? { sent: new Set<string>(), torn: false } : readWatermark(ctx.store.folder(sessionId), endpoint);
    const plan = planSession(source, sessionId, watermark);
    total += plan.pending;
    const converter = source ? converterFor(source, { sessionId, resource, traceMode: settings.traceMode }) : undefined;
    sessions.push({
      sessionId,
      title: header?.title,
      status: header?.status,
      pending: plan.pending,
      alreadySent: plan.alreadySent,
      open: plan.open,
      spans: [...pendingSpans(plan)].map((s) => {
        const placement = converter!.placement(s);
        return {
          traceId: placement.traceId,
          spanId: s.spanId,
          parentSpanId: placement.parentSpanId,
          name: s.name,
          kind: s.kind,
          status: s.status,
          startTimeUnixNano: msToNanos(s.startTime).toString(),
          endTimeUnixNano: msToNanos(s.endTime!).toString(),
        };
      }),
    });
  }
  if (json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          dryRun: true,
          endpoint: endpoint ?? null,
          protocol: settings.protocol,
          traceMode: settings.traceMode,
          headers: Object.keys(settings.headers),
          resource: resource.attributes,
          spans: total,
          sessions,
        },
        null,
        2,
      )}\n`,
    );
    return;
  }
  const headerNames = Object.keys(settings.headers);
  const what = `${total} span${total === 1 ? '' : 's'} from ${sessions.length} session${sessions.length === 1 ? '' : 's'}`;
  const how = `(${settings.protocol}, one trace per ${settings.traceMode}${headerNames.length ? `, headers: ${headerNames.join(', ')}` : ''})`;
  const lines = [
    endpoint === undefined
      ? `dry run: no OTLP endpoint is configured; with one, would send ${what} ${how}. To set one: ${endpointHowTo()}`
      : `dry run: would send ${what} to ${endpoint} ${how}`,
  ];
  for (const s of sessions) {
    const notes = [s.alreadySent ? `${s.alreadySent} already sent` : '', s.open ? `${s.open} open` : ''].filter(Boolean).join(', ');
    lines.push(`${s.sessionId}  ${plain(s.title, 50)}  ${s.pending} to send${notes ? ` (${notes})` : ''}`);
    const shown = s.spans.slice(0, 20);
    for (const span of shown) lines.push(`  ${span.kind.padEnd(10)} ${span.spanId}  ${plain(span.name, 60)}`);
    if (s.spans.length > shown.length) lines.push(`  … and ${s.spans.length - shown.length} more (--json lists every span)`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
