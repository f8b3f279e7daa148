/**
 * Model-call messages in the OpenTelemetry GenAI "parts" shape (`gen_ai.input.messages` /
 * `gen_ai.output.messages`): a message is `{role, parts}`, a part is text, reasoning, a tool call with its
 * arguments, a tool call's response, or a media placeholder.
 *
 * In trace.json a generation's derived input names the tool results it received by call id only
 * (`{type: 'tool_call_response', id}`): the result itself stays once, on its tool span, and exporters fill it
 * in (`response`) when they send the span.
 */

export type MessageRole = 'system' | 'user' | 'assistant' | 'tool';

/** `text` and `reasoning` carry `content`; `tool_call` an `id`, `name` and `arguments`; `tool_call_response` an `id` and `response`. */
export interface MessagePart {
  type: 'text' | 'reasoning' | 'tool_call' | 'tool_call_response' | 'uri' | 'blob' | (string & {});
  content?: string;
  id?: string;
  name?: string;
  arguments?: unknown;
  response?: unknown;
  [field: string]: unknown;
}

export interface ChatMessage {
  role: MessageRole;
  parts: MessagePart[];
}

export interface OutputMessage extends ChatMessage {
  finish_reason: string;
}

/** Whether a value is a list of GenAI messages (what the reducer derives, or an SDK passed in). */
export function isMessageList(value: unknown): value is ChatMessage[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((m) => m && typeof m === 'object' && typeof (m as ChatMessage).role === 'string' && Array.isArray((m as ChatMessage).parts))
  );
}

/** Provider finish reasons → the conventions' values (`stop`, `length`, `tool_call`, `content_filter`, `error`). */
export function conventionFinishReason(reason: string | undefined): string {
  switch ((reason ?? '').toLowerCase()) {
    case '':
    case 'end_turn':
    case 'stop':
    case 'stop_sequence':
    case 'pause_turn':
      return 'stop';
    case 'tool_use':
    case 'tool_calls':
    case 'tool-calls':
    case 'function_call':
      return 'tool_call';
    case 'max_tokens':
    case 'length':
    case 'model_context_window_exceeded':
      return 'length';
    case 'refusal':
    case 'content_filter':
    case 'safety':
      return 'content_filter';
    default:
      return reason!;
  }
}
