import type { AgentEvent } from '../../events/types.js';
import type { HookContext, HookMapper } from '../hook-types.js';
import { AGENT_NAME, normalizePrompt, noticeOf } from './prompt.js';

/**
 * Claude Code hook payloads (the JSON on the hook's stdin) as normalized events. Pure and cheap: this runs
 * on every tool call. Every field may be missing (payloads differ between versions); tool calls are keyed
 * by `tool_use_id`, so parallel hook processes and the transcript all land on the same spans.
 *
 * The events a hook needs the transcript for (model calls, tokens, assistant text) are not here: see
 * `ingest.ts`, which the hook command runs on the events listed in `HEAVY_EVENTS`.
 */

/** Events after which the transcript is read and trace.json rewritten (never a tool hook). */
export const HEAVY_EVENTS = new Set(['Stop', 'StopFailure', 'SubagentStop', 'SessionEnd', 'UserPromptSubmit', 'PreCompact', 'PostCompact', 'SessionStart']);
/** Events after which a configured OTLP export runs in the background. */
export const EXPORT_EVENTS = new Set(['Stop', 'StopFailure', 'SubagentStop', 'SessionEnd']);

type Payload = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

export function hookEventName(payload: Payload): string | undefined {
  return str(payload.hook_event_name) ?? str(payload.hookEventName) ?? str(payload.event);
}

export function hookSessionId(payload: Payload): string | undefined {
  return str(payload.session_id) ?? str(payload.sessionId);
}

/** Where a tool call happened: inside a subagent when the payload says so (newer versions). */
function placement(p: Payload): { agentKey?: string } {
  const agent = str(p.agent_id);
  return agent && hookEventName(p) !== 'SubagentStart' && hookEventName(p) !== 'SubagentStop' ? { agentKey: agent } : {};
}

function toolKey(p: Payload): string | undefined {
  return str(p.tool_use_id) ?? str(p.toolUseId) ?? str(p.tool_call_id);
}

/** `{ [name]: v }` when `v` is a non-empty string, else nothing: an optional string field from the payload. */
function strField<K extends string>(name: K, v: unknown): { [P in K]?: string } {
  const s = str(v);
  return s === undefined ? {} : ({ [name]: s } as { [P in K]?: string });
}

function errorText(v: unknown): string | undefined {
  if (typeof v === 'string') return v || undefined;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return str(o.message) ?? JSON.stringify(v);
  }
  return undefined;
}

/** Large, redundant parts of a tool response (the whole original file of an edit) are dropped. */
function toolOutput(response: unknown): unknown {
  if (!response || typeof response !== 'object' || Array.isArray(response)) return response;
  const { originalFile: _originalFile, ...rest } = response as Record<string, unknown>;
  return rest;
}

export const mapHook: HookMapper = (payload: Payload, context: HookContext): AgentEvent[] => {
  const sessionId = hookSessionId(payload);
  const event = hookEventName(payload);
  if (!sessionId || !event) return [];
  const time = context.now;
  const base = { sessionId, time, source: 'hook' as const };
  const out: AgentEvent[] = [];
  const cwd = str(payload.cwd);
  switch (event) {
    case 'SessionStart':
      out.push({
        ...base,
        type: 'session.start',
        agent: { name: AGENT_NAME },
        provider: 'anthropic',
        ...strField('reason', payload.source),
        ...(cwd ? { cwd } : {}),
        ...strField('model', payload.model),
        ...(context.agentPid !== undefined ? { agentPid: context.agentPid } : {}),
      });
      break;
    case 'UserPromptSubmit': {
      const raw = typeof payload.prompt === 'string' ? payload.prompt : '';
      const notice = noticeOf(raw);
      if (notice) {
        // Not the person's words: a notice turn (not counted), keyed as the transcript keys it.
        out.push({ ...base, type: 'turn.start', key: notice.key, prompt: notice.text, attributes: { 'agent_trace.notice': notice.kind } });
        break;
      }
      out.push({ ...base, type: 'turn.start', prompt: normalizePrompt(raw) });
      break;
    }
    case 'PermissionDenied': {
      // A tool call refused before it ran (auto mode's classifier): stopped, not failed.
      const key = toolKey(payload);
      if (!key) break;
      const reason = str(payload.reason) ?? 'permission denied';
      out.push({
        ...base,
        type: 'tool.end',
        key,
        ...strField('name', payload.tool_name),
        ...(payload.tool_input !== undefined ? { input: payload.tool_input } : {}),
        error: reason,
        errorType: 'interrupted' as const,
        ...placement(payload),
      });
      break;
    }
    case 'PreToolUse': {
      const key = toolKey(payload);
      const name = str(payload.tool_name) ?? 'unknown';
      if (!key) break;
      out.push({
        ...base,
        type: 'tool.start',
        key,
        name,
        ...(payload.tool_input !== undefined ? { input: payload.tool_input } : {}),
        toolType: name.startsWith('mcp__') ? 'extension' : 'function',
        ...placement(payload),
      });
      break;
    }
    case 'PostToolUse':
    case 'PostToolUseFailure': {
      const key = toolKey(payload);
      if (!key) break;
      const failed = event === 'PostToolUseFailure';
      const error = failed ? errorText(payload.error) ?? 'tool failed' : undefined;
      out.push({
        ...base,
        type: 'tool.end',
        key,
        ...strField('name', payload.tool_name),
        ...(payload.tool_input !== undefined ? { input: payload.tool_input } : {}),
        ...(!failed && payload.tool_response !== undefined ? { output: toolOutput(payload.tool_response) } : {}),
        ...(failed ? { error, errorType: payload.is_interrupt === true ? ('interrupted' as const) : ('tool_error' as const) } : {}),
        ...placement(payload),
      });
      break;
    }
    case 'PermissionRequest': {
      const input = payload.tool_input;
      out.push({
        ...base,
        type: 'permission',
        ...strField('toolName', payload.tool_name),
        ...(toolKey(payload) ? { toolKey: toolKey(payload) } : {}),
        ...(input !== undefined ? { message: typeof input === 'string' ? input : JSON.stringify(input) } : {}),
        ...(str(payload.permission_mode) ? { attributes: { 'agent_trace.permission_mode': payload.permission_mode as string } } : {}),
        ...placement(payload),
      });
      break;
    }
    case 'Notification':
      out.push({
        ...base,
        type: 'notification',
        ...strField('message', payload.message),
        ...(str(payload.notification_type) ? { attributes: { 'agent_trace.notification_type': payload.notification_type as string } } : {}),
      });
      break;
    case 'SubagentStart': {
      const key = str(payload.agent_id);
      if (!key) break;
      out.push({ ...base, type: 'subagent.start', key, ...strField('agentType', payload.agent_type) });
      break;
    }
    case 'SubagentStop': {
      const key = str(payload.agent_id);
      if (!key) break;
      out.push({
        ...base,
        type: 'subagent.end',
        key,
        status: 'ok',
        ...strField('agentType', payload.agent_type),
        ...strField('output', payload.last_assistant_message),
      });
      break;
    }
    case 'PreCompact':
      out.push({
        ...base,
        type: 'compaction.start',
        ...(context.compactionKey ? { key: context.compactionKey } : {}),
        ...(str(payload.trigger) ?? str(payload.compact_trigger) ? { trigger: str(payload.trigger) ?? str(payload.compact_trigger) } : {}),
      });
      break;
    case 'PostCompact':
      out.push({
        ...base,
        type: 'compaction.end',
        ...(context.compactionKey ? { key: context.compactionKey } : {}),
        ...strField('trigger', payload.trigger),
        ...strField('summary', payload.compact_summary),
      });
      break;
    case 'Stop':
      out.push({
        ...base,
        type: 'turn.end',
        status: 'ok',
        ...strField('output', payload.last_assistant_message),
      });
      break;
    case 'StopFailure': {
      const error = errorText(payload.error) ?? 'the turn ended on an API error';
      const details = errorText(payload.error_details);
      out.push({ ...base, type: 'api.error', message: details ? `${error}: ${details}` : error });
      out.push({ ...base, type: 'turn.end', status: 'error', reason: error });
      break;
    }
    case 'SessionEnd':
      out.push({ ...base, type: 'session.end', status: 'completed', ...strField('reason', payload.reason) });
      break;
    default:
      break;
  }
  return out;
};

declare module '../hook-types.js' {
  interface HookContext {
    /** The compaction key the hook computed from the transcript (PreCompact/PostCompact). */
    compactionKey?: string;
  }
}
