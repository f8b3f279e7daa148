import type { PriceTable } from '../../src/model/pricing.js';
import { toolSummary } from './content.js';
import { fmtTokens, oneLine, shortModel } from './format.js';
import { generationOutput, modelOf, toolName, usageOf, type SpanNode, type TraceHeader, type TraceSpan } from './model.js';

/** How a span is named in the tree, the chat and the detail panel. */
export function spanTitle(span: TraceSpan, header?: TraceHeader): string {
  switch (span.kind) {
    case 'session':
      return header ? `${header.agent.name}${header.agent.version ? ` ${header.agent.version}` : ''}` : span.name;
    case 'turn': {
      const n = span.attributes['agent_trace.turn'];
      return typeof n === 'number' ? `Turn ${n}` : span.name;
    }
    case 'generation': {
      const m = modelOf(span);
      return m ? shortModel(m) : 'model call';
    }
    case 'tool':
      return toolName(span);
    case 'subagent': {
      const a = span.attributes['gen_ai.agent.name'];
      return `${typeof a === 'string' ? a : span.name.replace(/^invoke_agent /, '')} subagent`;
    }
    case 'compaction':
      return 'Compaction';
    default:
      return span.name;
  }
}

/** The dim second part of a span's name: prompt, tokens, command, file … */
export function spanSubtitle(span: TraceSpan, header?: TraceHeader): string {
  switch (span.kind) {
    case 'session':
      return typeof span.input === 'string' ? oneLine(span.input, 100) : (header?.title ?? '');
    case 'turn':
      return typeof span.input === 'string' ? oneLine(span.input, 100) : '';
    case 'generation': {
      const u = usageOf(span);
      const out = generationOutput(span);
      const parts: string[] = [];
      if (u) parts.push(`${fmtTokens(u.input + u.cacheRead + u.cacheWrite)} → ${fmtTokens(u.output)} tokens`);
      if (out.toolCalls?.length) parts.push(`calls ${out.toolCalls.map((c) => c.name).join(', ')}`);
      else if (out.text) parts.push(oneLine(out.text, 60));
      return parts.join(' · ');
    }
    case 'tool':
      return toolSummary(toolName(span), span.input, header?.cwd);
    case 'subagent':
      return typeof span.input === 'string' ? oneLine(span.input, 100) : '';
    case 'compaction': {
      const trig = span.attributes['agent_trace.compaction.trigger'];
      const before = span.attributes['agent_trace.compaction.tokens_before'];
      const after = span.attributes['agent_trace.compaction.tokens_after'];
      const parts: string[] = [];
      if (typeof trig === 'string') parts.push(trig);
      if (typeof before === 'number') parts.push(`${fmtTokens(before)}${typeof after === 'number' ? ` → ${fmtTokens(after)}` : ''} tokens`);
      return parts.join(' · ');
    }
    default:
      return '';
  }
}

/** The cost the trace computed for a model call (`gen_ai.usage.cost`), when it had a price. */
export function spanCost(span: TraceSpan, _prices?: PriceTable): number | undefined {
  if (span.kind !== 'generation') return undefined;
  const usd = span.attributes['gen_ai.usage.cost'] ?? span.attributes['llm.cost.total'];
  return typeof usd === 'number' && Number.isFinite(usd) ? usd : undefined;
}

/** Every descendant of a node, depth first. */
export function* descendants(node: SpanNode): Generator<SpanNode> {
  const stack = [...node.children].reverse();
  const seen = new Set<SpanNode>();
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    yield n;
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
  }
}

export interface SubtreeStats {
  generations: number;
  tools: number;
  toolErrors: number;
  tokens: number;
  usd: number;
  priced: boolean;
  /** Some output counts are what had streamed when the source copied them (provisional). */
  provisional: boolean;
}

export function subtreeStats(node: SpanNode, prices: PriceTable | undefined): SubtreeStats {
  const stats: SubtreeStats = { generations: 0, tools: 0, toolErrors: 0, tokens: 0, usd: 0, priced: false, provisional: false };
  for (const n of descendants(node)) {
    if (n.span.kind === 'generation') {
      stats.generations++;
      const u = usageOf(n.span);
      if (u) stats.tokens += u.input + u.output + u.cacheRead + u.cacheWrite;
      if (n.span.attributes['agent_trace.usage.provisional'] === true) stats.provisional = true;
      const c = spanCost(n.span, prices);
      if (c !== undefined) {
        stats.usd += c;
        stats.priced = true;
      }
    } else if (n.span.kind === 'tool') {
      stats.tools++;
      if (n.span.status === 'error') stats.toolErrors++;
    }
  }
  return stats;
}

/**
 * A model call's cost by side, as the trace computed it (the price catalogue is not in the browser):
 * `input` (uncached input, cache reads and writes together), `output`, or the `total`.
 */
export function sideCost(span: TraceSpan, side: 'input' | 'output' | 'total'): number | undefined {
  const key = side === 'input' ? 'llm.cost.prompt' : side === 'output' ? 'llm.cost.completion' : 'gen_ai.usage.cost';
  const v = span.attributes[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
