import type { SpanNode } from './model.js';

export type WaitKind = 'model' | 'tool' | 'permission' | 'other';

export interface TurnWaits {
  total: number;
  /** Milliseconds of the turn spent waiting on each kind (they add up to `total`). */
  by: Record<WaitKind, number>;
  /** The spans the turn waited on longest (on its critical path), longest first. */
  longest: Array<{ node: SpanNode; kind: WaitKind; ms: number }>;
}

const PRIORITY: WaitKind[] = ['permission', 'model', 'tool'];

/**
 * What a turn waited on, moment by moment: a permission prompt while one is open, else a model call while one
 * runs, else a tool; anything else (hooks, the agent's own work, the person) is "other". Parallel tool calls
 * count once. The spans that held the turn longest are its critical path.
 */
export function turnWaits(turn: SpanNode, now: number): TurnWaits {
  const start = turn.span.startTime;
  const end = turn.span.endTime ?? now;
  const intervals: Array<{ from: number; to: number; kind: WaitKind; node: SpanNode }> = [];
  const stack = [...turn.children];
  while (stack.length) {
    const n = stack.pop()!;
    const sp = n.span;
    const to = Math.min(end, sp.endTime ?? now);
    const from = Math.max(start, sp.startTime);
    if (sp.kind === 'generation' && to > from) intervals.push({ from, to, kind: 'model', node: n });
    if (sp.kind === 'tool' && to > from) {
      intervals.push({ from, to, kind: 'tool', node: n });
      for (const e of sp.events ?? []) {
        if (e.name === 'permission_request' && e.time < to) intervals.push({ from: Math.max(from, e.time), to, kind: 'permission', node: n });
      }
    }
    stack.push(...n.children);
  }
  const points = [...new Set([start, end, ...intervals.flatMap((i) => [i.from, i.to])])].filter((t) => t >= start && t <= end).sort((a, b) => a - b);
  const by: Record<WaitKind, number> = { model: 0, tool: 0, permission: 0, other: 0 };
  const held = new Map<SpanNode, { kind: WaitKind; ms: number }>();
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i]!;
    const b = points[i + 1]!;
    const active = intervals.filter((x) => x.from <= a && x.to >= b);
    const kind = PRIORITY.find((k) => active.some((x) => x.kind === k)) ?? 'other';
    by[kind] += b - a;
    if (kind !== 'other') {
      // the longest-running span of that kind holds this stretch
      const holder = active.filter((x) => x.kind === kind).sort((x, y) => y.to - y.from - (x.to - x.from))[0]!;
      const h = held.get(holder.node) ?? { kind, ms: 0 };
      h.ms += b - a;
      held.set(holder.node, h);
    }
  }
  const longest = [...held.entries()].map(([node, v]) => ({ node, kind: v.kind, ms: v.ms })).sort((a, b) => b.ms - a.ms).slice(0, 5);
  return { total: Math.max(0, end - start), by, longest };
}
