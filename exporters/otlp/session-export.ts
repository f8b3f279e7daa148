import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { OtlpExporter } from './exporter.js';
import { estimateSpanBytes, type TraceMode } from './spans.js';
import { converterFor, readSessionSpans, wholeSessionSpans, type SessionSpans } from './session-spans.js';
import type { TraceDocument, TraceSpan } from '../../src/model/trace.js';
import type { SessionStore } from '../../src/store/session-store.js';
import { acquire } from '../../src/store/lock.js';
import { appendWatermark, EXPORT_LOCK, readWatermark, syncWatermark, type Watermark } from './watermark.js';

/**
 * Exports one session: under the session's export lock, reads the trace (rebuilt from the journal when
 * trace.json lags it) and the endpoint's watermark, sends every finished span the endpoint has not
 * acknowledged yet, and records each acknowledged request in the watermark as soon as it is acknowledged.
 *
 * Exactly once, concretely:
 * - a span goes out when it is finished (has an end time) and never again to the same endpoint; open spans,
 *   including the session's root span while the session runs, wait for a later export;
 * - two exports of one session (two processes, the hook's background export and a manual one, the
 *   in-process tracer and either) serialize on `export.lock`, and each reads the watermark only once it
 *   holds the lock, so the second one finds nothing new;
 * - a failed request leaves its spans out of the watermark: the next export sends them;
 * - the one gap no client can close is a lost acknowledgement (the collector stored a request but the answer
 *   never arrived): those spans are sent again, with the same ids, which backends keyed by span id merge.
 */

export interface SessionPlan {
  sessionId: string;
  source: SessionSpans | undefined;
  /** Finished spans this endpoint has not acknowledged (`pendingSpans` lists them). */
  pending: number;
  alreadySent: number;
  /** Spans without an end yet: they go out in a later export. */
  open: number;
  /** Spans of the session (all states). */
  total: number;
  watermark: Watermark;
}

export function planSession(source: SessionSpans | undefined, sessionId: string, watermark: Watermark): SessionPlan {
  let pending = 0;
  let alreadySent = 0;
  let open = 0;
  let total = 0;
  for (const span of source?.spans() ?? []) {
    total++;
    if (watermark.sent.has(span.spanId)) alreadySent++;
    else if (span.endTime === undefined) open++;
    else pending++;
  }
  return { sessionId, source, pending, alreadySent, open, total, watermark };
}

/** The finished spans the endpoint has not acknowledged, in document order (root first, then by start). */
export function* pendingSpans(plan: SessionPlan): Generator<TraceSpan> {
  for (const span of plan.source?.spans() ?? []) {
    if (!plan.watermark.sent.has(span.spanId) && span.endTime !== undefined) yield span;
  }
}

export interface SessionExportOptions {
  store: SessionStore;
  sessionId: string;
  exporter: Pick<OtlpExporter, 'send' | 'endpoint'>;
  resource: Resource;
  traceMode?: TraceMode;
  /** The document to export (the in-process tracer passes its own); default: the store's (`readSessionSpans`). */
  load?: () => TraceDocument | undefined;
  /** How long to wait for another export of this session to finish. */
  lockWaitMs?: number;
  batchSpans?: number;
  batchBytes?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  /** Called once the plan is known (inside the lock). */
  onPlan?: (plan: SessionPlan) => void;
  /** Called after each acknowledged request with the spans it carried. */
  onProgress?: (spans: number) => void;
  /** Called when the lock is held by another export and this one starts waiting. */
  onWait?: () => void;
  /** Called once the lock is held, before the trace and the watermark are read. */
  onLocked?: () => void;
}

export interface SessionExportResult {
  sessionId: string;
  /** Spans sent and acknowledged by this export. */
  sent: number;
  alreadySent: number;
  open: number;
  /** Spans of the session (all states). */
  total: number;
}

export class ExportLockError extends Error {
  constructor(sessionId: string, folder: string) {
    super(`another export of session ${sessionId} is still running (lock ${folder}/${EXPORT_LOCK}); try again when it ends`);
    this.name = 'ExportLockError';
  }
}

const DEFAULT_BATCH_SPANS = 512;
const DEFAULT_BATCH_BYTES = 3 * 1024 * 1024;

export async function exportSession(options: SessionExportOptions): Promise<SessionExportResult> {
  const { store, sessionId } = options;
  const folder = store.folder(sessionId);
  store.ensureSession(sessionId);
  let release: (() => void) | undefined;
  try {
    release = await acquireWithNotice(folder, options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') throw new ExportLockError(sessionId, folder);
    throw error;
  }
  try {
    options.onLocked?.();
    return await exportLocked(options, folder);
  } finally {
    release();
  }
}

/**
 * The session's export lock, `<session folder>/export.lock` (store/lock.ts: proper-lockfile keyed by the lock's
 * own path, stale after 10 s when its holder died): a quick try first, so `onWait` can say we are waiting.
 */
async function acquireWithNotice(folder: string, options: SessionExportOptions): Promise<() => void> {
  try {
    return await acquire(folder, { name: EXPORT_LOCK, waitMs: 0 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
  }
  options.onWait?.();
  return acquire(folder, { name: EXPORT_LOCK, waitMs: options.lockWaitMs ?? 120_000 });
}

async function exportLocked(options: SessionExportOptions, folder: string): Promise<SessionExportResult> {
  const { exporter, sessionId } = options;
  const doc = options.load?.();
  const source = options.load ? (doc ? wholeSessionSpans(doc) : undefined) : readSessionSpans(options.store, sessionId);
  const watermark = readWatermark(folder, exporter.endpoint);
  const plan = planSession(source, sessionId, watermark);
  options.onPlan?.(plan);
  const result: SessionExportResult = { sessionId, sent: 0, alreadySent: plan.alreadySent, open: plan.open, total: plan.total };
  if (!source || plan.pending === 0) return result;

  const converter = converterFor(source, { sessionId, resource: options.resource, traceMode: options.traceMode });
  const batchSpans = options.batchSpans ?? DEFAULT_BATCH_SPANS;
  const batchBytes = options.batchBytes ?? DEFAULT_BATCH_BYTES;
  const concurrency = Math.max(1, options.concurrency ?? 4);

  // One span ahead: a span that would overflow a batch opens the next one.
  const pending = pendingSpans(plan);
  let ahead = pending.next();
  const nextBatch = (): { spans: ReadableSpan[]; ids: string[] } | undefined => {
    if (ahead.done) return undefined;
    const spans: ReadableSpan[] = [];
    const ids: string[] = [];
    let bytes = 0;
    while (!ahead.done && spans.length < batchSpans) {
      const source = ahead.value;
      const span = converter.convert(source);
      const size = estimateSpanBytes(span);
      if (spans.length > 0 && bytes + size > batchBytes) break;
      spans.push(span);
      ids.push(source.spanId);
      bytes += size;
      ahead = pending.next();
    }
    return { spans, ids };
  };

  let failure: unknown;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (failure !== undefined) return;
      const batch = nextBatch();
      if (!batch) return;
      try {
        await exporter.send(batch.spans);
      } catch (error) {
        failure ??= error;
        return;
      }
      // Acknowledged: record it before anything else can happen.
      appendWatermark(folder, exporter.endpoint, batch.ids, watermark, false);
      result.sent += batch.ids.length;
      options.onProgress?.(batch.ids.length);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  if (result.sent > 0) syncWatermark(folder);
  if (failure !== undefined) {
    if (failure instanceof Error) Object.assign(failure, { partial: result });
    throw failure;
  }
  return result;
}
