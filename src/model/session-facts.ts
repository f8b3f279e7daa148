import type { Attributes } from '../events/types.js';
import { costOf, type PriceTable } from './pricing.js';
import type { SessionStatus, TokenTotals, TraceDocument, TraceSpan, TraceSummary } from './trace.js';

/** Per-model usage of one session. */
export interface ModelFacts {
  calls: number;
  tokens: TokenTotals;
  /** The model's share of the session's cost (undefined when the session has no cost). */
  costUsd?: number;
}

/** Per-tool use of one session. */
export interface ToolFacts {
  calls: number;
  errors: number;
  /** Summed wall time of the finished calls. */
  durationMs: number;
}

/** One turn of the session, kept when it is among the session's most expensive. */
export interface TurnFacts {
  spanId: string;
  ordinal: number;
  prompt: string;
  startTime: number;
  costUsd: number;
  tokens: number;
}

/**
 * What aggregate views need of one session, computed once from its trace so that `stats`, search filters and
 * the Insights page never parse spans: the session's own summary as given, plus per-model and per-tool numbers
 * and its most expensive turns. Derived data: it can always be recomputed from the trace.
 */
export interface SessionFacts {
  sessionId: string;
  agent: string;
  status: SessionStatus;
  startTime: number;
  endTime?: number;
  title?: string;
  cwd?: string;
  gitBranch?: string;
  models: string[];
  summary: Omit<TraceSummary, 'filesTouched'> & { filesTouched: number };
  byModel: Record<string, ModelFacts>;
  byTool: Record<string, ToolFacts>;
  topTurns: TurnFacts[];
  /** Set when the spans could not be read (a session too large to hold whole): only the summary is known. */
  summaryOnly?: true;
}

/** The facts of a session known only by its header (trace.json without spans). */
export function headerFacts(doc: Omit<TraceDocument, 'spans'>): SessionFacts {
  const facts = sessionFacts({ ...doc, spans: [] });
  facts.summaryOnly = true;
  return facts;
}

export const UNKNOWN_MODEL = '(unknown model)';
const TOP_TURNS = 3;
const PROMPT_CHARS = 160;

function emptyTokens(): TokenTotals {
  return { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 };
}

function num(a: Attributes, key: string): number {
  const v = a[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** A generation span's usage as the summary counts it: input without cached tokens. */
function usageOf(span: TraceSpan): TokenTotals {
  const a = span.attributes;
  const cacheRead = num(a, 'gen_ai.usage.cache_read.input_tokens') || num(a, 'llm.token_count.prompt_details.cache_read');
  const cacheWrite = num(a, 'gen_ai.usage.cache_creation.input_tokens') || num(a, 'llm.token_count.prompt_details.cache_write');
  const prompt = num(a, 'gen_ai.usage.input_tokens') || num(a, 'llm.token_count.prompt');
  return {
    input: Math.max(0, prompt - cacheRead - cacheWrite),
    output: num(a, 'gen_ai.usage.output_tokens') || num(a, 'llm.token_count.completion'),
    cacheRead,
    cacheWrite,
    reasoning: num(a, 'gen_ai.usage.reasoning.output_tokens') || num(a, 'llm.token_count.completion_details.reasoning'),
  };
}

function modelOf(span: TraceSpan): string {
  const a = span.attributes;
  const m = a['gen_ai.response.model'] ?? a['gen_ai.request.model'] ?? a['llm.model_name'];
  return typeof m === 'string' && m ? m : UNKNOWN_MODEL;
}

function toolOf(span: TraceSpan): string {
  const n = span.attributes['gen_ai.tool.name'] ?? span.attributes['tool.name'];
  return typeof n === 'string' && n ? n : span.name.replace(/^execute_tool /, '');
}

/** A call's cost: the span's own cost attribute when the pipeline set one, else list prices. */
function spanCost(span: TraceSpan, usage: TokenTotals, prices: PriceTable | undefined): number {
  const given = span.attributes['gen_ai.usage.cost'] ?? span.attributes['llm.cost.total'];
  if (typeof given === 'number' && Number.isFinite(given)) return given;
  return costOf(modelOf(span), usage, prices) ?? 0;
}

function addTokens(into: TokenTotals, t: TokenTotals): void {
  into.input += t.input;
  into.output += t.output;
  into.cacheRead += t.cacheRead;
  into.cacheWrite += t.cacheWrite;
  into.reasoning += t.reasoning;
}

function oneLine(text: unknown, max: number): string {
  if (typeof text !== 'string') return '';
  const clean = text.replace(/\s+/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/**
 * The facts of one session. The session total (tokens, cost) is the summary's, as given; per-model costs are
 * the summary's cost split in proportion to each model's priced calls, so they always add up to it.
 */
export function sessionFacts(doc: TraceDocument, prices?: PriceTable): SessionFacts {
  const byModel: Record<string, ModelFacts> = {};
  const byTool: Record<string, ToolFacts> = {};
  const rawCost = new Map<string, number>();
  const parentOf = new Map<string, string | null>();
  const turnOf = new Map<string, string>();
  const turnCost = new Map<string, { cost: number; tokens: number }>();
  for (const span of doc.spans) parentOf.set(span.spanId, span.parentSpanId);
  const turnAncestor = (id: string | null): string | undefined => {
    const path: string[] = [];
    let at = id;
    let found: string | undefined;
    while (at) {
      const known = turnOf.get(at);
      if (known !== undefined) {
        found = known || undefined;
        break;
      }
      path.push(at);
      at = parentOf.get(at) ?? null;
    }
    for (const p of path) turnOf.set(p, found ?? '');
    return found;
  };
  for (const span of doc.spans) if (span.kind === 'turn') turnOf.set(span.spanId, span.spanId);

  let totalRaw = 0;
  for (const span of doc.spans) {
    if (span.kind === 'generation') {
      const model = modelOf(span);
      const usage = usageOf(span);
      const entry = (byModel[model] ??= { calls: 0, tokens: emptyTokens() });
      entry.calls++;
      addTokens(entry.tokens, usage);
      const cost = spanCost(span, usage, prices);
      rawCost.set(model, (rawCost.get(model) ?? 0) + cost);
      totalRaw += cost;
      const turn = turnAncestor(span.parentSpanId);
      if (turn) {
        const t = turnCost.get(turn) ?? { cost: 0, tokens: 0 };
        t.cost += cost;
        t.tokens += usage.input + usage.output + usage.cacheRead + usage.cacheWrite;
        turnCost.set(turn, t);
      }
    } else if (span.kind === 'tool') {
      const name = toolOf(span);
      const entry = (byTool[name] ??= { calls: 0, errors: 0, durationMs: 0 });
      entry.calls++;
      if (span.status === 'error') entry.errors++;
      if (span.endTime !== undefined) entry.durationMs += Math.max(0, span.endTime - span.startTime);
    }
  }

  const sessionCost = doc.summary.cost?.usd;
  const scale = sessionCost !== undefined && totalRaw > 0 ? sessionCost / totalRaw : 0;
  if (sessionCost !== undefined) {
    for (const [model, entry] of Object.entries(byModel)) entry.costUsd = (rawCost.get(model) ?? 0) * scale;
  }

  const topTurns: TurnFacts[] = [];
  if (sessionCost !== undefined) {
    const turns = doc.spans.filter((s) => s.kind === 'turn' && turnCost.has(s.spanId));
    turns.sort((a, b) => turnCost.get(b.spanId)!.cost - turnCost.get(a.spanId)!.cost);
    for (const t of turns.slice(0, TOP_TURNS)) {
      const c = turnCost.get(t.spanId)!;
      const ordinal = t.attributes['agent_trace.turn'];
      topTurns.push({
        spanId: t.spanId,
        ordinal: typeof ordinal === 'number' ? ordinal : 0,
        prompt: oneLine(t.input, PROMPT_CHARS),
        startTime: t.startTime,
        costUsd: c.cost * scale,
        tokens: c.tokens,
      });
    }
  }

  const { filesTouched, ...summary } = doc.summary;
  const facts: SessionFacts = {
    sessionId: doc.sessionId,
    agent: doc.agent.name,
    status: doc.status,
    startTime: doc.startTime,
    models: doc.models ?? [],
    summary: { ...summary, filesTouched: filesTouched?.length ?? 0 },
    byModel,
    byTool,
    topTurns,
  };
  if (doc.endTime !== undefined) facts.endTime = doc.endTime;
  if (doc.title) facts.title = doc.title;
  if (doc.cwd) facts.cwd = doc.cwd;
  if (doc.gitBranch) facts.gitBranch = doc.gitBranch;
  return facts;
}
