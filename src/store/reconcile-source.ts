import type { AgentEvent } from '../events/types.js';
import type { SpoolEntry } from './spool.js';

/** One spool file, parsed: what a hook recorded. */
export interface SpoolItem extends SpoolEntry {
  payload: Record<string, unknown>;
}

export interface SourceContext {
  /** The store's data directory. */
  dir: string;
  /** Scrubs text kept outside the journal (parser state) with the store's redaction. */
  scrub(text: string): string;
  log(context: string, error: unknown): void;
  /** The reconciler may wait for the agent's files to catch up (a detached worker), or must not (a reader). */
  patient: boolean;
  /** A hook's own drain: never wait on a lock. */
  quick: boolean;
}

export interface IngestResult {
  sessionId?: string;
  /** Events in journal order (validated, redacted and appended by the caller). */
  events: AgentEvent[];
  /** The hook's own events (the caller marks them with the spool file's name, for exactly-once recovery). */
  own?: number;
  /** A turn or the session ended: trace.json is rewritten, and a configured OTLP export started. */
  boundary?: boolean;
  exportAfter?: boolean;
}

/**
 * An agent's part in the store's reconcile step: turning its spooled hook payloads into events, and reading
 * what its own files (a transcript) added since the last look. The store knows nothing of any agent; the
 * adapters provide these and the CLI hands them to the store.
 */
export interface ReconcileSource {
  /** The spool folder this source drains, and the `agent.name` of the sessions it catches up. */
  agent: string;
  ingest(item: SpoolItem, ctx: SourceContext): IngestResult;
  /**
   * Events the agent's own files added since the last read (by offset: cheap when nothing grew). `final`: the
   * agent is gone (its last lines are read before the session is marked interrupted).
   */
  catchUp?(sessionId: string, folder: string, ctx: SourceContext, options: { final: boolean }): AgentEvent[];
}
