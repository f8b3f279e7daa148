import type { Attributes, GenerationOutput, Usage } from '../events/types.js';
import { conventionFinishReason, isMessageList, type ChatMessage, type MessagePart, type OutputMessage } from './messages.js';
import type { CallCost } from './pricing.js';
import type { SpanKind, TraceSpan } from './trace.js';

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
  f: { name?: string; callId: string; toolType?: string; errorType?: string },
): Attributes {
  const a: Attributes = {
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.call.id': f.callId,
    'gen_ai.conversation.id': sessionId,
    'session.id': sessionId,
    'openinference.span.kind': 'TOOL',
  };
  if (f.name) {
    a['gen_ai.tool.name'] = f.name;
    a['gen_ai.tool.type'] = f.toolType ?? (f.name.startsWith('mcp__') ? 'extension' : 'function');
    a['tool.name'] = f.name;
  } else {
    // A result whose call was never recorded (a transcript cut short): said so, not named "unknown".
    a['agent_trace.tool.orphan_result'] = true;
  }
  if (f.errorType) a['error.type'] = f.errorType;
  return a;
}

export function subagentAttributes(sessionId: string, f: { agentType: string; agentId: string; provider?: string; agentVersion?: string }): Attributes {
  const a: Attributes = {
    'gen_ai.operation.name': 'invoke_agent',
    'gen_ai.agent.name': f.agentType,
    'gen_ai.agent.id': f.agentId,
    'gen_ai.conversation.id': sessionId,
    'session.id': sessionId,
    'openinference.span.kind': 'AGENT',
  };
  if (f.provider) a['gen_ai.provider.name'] = f.provider;
  if (f.agentVersion) a['gen_ai.agent.version'] = f.agentVersion;
  return a;
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
/** Each text of a message list is cut here, so the list stays valid JSON and within collector limits. */
const MAX_PART_TEXT = 16_384;

function cut(text: string, max = MAX_CONTENT_ATTRIBUTE): string {
  return text.length > max ? `${text.slice(0, max)}…[truncated]` : text;
}

function asText(value: unknown): string {
  return cut(typeof value === 'string' ? value : JSON.stringify(value));
}

/** The span a tool call id names, for filling in tool results and arguments. */
export type ToolCallLookup = (callId: string) => Pick<TraceSpan, 'input' | 'output' | 'status' | 'statusMessage'> | undefined;

export interface ContentSpan {
  kind: SpanKind;
  input?: unknown;
  output?: unknown;
  status?: TraceSpan['status'];
  statusMessage?: string;
  attributes?: Attributes;
  events?: TraceSpan['events'];
}

/**
 * Content attributes for exporters, made from a span's `input`/`output` at export time:
 * - model calls: `gen_ai.input.messages` / `gen_ai.output.messages` (GenAI parts) and the OpenInference
 *   `llm.input_messages.*` / `llm.output_messages.*` — and no `input.value`/`output.value`, which Langfuse would
 *   read first and show instead of the conversation;
 * - tools: `gen_ai.tool.call.arguments`, and `gen_ai.tool.call.result` only when the tool succeeded (a failure
 *   goes out as `error.message`), plus `input.value`/`output.value`;
 * - everything else: `input.value`/`output.value`;
 * - every span: interrupts and permission waits as attributes too (Langfuse drops span events).
 */
export function contentAttributes(span: ContentSpan, toolCall?: ToolCallLookup): Attributes {
  const a: Attributes = {};
  const { kind, input, output } = span;
  if (kind === 'generation') Object.assign(a, messageAttributes(span, toolCall));
  else {
    if (input !== undefined) {
      a['input.value'] = asText(input);
      a['input.mime_type'] = typeof input === 'string' ? 'text/plain' : 'application/json';
    }
    if (output !== undefined) {
      a['output.value'] = asText(output);
      a['output.mime_type'] = typeof output === 'string' ? 'text/plain' : 'application/json';
    }
  }
  if (kind === 'tool') {
    if (input !== undefined) a['gen_ai.tool.call.arguments'] = asText(input);
    if (span.status === 'error') {
      const message = span.statusMessage ?? (output !== undefined ? asText(output) : undefined);
      if (message) a['error.message'] = cut(message);
    } else if (output !== undefined && (span.status === undefined || span.status === 'ok') && span.attributes?.['agent_trace.interrupted'] !== true) {
      // Only a tool that finished gives a result; one that was interrupted or rejected gave none.
      a['gen_ai.tool.call.result'] = asText(output);
    }
  }
  Object.assign(a, markAttributes(span.events));
  return a;
}

/** Interrupts and permission waits, counted (and the last message kept) as attributes. */
function markAttributes(events: TraceSpan['events']): Attributes {
  const a: Attributes = {};
  let interrupts = 0;
  let permissions = 0;
  for (const e of events ?? []) {
    if (e.name === 'interrupt' || e.name === 'interrupted') {
      interrupts++;
      const m = e.attributes?.message ?? e.attributes?.reason;
      if (typeof m === 'string') a['agent_trace.interrupt.message'] = cut(m, 1024);
    } else if (e.name === 'permission_request') {
      permissions++;
      const m = e.attributes?.message;
      if (typeof m === 'string') a['agent_trace.permission.message'] = cut(m, 1024);
    }
  }
  if (interrupts) a['agent_trace.interrupts'] = interrupts;
  if (permissions) a['agent_trace.permission_requests'] = permissions;
  return a;
}

function partText(text: string): string {
  return cut(text, MAX_PART_TEXT);
}

function toolResultOf(id: string, toolCall: ToolCallLookup | undefined): unknown {
  const tool = toolCall?.(id);
  if (!tool) return '[result not recorded]';
  if (tool.status === 'error') return partText(`Error: ${tool.statusMessage ?? (typeof tool.output === 'string' ? tool.output : 'tool error')}`);
  if (tool.output === undefined) return '[no result]';
  return partText(typeof tool.output === 'string' ? tool.output : JSON.stringify(tool.output));
}

function inputMessages(input: unknown, toolCall: ToolCallLookup | undefined): ChatMessage[] {
  if (input === undefined) return [];
  if (isMessageList(input)) {
    return input.map((m) => ({
      role: m.role,
      parts: m.parts.map((p) => {
        if (p.type === 'tool_call_response' && typeof p.id === 'string' && (p as { response?: unknown }).response === undefined) {
          return { type: 'tool_call_response', id: p.id, response: toolResultOf(p.id, toolCall) };
        }
        if ((p.type === 'text' || p.type === 'reasoning') && typeof p.content === 'string') return { ...p, content: partText(p.content) };
        return p;
      }),
    }));
  }
  return [{ role: 'user', parts: [{ type: 'text', content: partText(typeof input === 'string' ? input : JSON.stringify(input)) }] }];
}

function outputMessages(span: ContentSpan, toolCall: ToolCallLookup | undefined): OutputMessage[] {
  const out = span.output;
  if (out === undefined) return [];
  const parts: MessagePart[] = [];
  if (out && typeof out === 'object' && !Array.isArray(out)) {
    const g = out as GenerationOutput;
    if (g.thinking) parts.push({ type: 'reasoning', content: partText(g.thinking) });
    if (g.text) parts.push({ type: 'text', content: partText(g.text) });
    for (const c of g.toolCalls ?? []) {
      const args = toolCall?.(c.id)?.input;
      parts.push({ type: 'tool_call', id: c.id, name: c.name, ...(args !== undefined ? { arguments: args } : {}) });
    }
    if (!parts.length) parts.push({ type: 'text', content: partText(JSON.stringify(out)) });
  } else parts.push({ type: 'text', content: partText(typeof out === 'string' ? out : JSON.stringify(out)) });
  const reasons = span.attributes?.['gen_ai.response.finish_reasons'];
  const reason = Array.isArray(reasons) && typeof reasons[0] === 'string' ? reasons[0] : span.status === 'error' ? 'error' : undefined;
  return [{ role: 'assistant', parts, finish_reason: conventionFinishReason(reason) }];
}

function messageAttributes(span: ContentSpan, toolCall: ToolCallLookup | undefined): Attributes {
  const a: Attributes = {};
  const input = inputMessages(span.input, toolCall);
  const output = outputMessages(span, toolCall);
  if (input.length) a['gen_ai.input.messages'] = JSON.stringify(input);
  if (output.length) a['gen_ai.output.messages'] = JSON.stringify(output);
  // OpenInference flattens each message: role, text content, tool call id / tool calls with their arguments.
  let i = 0;
  for (const m of input) {
    for (const p of m.parts) {
      const k = `llm.input_messages.${i}.message`;
      if (p.type === 'tool_call_response') {
        a[`${k}.role`] = 'tool';
        a[`${k}.tool_call_id`] = String(p.id);
        const r = (p as { response?: unknown }).response;
        a[`${k}.content`] = typeof r === 'string' ? r : JSON.stringify(r ?? null);
        i++;
      } else if (p.type === 'text' && typeof p.content === 'string') {
        a[`${k}.role`] = m.role;
        a[`${k}.content`] = p.content;
        i++;
      }
    }
  }
  output.forEach((m, j) => {
    const k = `llm.output_messages.${j}.message`;
    a[`${k}.role`] = m.role;
    const text = m.parts.filter((p) => p.type === 'text').map((p) => p.content as string).join('\n');
    if (text) a[`${k}.content`] = text;
    let t = 0;
    for (const p of m.parts) {
      if (p.type !== 'tool_call') continue;
      const tk = `${k}.tool_calls.${t++}.tool_call`;
      a[`${tk}.id`] = String(p.id);
      a[`${tk}.function.name`] = String(p.name);
      if (p.arguments !== undefined) a[`${tk}.function.arguments`] = typeof p.arguments === 'string' ? p.arguments : JSON.stringify(p.arguments);
    }
  });
  return a;
}
