import type { SessionFacts } from './session-facts.js';
import type { TokenTotals } from './trace.js';

/** How `stats` groups sessions. */
export const GROUPINGS = ['day', 'week', 'month', 'session', 'project', 'agent', 'model', 'branch', 'tool'] as const;
export type Grouping = (typeof GROUPINGS)[number];

/** One row of usage: a group, or the totals. Fields a grouping cannot split are left out (see below). */
export interface UsageRow {
  key: string;
  /** A readable name for the key (a session's title, a project's folder name). */
  label?: string;
  sessions: number;
  turns?: number;
  generations: number;
  toolCalls: number;
  toolErrors: number;
  /** toolErrors / toolCalls (0 when there were no tool calls). */
  failureRate: number;
  tokens: TokenTotals;
  /** Estimated USD; sessions without a known price add nothing. */
  costUsd: number;
  /** Sessions in the row that had no price for some model call (their cost is missing or partial). */
  unpricedSessions: number;
  /** Summed session durations (tool rows: summed call time). */
  durationMs: number;
  /** cacheRead / (input + cacheRead + cacheWrite): how much of the prompt came from the cache. */
  cacheHitRatio: number;
  firstStart?: number;
  lastStart?: number;
}

export interface StatsQuery {
  by: Grouping;
  /** Inclusive lower bound on a session's start, epoch ms. */
  since?: number;
  /** Exclusive upper bound on a session's start, epoch ms. */
  until?: number;
}

export interface StatsResult {
  by: Grouping;
  since: number | null;
  until: number | null;
  /** Day, week and month keys are local dates in this time zone. */
  timeZone: string;
  rows: UsageRow[];
  /** Every session in the range, each counted once: equal to the sum of their summaries. */
  totals: UsageRow;
}

function emptyTokens(): TokenTotals {
  return { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 };
}

export function emptyRow(key: string): UsageRow {
  return { key, sessions: 0, turns: 0, generations: 0, toolCalls: 0, toolErrors: 0, failureRate: 0, tokens: emptyTokens(), costUsd: 0, unpricedSessions: 0, durationMs: 0, cacheHitRatio: 0 };
}

function addTokens(into: TokenTotals, t: TokenTotals): void {
  into.input += t.input;
  into.output += t.output;
  into.cacheRead += t.cacheRead;
  into.cacheWrite += t.cacheWrite;
  into.reasoning += t.reasoning;
}

function hasUnpricedCalls(f: SessionFacts): boolean {
  // summaries that list their unpriced models say so themselves
  const listed = (f.summary as { unpriced?: unknown[] }).unpriced;
  if (listed) return listed.length > 0;
  return f.summary.generations > 0 && (f.summary.cost === undefined || Object.values(f.byModel).some((m) => m.costUsd === 0 && m.tokens.output + m.tokens.input > 0));
}

/** Adds a whole session to a row. */
export function addSession(row: UsageRow, f: SessionFacts): void {
  const s = f.summary;
  row.sessions++;
  row.turns = (row.turns ?? 0) + s.turns;
  row.generations += s.generations;
  row.toolCalls += s.toolCalls;
  row.toolErrors += s.toolErrors;
  addTokens(row.tokens, s.tokens);
  row.costUsd += s.cost?.usd ?? 0;
  if (hasUnpricedCalls(f)) row.unpricedSessions++;
  row.durationMs += s.durationMs;
  row.firstStart = Math.min(row.firstStart ?? f.startTime, f.startTime);
  row.lastStart = Math.max(row.lastStart ?? f.startTime, f.startTime);
}

export function finishRow(row: UsageRow): UsageRow {
  row.failureRate = row.toolCalls ? row.toolErrors / row.toolCalls : 0;
  const prompt = row.tokens.input + row.tokens.cacheRead + row.tokens.cacheWrite;
  row.cacheHitRatio = prompt ? row.tokens.cacheRead / prompt : 0;
  row.costUsd = Math.round(row.costUsd * 1e6) / 1e6;
  return row;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The local calendar date of a time: `YYYY-MM-DD`. */
export function localDay(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The local date of the Monday that starts the week of a time (ISO weeks start on Monday). */
export function localWeek(ms: number): string {
  const d = new Date(ms);
  const back = (d.getDay() + 6) % 7;
  return localDay(new Date(d.getFullYear(), d.getMonth(), d.getDate() - back, 12).getTime());
}

export function localMonth(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}`;
}

/** A project: the folder the session ran in. */
export function projectOf(f: SessionFacts): string {
  return f.cwd ?? '(no folder)';
}

function baseName(path: string): string {
  const parts = path.split(/[\\/]/).filter(Boolean);
  return parts[parts.length - 1] ?? path;
}

/** The groups a session falls in for groupings that take whole sessions. */
function sessionKey(by: Grouping, f: SessionFacts): { key: string; label?: string } {
  switch (by) {
    case 'day':
      return { key: localDay(f.startTime) };
    case 'week':
      return { key: localWeek(f.startTime) };
    case 'month':
      return { key: localMonth(f.startTime) };
    case 'session':
      return f.title ? { key: f.sessionId, label: f.title } : { key: f.sessionId };
    case 'project':
      return f.cwd ? { key: f.cwd, label: baseName(f.cwd) } : { key: projectOf(f) };
    case 'agent':
      return { key: f.agent };
    case 'branch':
      return { key: f.gitBranch ?? '(no branch)' };
    default:
      throw new Error(`not a session grouping: ${by}`);
  }
}

export function inRange(f: SessionFacts, since?: number, until?: number): boolean {
  return (since === undefined || f.startTime >= since) && (until === undefined || f.startTime < until);
}

/**
 * Usage grouped over a date range. A session belongs to the range, and to a day, week or month, by the local
 * time it started; it counts whole in every grouping that takes sessions. `model` rows split tokens, model calls
 * and cost by model (a session appears under each model it used); `tool` rows count calls, failures and time per
 * tool. The totals always count each session once, so they equal the sum of the sessions' summaries.
 */
export function computeStats(all: Iterable<SessionFacts>, query: StatsQuery): StatsResult {
  const groups = new Map<string, UsageRow>();
  const totals = emptyRow('total');
  const row = (key: string, label?: string): UsageRow => {
    let r = groups.get(key);
    if (!r) {
      r = emptyRow(key);
      if (label) r.label = label;
      groups.set(key, r);
    }
    return r;
  };
  for (const f of all) {
    if (!inRange(f, query.since, query.until)) continue;
    addSession(totals, f);
    if (query.by === 'model') {
      for (const [model, m] of Object.entries(f.byModel)) {
        const r = row(model);
        r.sessions++;
        r.generations += m.calls;
        addTokens(r.tokens, m.tokens);
        r.costUsd += m.costUsd ?? 0;
        if (m.costUsd === undefined || (m.costUsd === 0 && m.tokens.input + m.tokens.output > 0)) r.unpricedSessions++;
        r.firstStart = Math.min(r.firstStart ?? f.startTime, f.startTime);
        r.lastStart = Math.max(r.lastStart ?? f.startTime, f.startTime);
        delete r.turns;
      }
    } else if (query.by === 'tool') {
      for (const [tool, t] of Object.entries(f.byTool)) {
        const r = row(tool);
        r.sessions++;
        r.toolCalls += t.calls;
        r.toolErrors += t.errors;
        r.durationMs += t.durationMs;
        r.firstStart = Math.min(r.firstStart ?? f.startTime, f.startTime);
        r.lastStart = Math.max(r.lastStart ?? f.startTime, f.startTime);
        delete r.turns;
      }
    } else {
      const { key, label } = sessionKey(query.by, f);
      addSession(row(key, label), f);
    }
  }
  const rows = [...groups.values()].map(finishRow);
  const timeBased = query.by === 'day' || query.by === 'week' || query.by === 'month';
  if (timeBased) rows.sort((a, b) => a.key.localeCompare(b.key));
  else if (query.by === 'session') rows.sort((a, b) => (a.firstStart ?? 0) - (b.firstStart ?? 0));
  else if (query.by === 'tool') rows.sort((a, b) => b.toolCalls - a.toolCalls || a.key.localeCompare(b.key));
  else rows.sort((a, b) => b.costUsd - a.costUsd || totalTokens(b.tokens) - totalTokens(a.tokens) || a.key.localeCompare(b.key));
  return {
    by: query.by,
    since: query.since ?? null,
    until: query.until ?? null,
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    rows,
    totals: finishRow(totals),
  };
}

export function totalTokens(t: TokenTotals): number {
  return t.input + t.output + t.cacheRead + t.cacheWrite;
}
