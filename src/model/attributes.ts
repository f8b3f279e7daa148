import type { Attributes, Usage } from '../events/types.js';
import type { CallCost } from './pricing.js';
import type { SpanKind } from './trace.js';

/**
 * GenAI (OpenTelemetry) and OpenInference attribute sets for each span kind. Content (prompts, tool
 * arguments, results) lives in the span's `input`/`output` fields of trace.json and is turned into
 * `input.value`/`output.value`-style attributes only at export time (see `contentAttributes`), so the
 * document never stores it twice.
 */

export interface SessionFacts {
  sessionId: string;
  agentName: string;
  agentVersion?: string;
  provider?: string;
  agentPid?: number;
  cwd?: string;
}

export function sessionAttributes(f: SessionFacts): Attributes {
  const a: Attributes = {
    'gen_ai.operation.name': 'invoke_agent',
    'gen_ai.agent.name': f.agentName,
    'gen_ai.conversation.id': f.sessionId,
    'session.id': f.sessionId,
    'openinference.span.kind': 'AGENT',
  };
  if (f.provider) a['gen_ai.provider.name'] = f.provider;
  if (f.agentVersion) a['gen_ai.agent.version'] = f.agentVersion;
  if (f.cwd) a['agent_trace.cwd'] = f.cwd;
  if (f.agentPid !== undefined) a['agent_trace.agent_pid'] = f.agentPid;
  return a;
}

export function turnAttributes(sessionId: string, ordinal: number): Attributes {
  return {
    'gen_ai.conversation.id': sessionId,
    'session.id': sessionId,
    'openinference.span.kind': 'CHAIN',
    'agent_trace.turn': ordinal,
  };
}

export interface GenerationFacts {
  model?: string;
  provider?: string;
  responseId?: string;
  finishReasons?: string[];
  usage?: Usage;
  cost?: CallCost;
  /** Whether the response called tools and whether it finished: what an inferred finish reason rests on. */
  calledTools?: boolean;
  finished?: boolean;
}

/**
 * A finish reason when the source wrote none (Claude Code writes `stop_reason: null` on most lines): a
 * response that called tools stopped for them, any other finished one ended its turn. Marked as inferred.
 */
function inferredFinishReason(provider: string | undefined, calledTools: boolean): string {
  if (provider === 'anthropic') return calledTools ? 'tool_use' : 'end_turn';
  return calledTools ? 'tool_calls' : 'stop';
}

/** `gen_ai.usage.input_tokens` includes cached tokens; the `Usage` record keeps them apart, as providers bill. */
export function generationAttributes(sessionId: string, f: GenerationFacts): Attributes {
  const a: Attributes = {
    'gen_ai.operation.name': 'chat',
    'gen_ai.conversation.id': sessionId,
    'session.id': sessionId,
    'openinference.span.kind': 'LLM',
  };
  if (f.provider) {
    a['gen_ai.provider.name'] = f.provider;
    a['llm.provider'] = f.provider;
  }
  if (f.model) {
    a['gen_ai.request.model'] = f.model;
    a['gen_ai.response.model'] = f.model;
    a['llm.model_name'] = f.model;
  }
  if (f.responseId) a['gen_ai.response.id'] = f.responseId;
  if (f.finishReasons?.length) a['gen_ai.response.finish_reasons'] = f.finishReasons;
  else if (f.finished) {
    a['gen_ai.response.finish_reasons'] = [inferredFinishReason(f.provider, f.calledTools ?? false)];
    a['agent_trace.finish_reasons.inferred'] = true;
  }
  if (f.usage) {
    const u = f.usage;
    const cacheRead = u.cacheRead ?? 0;
    const cacheWrite = u.cacheWrite ?? 0;
    const prompt = (u.input ?? 0) + cacheRead + cacheWrite;
    const completion = u.output ?? 0;
    a['gen_ai.usage.input_tokens'] = prompt;
    a['gen_ai.usage.output_tokens'] = completion;
    a['gen_ai.usage.cache_read.input_tokens'] = cacheRead;
    a['gen_ai.usage.cache_creation.input_tokens'] = cacheWrite;
    if (u.reasoning) a['gen_ai.usage.reasoning.output_tokens'] = u.reasoning;
    a['llm.token_count.prompt'] = prompt;
    a['llm.token_count.completion'] = completion;
    a['llm.token_count.total'] = prompt + completion;
    a['llm.token_count.prompt_details.cache_read'] = cacheRead;
    a['llm.token_count.prompt_details.cache_write'] = cacheWrite;
    if (cacheWrite) {
      // Kept apart because they are billed apart (5 minutes: 1.25× input, 1 hour: 2×).
      a['agent_trace.usage.cache_creation.5m.input_tokens'] = cacheWrite - (u.cacheWrite1h ?? 0);
      a['agent_trace.usage.cache_creation.1h.input_tokens'] = u.cacheWrite1h ?? 0;
    }
    if (u.reasoning) a['llm.token_count.completion_details.reasoning'] = u.reasoning;
  }
  if (f.cost) {
    const usd = (n: number) => Math.round(n * 1e9) / 1e9;
    a['gen_ai.usage.cost'] = usd(f.cost.usd);
    a['llm.cost.total'] = usd(f.cost.usd);
    a['llm.cost.prompt'] = usd(f.cost.inputUsd);
    a['llm.cost.completion'] = usd(f.cost.outputUsd);
    a['agent_trace.cost.basis'] = f.cost.basis;
    a['agent_trace.cost.priced_as'] = f.cost.pricedAs;
  }
  return a;
}

export function toolAttributes(
  sessionId: string,
  f: { name: string; callId: string; toolType?: string; errorType?: string },
): Attributes {
  const a: Attributes = {
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.name': f.name,
    'gen_ai.tool.call.id': f.callId,
    'gen_ai.tool.type': f.toolType ?? (f.name.startsWith('mcp__') ? 'extension' : 'function'),
    'gen_ai.conversation.id': sessionId,
    'session.id': sessionId,
    'openinference.span.kind': 'TOOL',
    'tool.name': f.name,
  };
  if (f.errorType) a['error.type'] = f.errorType;
  return a;
}

export function subagentAttributes(sessionId: string, f: { agentType: string; agentId: string }): Attributes {
  return {
    'gen_ai.operation.name': 'invoke_agent',
    'gen_ai.agent.name': f.agentType,
    'gen_ai.agent.id': f.agentId,
    'gen_ai.conversation.id': sessionId,
    'session.id': sessionId,
    'openinference.span.kind': 'AGENT',
  };
}

export function compactionAttributes(
  sessionId: string,
  f: { trigger?: string; tokensBefore?: number; tokensAfter?: number },
): Attributes {
  const a: Attributes = {
    'gen_ai.conversation.id': sessionId,
    'session.id': sessionId,
    'openinference.span.kind': 'CHAIN',
  };
  if (f.trigger) a['agent_trace.compaction.trigger'] = f.trigger;
  if (f.tokensBefore !== undefined) a['agent_trace.compaction.tokens_before'] = f.tokensBefore;
  if (f.tokensAfter !== undefined) a['agent_trace.compaction.tokens_after'] = f.tokensAfter;
  return a;
}

const MAX_CONTENT_ATTRIBUTE = 32_768;

function asText(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > MAX_CONTENT_ATTRIBUTE ? `${text.slice(0, MAX_CONTENT_ATTRIBUTE)}…[truncated]` : text;
}

/** Content attributes for exporters: OpenInference `input.value`/`output.value` plus the GenAI tool fields. */
export function contentAttributes(kind: SpanKind, input: unknown, output: unknown): Attributes {
  const a: Attributes = {};
  if (input !== undefined) {
    a['input.value'] = asText(input);
    a['input.mime_type'] = typeof input === 'string' ? 'text/plain' : 'application/json';
  }
  if (output !== undefined) {
    a['output.value'] = asText(output);
    a['output.mime_type'] = typeof output === 'string' ? 'text/plain' : 'application/json';
  }
  if (kind === 'tool') {
    if (input !== undefined) a['gen_ai.tool.call.arguments'] = asText(input);
    if (output !== undefined) a['gen_ai.tool.call.result'] = asText(output);
  }
  return a;
}
