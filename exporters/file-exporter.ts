import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { OtelSpanEvent } from '../src/events/types.js';
import type { TraceBuilder } from '../src/model/trace-builder.js';
import { sweepTempFiles, writeFileAtomicAsync } from '../src/store/atomic-write.js';
import { FILE_MODE } from '../src/store/fs-util.js';
import { logError } from '../src/store/log.js';
import { CRASH_MARKER, TRACE_FILE } from '../src/store/paths.js';
import { SessionStore, type SessionStoreOptions } from '../src/store/session-store.js';
import { HeadTap } from '../src/store/summary.js';
import { otelSpanToEvent } from './otel-span-event.js';

export interface FileExporterOptions extends SessionStoreOptions {
  /** The data directory (`<dir>/sessions/...`). */
  dir: string;
  /** Test seam: runs between writing the temp file and committing it. */
  beforeCommit?: () => Promise<void> | void;
}

/** OpenTelemetry's ExportResultCode.SUCCESS / FAILED, without a runtime import of @opentelemetry/core. */
const SUCCESS = 0;
const FAILED = 1;

/**
 * Writes session traces to disk. It is the only writer of `trace.json` for in-process sessions and keeps the
 * crash rule: once `writeCrashSync` has recorded a crash for a session, no write of that session that began
 * earlier may replace it. Crash state is per session (keyed by the session's folder, the same key for setting
 * and checking), so one session's crash never stops another's writes.
 *
 * It also implements the OpenTelemetry `SpanExporter` interface: any OTel SDK pipeline can export to it, and
 * the viewer opens the result like any other session.
 */
export class FileExporter implements SpanExporter {
  readonly store: SessionStore;
  /** Session folders whose crash this process recorded: the key is the folder, for setting and checking alike. */
  private readonly crashed = new Set<string>();
  private readonly beforeCommit: (() => Promise<void> | void) | undefined;
  private pending = new Set<Promise<unknown>>();
  private shutDown = false;

  constructor(options: FileExporterOptions) {
    this.store = new SessionStore(options.dir, options);
    this.beforeCommit = options.beforeCommit;
  }

  get dir(): string {
    return this.store.dir;
  }

  isCrashed(sessionId: string): boolean {
    const folder = this.store.folder(sessionId);
    return this.crashed.has(folder) || this.store.readCrashMarker(sessionId) !== undefined;
  }

  /** A session that continues after a crash (a new process picked it up) is writable again. */
  clearCrash(sessionId: string): void {
    this.crashed.delete(this.store.folder(sessionId));
    this.store.clearCrashMarker(sessionId);
  }

  /**
   * Writes the builder's document without blocking the event loop. Resolves false when the write was
   * abandoned because the session crashed meanwhile (the crash document stays).
   */
  async writeTrace(builder: TraceBuilder, journalBytes: number): Promise<boolean> {
    const sessionId = builder.sessionId;
    const folder = this.store.ensureSession(sessionId);
    if (this.crashed.has(folder)) return false;
    const tap = new HeadTap();
    const committed = await writeFileAtomicAsync(join(folder, TRACE_FILE), tap.tap(builder.serializeChunks()), {
      beforeCommit: this.beforeCommit,
      commit: () => !this.crashed.has(folder),
    });
    if (committed) this.store.markMaterialized(sessionId, journalBytes, tap);
    return committed;
  }

  writeTraceSync(builder: TraceBuilder, journalBytes: number): boolean {
    const folder = this.store.ensureSession(builder.sessionId);
    if (this.crashed.has(folder)) return false;
    this.store.writeTrace(builder, journalBytes);
    return true;
  }

  /**
   * The crash path: synchronous from start to end, for a process that may be gone a moment later. The marker
   * goes first, so any writer that checks it from now on stands down; then the trace with its crashed status.
   */
  writeCrashSync(builder: TraceBuilder, journalBytes: number, reason: string): void {
    const folder = this.store.ensureSession(builder.sessionId);
    this.crashed.add(folder);
    writeFileSync(join(folder, CRASH_MARKER), JSON.stringify({ time: Date.now(), reason, pid: process.pid }), { mode: FILE_MODE });
    this.store.writeTrace(builder, journalBytes);
  }

  sweep(sessionId: string): number {
    return sweepTempFiles(this.store.folder(sessionId));
  }

  // ——— OpenTelemetry SpanExporter ———

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.shutDown) {
      resultCallback({ code: FAILED, error: new Error('FileExporter is shut down') });
      return;
    }
    const work = (async () => {
      const events: OtelSpanEvent[] = spans.map(otelSpanToEvent);
      this.store.append(events);
      for (const sessionId of new Set(events.map((e) => e.sessionId))) this.store.materialize(sessionId);
    })();
    this.track(work);
    work.then(
      () => resultCallback({ code: SUCCESS }),
      (error: unknown) => {
        logError(this.dir, 'FileExporter.export', error);
        resultCallback({ code: FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      },
    );
  }

  private track(work: Promise<unknown>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work)).catch(() => undefined);
  }

  async forceFlush(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    this.shutDown = true;
  }
}
