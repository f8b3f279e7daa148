import type { Attributes, Usage } from '../events/types.js';
import { cleanUsage } from './builder-content.js';
import type { SpanKind } from './trace.js';

/** Reading spans of an OpenTelemetry SDK pipeline (GenAI and OpenInference conventions). */

export function isAgentSpan(attributes: Attributes): boolean {
  const op = attributes['gen_ai.operation.name'];
  return op === 'invoke_agent' || op === 'create_agent' || attributes['openinference.span.kind'] === 'AGENT';
}

/** The span kind of a GenAI or OpenInference span; undefined for spans with no agent meaning. */
export function otelKind(attributes: Attributes): SpanKind | undefined {
  const op = attributes['gen_ai.operation.name'];
  const oi = attributes['openinference.span.kind'];
  if (op === 'chat' || op === 'text_completion' || op === 'generate_content' || oi === 'LLM') return 'generation';
  if (op === 'execute_tool' || oi === 'TOOL') return 'tool';
  if (isAgentSpan(attributes)) return 'subagent';
  if (oi === 'CHAIN') return 'turn';
  return undefined;
}

export function usageFromAttributes(a: Attributes): Usage {
  const num = (k: string) => (typeof a[k] === 'number' ? (a[k] as number) : 0);
  const cacheRead = num('gen_ai.usage.cache_read.input_tokens') || num('llm.token_count.prompt_details.cache_read');
  const cacheWrite = num('gen_ai.usage.cache_creation.input_tokens') || num('llm.token_count.prompt_details.cache_write');
  const prompt = num('gen_ai.usage.input_tokens') || num('llm.token_count.prompt');
  return cleanUsage({
    input: Math.max(0, prompt - cacheRead - cacheWrite),
    output: num('gen_ai.usage.output_tokens') || num('llm.token_count.completion'),
    cacheRead,
    cacheWrite,
  });
}
