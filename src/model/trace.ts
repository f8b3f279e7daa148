import type { AgentInfo, Attributes } from '../events/types.js';

/** The trace document kept in `trace.json` (schemaVersion 1). Times are epoch milliseconds. */
export type SessionStatus = 'running' | 'completed' | 'crashed' | 'interrupted' | 'error';
export type SpanKind = 'session' | 'turn' | 'generation' | 'tool' | 'subagent' | 'compaction';
export type SpanStatus = 'ok' | 'error' | 'unset';

export interface SpanEventRecord {
  name: string;
  time: number;
  attributes?: Attributes;
}

export interface TraceSpan {
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: SpanKind;
  startTime: number;
  endTime?: number;
  status: SpanStatus;
  statusMessage?: string;
  attributes: Attributes;
  input?: unknown;
  output?: unknown;
  events?: SpanEventRecord[];
}

export interface TokenTotals {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
}

export interface TraceSummary {
  turns: number;
  generations: number;
  toolCalls: number;
  toolErrors: number;
  subagents: number;
  durationMs: number;
  tokens: TokenTotals;
  cost?: { usd: number; estimated: true };
  filesTouched: string[];
}

export interface TraceDocument {
  schemaVersion: 1;
  traceId: string;
  sessionId: string;
  agent: AgentInfo;
  status: SessionStatus;
  startTime: number;
  endTime?: number;
  title?: string;
  cwd?: string;
  gitBranch?: string;
  models: string[];
  summary: TraceSummary;
  spans: TraceSpan[];
}
