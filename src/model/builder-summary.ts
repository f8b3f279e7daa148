import { filePathsOf, hasTokens, writesFiles } from './builder-content.js';
import { PRICE_SOURCE_LABEL, type CallCost } from './pricing.js';
import type { SpanState } from './span-state.js';
import type { PriceEstimate, TraceSummary } from './trace.js';

/** What the summary needs of the session besides its spans. */
export interface SummaryInput {
  costOf(span: SpanState): CallCost | undefined;
  /** Earliest time seen (POSITIVE_INFINITY: none). */
  startTime: number;
  endTime: number | undefined;
  lastTime: number;
}

/** The document's summary: counts, tokens, cost (estimated from the price table), files written. */
export function summarize(spans: SpanState[], session: SummaryInput): TraceSummary {
  const tokens = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 };
  const estimates = new Map<string, PriceEstimate>();
  const unpriced = new Map<string, number>();
  const overridden = new Set<string>();
  const files: string[] = [];
  const seenFiles = new Set<string>();
  let turns = 0;
  let generations = 0;
  let toolCalls = 0;
  let toolErrors = 0;
  let subagents = 0;
  let cost = 0;
  let priced = false;
  for (const s of spans) {
    if (s.generic) continue;
    switch (s.kind) {
      case 'turn':
        if (!s.notice) turns++;
        break;
      case 'generation':
        generations++;
        if (s.usage) {
          tokens.input += s.usage.input ?? 0;
          tokens.output += s.usage.output ?? 0;
          tokens.cacheRead += s.usage.cacheRead ?? 0;
          tokens.cacheWrite += s.usage.cacheWrite ?? 0;
          tokens.cacheWrite1h += s.usage.cacheWrite1h ?? 0;
          tokens.cacheWrite5m += (s.usage.cacheWrite ?? 0) - (s.usage.cacheWrite1h ?? 0);
          tokens.reasoning += s.usage.reasoning ?? 0;
          const c = session.costOf(s);
          if (c !== undefined) {
            cost += c.usd;
            priced = true;
            if (c.basis === 'family') {
              const e = estimates.get(s.model!) ?? { model: s.model!, basis: 'family' as const, pricedAs: c.pricedAs, calls: 0 };
              e.calls++;
              estimates.set(s.model!, e);
            } else if (c.basis === 'override') overridden.add(s.model!);
          } else if (hasTokens(s.usage)) {
            const model = s.model ?? 'unknown model';
            unpriced.set(model, (unpriced.get(model) ?? 0) + 1);
          }
        }
        break;
      case 'tool':
        toolCalls++;
        if (s.status === 'error') toolErrors++;
        if (s.name && writesFiles(s.name)) {
          for (const path of filePathsOf(s.input)) {
            if (seenFiles.has(path)) continue;
            seenFiles.add(path);
            files.push(path);
          }
        }
        break;
      case 'subagent':
        subagents++;
        break;
      default:
        break;
    }
  }
  const start = session.startTime === Number.POSITIVE_INFINITY ? 0 : session.startTime;
  const summary: TraceSummary = {
    turns,
    generations,
    toolCalls,
    toolErrors,
    subagents,
    durationMs: Math.max(0, (session.endTime ?? session.lastTime) - start),
    tokens,
    ...(priced
      ? {
          cost: {
            usd: Math.round(cost * 1e6) / 1e6,
            estimated: true as const,
            source: PRICE_SOURCE_LABEL,
            ...(overridden.size ? { overridden: [...overridden] } : {}),
            ...(estimates.size ? { estimates: [...estimates.values()] } : {}),
          },
        }
      : {}),
    ...(unpriced.size ? { unpriced: [...unpriced].map(([model, calls]) => ({ model, calls })) } : {}),
    filesTouched: files,
  };
  return summary;
}
