import type { AgentEvent } from '../events/types.js';
import type { TraceDocument } from '../model/trace.js';
import type { TraceBuilder } from '../model/trace-builder.js';
import type { Redactor } from '../redact.js';
import type { SessionSummary } from './summary.js';

// What liveness and reconcile need of the store. `SessionStore` satisfies these structurally; declaring them here
// (and importing nothing from session-store.ts) keeps session-store → reconcile → liveness free of a cycle.

/** The part of the store liveness uses: a session's folder and journal, its events, append, materialize. */
export interface LivenessStore {
  readonly dir: string;
  folder(sessionId: string): string;
  journalPath(sessionId: string): string;
  readEvents(sessionId: string): AgentEvent[];
  lastActivity(sessionId: string): number;
  append(events: readonly unknown[]): AgentEvent[];
  materialize(sessionId: string, options?: { waitMs?: number }): TraceDocument;
}

/** The part of the store reconcile uses (it hands the store on to liveness, hence the extension). */
export interface ReconcileStore extends LivenessStore {
  readonly redactor: Redactor;
  load(sessionId: string): TraceDocument | undefined;
  currentSummary(sessionId: string): SessionSummary | undefined;
  sessionIds(): string[];
}

/** The part of the store a `SessionFollower` uses: a session's files, whether trace.json is current, a builder. */
export interface FollowerStore {
  journalPath(sessionId: string): string;
  tracePath(sessionId: string): string;
  isFresh(sessionId: string, trace: Pick<TraceDocument, 'status'> | undefined): boolean;
  summary(sessionId: string): SessionSummary | undefined;
  materializedBytes(sessionId: string): number | undefined;
  newBuilder(sessionId: string): TraceBuilder;
}
