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
  /** Every cache write; `cacheWrite5m + cacheWrite1h` (billed at different rates). */
  cacheWrite: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  reasoning: number;
}

/** A model the price source does not know, priced as its family's model `pricedAs`. */
export interface PriceEstimate {
  model: string;
  basis: 'family';
  pricedAs: string;
  calls: number;
}

export interface CostSummary {
  usd: number;
  estimated: true;
  /** The price source, named and dated (`@pydantic/genai-prices 0.1.8 (prices as of …)`). */
  source: string;
  /** Models priced from the config file's `prices`. */
  overridden?: string[];
  /** Models priced as a stand-in. */
  estimates?: PriceEstimate[];
}

/** A model with token usage but no price at all: its calls are not in `cost`. */
export interface UnpricedModel {
  model: string;
  calls: number;
}

export interface TraceSummary {
  turns: number;
  generations: number;
  toolCalls: number;
  toolErrors: number;
  subagents: number;
  durationMs: number;
  tokens: TokenTotals;
  cost?: CostSummary;
  /** Models with no price (unknown to the price source and to `prices`). */
  unpriced?: UnpricedModel[];
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
