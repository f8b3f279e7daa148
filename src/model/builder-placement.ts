import type { Attributes } from '../events/types.js';
import { spanIdFor } from './ids.js';
import { changed, createSpan, spanOf, touch, type BuilderState } from './builder-state.js';
import { byStart, type SpanState } from './span-state.js';

/** Where a span hangs in the tree: under a named subagent or turn, else the turn open at its moment, else the session. */

/** Tools that start a subagent: a subagent without a named parent belongs to one of them. */
export const SPAWNING_TOOLS = new Set(['Task', 'Agent', 'task', 'spawn_agent']);

/** Where an event says it belongs. */
export interface Placement {
  agentKey?: string;
  turnKey?: string;
}

export function insertTurn(s: BuilderState, turn: SpanState): void {
  s.turns.push(turn);
  const n = s.turns.length;
  if (n > 1 && s.turns[n - 2]!.startTime > turn.startTime) s.turns.sort(byStart);
}

/** The turn a moment belongs to: the last one started at or before it (binary search over sorted turns). */
export function turnAt(s: BuilderState, time: number, openOnly = false): SpanState | undefined {
  let lo = 0;
  let hi = s.turns.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (s.turns[mid]!.startTime <= time) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (found < 0) return openOnly ? s.turns.findLast((t) => t.endTime === undefined) : undefined;
  if (!openOnly) return s.turns[found];
  for (let i = found; i >= 0; i--) if (s.turns[i]!.endTime === undefined) return s.turns[i];
  return s.turns[found];
}

/** The span of a model call, tool call or compaction: created and placed on first sight, moved earlier when an event says so. */
export function upsert(
  s: BuilderState,
  kind: 'generation' | 'tool' | 'compaction',
  key: string,
  start: number,
  e: Placement & { attributes?: Attributes },
): SpanState {
  let span = spanOf(s, kind, key);
  if (!span) {
    span = createSpan(s, kind, key, null, start);
    place(s, span, e, start);
  } else {
    if (start < span.startTime) span.startTime = start;
    if (e.agentKey || e.turnKey) place(s, span, e, span.startTime);
  }
  if (e.attributes) span.extra = { ...span.extra, ...e.attributes };
  return span;
}

/** Explicit placement (subagent, turn) wins; otherwise the turn open at that moment, or the session. */
export function place(s: BuilderState, span: SpanState, e: Placement, time: number): void {
  if (e.agentKey) setParent(s, span, subagentSpan(s, e.agentKey, time).id, true);
  else if (e.turnKey) setParent(s, span, spanIdFor(s.sessionId, 'turn', e.turnKey), true);
  else if (!span.parentFixed) {
    const turn = turnAt(s, time);
    // A compaction after its turn ended (`/compact` between prompts) belongs to the session, not that turn.
    const between = span.kind === 'compaction' && turn?.endTime !== undefined && turn.endTime < time;
    setParent(s, span, (turn && !between ? turn : s.root).id, false);
  }
}

/** The span a mark (a text, a notification) is recorded on. */
export function placeMark(s: BuilderState, e: Placement & { time: number }): SpanState {
  if (e.agentKey) return subagentSpan(s, e.agentKey, e.time);
  if (e.turnKey) return spanOf(s, 'turn', e.turnKey) ?? s.root;
  return turnAt(s, e.time) ?? s.root;
}

export function setParent(s: BuilderState, span: SpanState, parentId: string, fixed: boolean): void {
  if (span.parentFixed && !fixed) return;
  if (span.parentId !== parentId) {
    if (span.kind === 'generation') countCall(s, span.parentId, -1);
    span.parentId = parentId;
    if (span.kind === 'generation') countCall(s, parentId, 1);
    touch(s, span);
  }
  if (fixed) span.parentFixed = true;
}

/** Keeps each subagent's count of model calls (a subagent with none has no record of its work). */
function countCall(s: BuilderState, parentId: string | null, delta: number): void {
  const parent = parentId ? s.spans.get(parentId) : undefined;
  if (parent?.kind !== 'subagent') return;
  parent.calls = Math.max(0, (parent.calls ?? 0) + delta);
  changed(s, parent);
}

/** A subagent's span, created (and placed) when this is the first word of it. */
export function subagentSpan(s: BuilderState, key: string, time: number): SpanState {
  let span = spanOf(s, 'subagent', key);
  if (!span) {
    span = createSpan(s, 'subagent', key, null, time);
    placeSubagent(s, span, time, undefined);
  }
  return span;
}

/** A subagent without a named parent belongs to the open spawning tool (Task/Agent) that has none yet. */
export function placeSubagent(s: BuilderState, span: SpanState, time: number, agentType: string | undefined): void {
  const tool = findSpawningTool(s, agentType, span);
  if (tool) setParent(s, span, tool.id, false);
  else setParent(s, span, (turnAt(s, time) ?? s.root).id, false);
}

function findSpawningTool(s: BuilderState, agentType: string | undefined, subagent: SpanState): SpanState | undefined {
  const taken = new Set<string>();
  for (const span of s.order) if (span.kind === 'subagent' && span !== subagent && span.parentId) taken.add(span.parentId);
  let fallback: SpanState | undefined;
  for (let i = s.order.length - 1; i >= 0; i--) {
    const span = s.order[i]!;
    if (span.kind !== 'tool' || !span.name || !SPAWNING_TOOLS.has(span.name) || taken.has(span.id)) continue;
    if (span.endTime !== undefined && span.endTime < subagent.startTime) continue;
    const wanted = (span.input as Record<string, unknown> | undefined)?.subagent_type;
    if (agentType && wanted === agentType) return span;
    fallback ??= span;
  }
  return fallback;
}

/** A spawning tool may learn its subagent only now (or the subagent may have arrived first). */
export function adoptOrphanSubagents(s: BuilderState, tool: SpanState): void {
  for (const span of s.order) {
    if (span.kind !== 'subagent' || span.parentFixed) continue;
    const parent = span.parentId ? s.spans.get(span.parentId) : undefined;
    if (parent?.kind === 'tool') continue;
    if (span.startTime >= tool.startTime && (tool.endTime === undefined || span.startTime <= tool.endTime)) {
      const wanted = (tool.input as Record<string, unknown> | undefined)?.subagent_type;
      if (!span.name || !wanted || wanted === span.name) {
        setParent(s, span, tool.id, false);
        return;
      }
    }
  }
}
