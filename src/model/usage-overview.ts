import type { SessionFacts, TurnFacts } from './session-facts.js';
import { addSession, computeStats, emptyRow, finishRow, localDay, localMonth, localWeek, projectOf, totalTokens, type UsageRow } from './usage-stats.js';

export type StackBy = 'model' | 'project' | 'agent';
export type Bucket = 'day' | 'week' | 'month';

/** Cost and tokens over time, one series per stack key. */
export interface TimeSeries {
  bucket: Bucket;
  stack: StackBy;
  /** Bucket keys (local dates), oldest first, with no gaps. */
  keys: string[];
  series: Array<{ key: string; cost: number[]; tokens: number[] }>;
}

export interface ExpensiveTurn extends TurnFacts {
  sessionId: string;
  title?: string;
}

export interface ExpensiveSession {
  sessionId: string;
  title?: string;
  agent: string;
  startTime: number;
  costUsd: number;
  tokens: number;
  models: string[];
}

/** Everything the Insights page shows, computed from the sessions' facts (never from spans). */
export interface UsageOverview {
  totals: UsageRow;
  timeline: TimeSeries;
  projects: UsageRow[];
  models: UsageRow[];
  agents: UsageRow[];
  tools: UsageRow[];
  expensiveSessions: ExpensiveSession[];
  expensiveTurns: ExpensiveTurn[];
}

const MAX_SERIES = 8;
export const OTHER = '(other)';

function bucketOf(bucket: Bucket, ms: number): string {
  return bucket === 'day' ? localDay(ms) : bucket === 'week' ? localWeek(ms) : localMonth(ms);
}

/** Consecutive bucket keys from the first to the last (days and weeks as local dates, months as YYYY-MM). */
export function bucketRange(bucket: Bucket, from: number, to: number): string[] {
  const keys: string[] = [];
  const d = new Date(from);
  let at = new Date(d.getFullYear(), d.getMonth(), bucket === 'month' ? 1 : d.getDate(), 12);
  const last = bucketOf(bucket, to);
  for (let i = 0; i < 5_000; i++) {
    const key = bucketOf(bucket, at.getTime());
    if (keys[keys.length - 1] !== key) keys.push(key);
    if (key === last) break;
    at = bucket === 'month' ? new Date(at.getFullYear(), at.getMonth() + 1, 1, 12) : new Date(at.getFullYear(), at.getMonth(), at.getDate() + (bucket === 'week' ? 7 : 1), 12);
  }
  return keys;
}

/** A session's cost and tokens split by the stack key (per model, or whole for project/agent). */
function parts(f: SessionFacts, stack: StackBy): Array<[string, number, number]> {
  if (stack === 'model') return Object.entries(f.byModel).map(([m, v]) => [m, v.costUsd ?? 0, totalTokens(v.tokens)]);
  const key = stack === 'project' ? projectOf(f) : f.agent;
  return [[key, f.summary.cost?.usd ?? 0, totalTokens(f.summary.tokens)]];
}

export function computeOverview(facts: SessionFacts[], options: { stack: StackBy; bucket: Bucket; top?: number }): UsageOverview {
  const top = options.top ?? 10;
  const totals = emptyRow('total');
  for (const f of facts) addSession(totals, f);
  finishRow(totals);

  // the biggest stack keys get their own series; the rest are summed as (other)
  const weight = new Map<string, number>();
  for (const f of facts) for (const [k, c, t] of parts(f, options.stack)) weight.set(k, (weight.get(k) ?? 0) + c * 1e6 + t);
  const ranked = [...weight.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k);
  const kept = new Set(ranked.length > MAX_SERIES ? ranked.slice(0, MAX_SERIES - 1) : ranked);
  const starts = facts.map((f) => f.startTime);
  const keys = facts.length ? bucketRange(options.bucket, Math.min(...starts), Math.max(...starts)) : [];
  const at = new Map(keys.map((k, i) => [k, i]));
  const series = new Map<string, { key: string; cost: number[]; tokens: number[] }>();
  for (const f of facts) {
    const i = at.get(bucketOf(options.bucket, f.startTime));
    if (i === undefined) continue;
    for (const [k, c, t] of parts(f, options.stack)) {
      const name = kept.has(k) ? k : OTHER;
      let s = series.get(name);
      if (!s) series.set(name, (s = { key: name, cost: keys.map(() => 0), tokens: keys.map(() => 0) }));
      s.cost[i]! += c;
      s.tokens[i]! += t;
    }
  }
  const order = [...kept, OTHER];
  const timeline: TimeSeries = {
    bucket: options.bucket,
    stack: options.stack,
    keys,
    series: [...series.values()].sort((a, b) => order.indexOf(a.key) - order.indexOf(b.key)),
  };

  const grouped = (by: 'project' | 'model' | 'agent' | 'tool') => computeStats(facts, { by }).rows.slice(0, top);
  const tools = computeStats(facts, { by: 'tool' }).rows.slice(0, top);

  const expensiveSessions: ExpensiveSession[] = facts
    .filter((f) => (f.summary.cost?.usd ?? 0) > 0)
    .sort((a, b) => (b.summary.cost?.usd ?? 0) - (a.summary.cost?.usd ?? 0))
    .slice(0, top)
    .map((f) => ({ sessionId: f.sessionId, ...(f.title ? { title: f.title } : {}), agent: f.agent, startTime: f.startTime, costUsd: f.summary.cost?.usd ?? 0, tokens: totalTokens(f.summary.tokens), models: f.models }));
  const turns: ExpensiveTurn[] = [];
  for (const f of facts) for (const t of f.topTurns) turns.push({ ...t, sessionId: f.sessionId, ...(f.title ? { title: f.title } : {}) });
  turns.sort((a, b) => b.costUsd - a.costUsd);

  return {
    totals,
    timeline,
    projects: grouped('project'),
    models: grouped('model'),
    agents: grouped('agent'),
    tools,
    expensiveSessions,
    expensiveTurns: turns.slice(0, top),
  };
}
