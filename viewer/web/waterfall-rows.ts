import type { SpanNode } from './model.js';

/** The waterfall's rows from the span tree: pure functions, no DOM. */

/** Every span once, in document order (a node reachable twice, in hostile data, is listed once). */
export function depthFirst(roots: readonly SpanNode[]): SpanNode[] {
  const out: SpanNode[] = [];
  const stack = [...roots].reverse();
  const seen = new Set<SpanNode>();
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    out.push(n);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
  }
  return out;
}

/** The rows shown, in document order: collapsed spans hide their subtree; with `keep`, only the spans in it. */
export function flattenRows(roots: readonly SpanNode[], collapsed: ReadonlySet<string>, keep?: ReadonlySet<SpanNode>): SpanNode[] {
  const rows: SpanNode[] = [];
  const stack = [...roots].reverse();
  const seen = new Set<SpanNode>();
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    if (keep && !keep.has(n)) continue;
    rows.push(n);
    if (collapsed.has(n.id)) continue;
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
  }
  return rows;
}

/** The matches and their ancestors: what "only matches" keeps, so every match is shown in its place in the tree. */
export function withAncestors(matches: readonly SpanNode[]): Set<SpanNode> {
  const keep = new Set<SpanNode>();
  for (const n of matches) {
    for (let p: SpanNode | null = n; p && !keep.has(p); p = p.parent) keep.add(p);
  }
  return keep;
}
