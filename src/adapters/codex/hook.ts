import type { AgentEvent } from '../../events/types.js';
import type { HookContext, HookMapper } from '../hook-types.js';
import { codexToolFailure, isSyntheticPrompt } from './import.js';
import { arr, nonEmpty, num, rec, str, textOf, toMillis, type Rec } from './util.js';

/**
 * Codex CLI hooks (`~/.codex/hooks.json` or `[hooks]` in config.toml): Claude-like payloads —
 * `session_id`, `transcript_path`, `cwd`, `hook_event_name`, plus Codex's `model` and `turn_id` — for
 * SessionStart, UserPromptSubmit, PreToolUse, PermissionRequest, PostToolUse, PreCompact, PostCompact,
 * SubagentStart, SubagentStop, Stop and StopFailure. Also the legacy `notify` program payload
 * (`{"type": "agent-turn-complete", "thread-id", "turn-id", "input-messages", "last-assistant-message"}`).
 *
 * Keys: tool spans by `tool_use_id` (Codex's call id, the same one the rollout records), turns by `turn_id`
 * (newer rollouts record it too), so hook events and an imported rollout land on the same spans. Names and
 * inputs follow the rollout: the hooks call the shell tool `Bash {command}` and the patch tool
 * `apply_patch {command}`, the rollout `exec_command {cmd}` and `apply_patch <patch text>`.
 *
 * Codex 0.17x sends SessionStart, UserPromptSubmit, PreToolUse, PermissionRequest, PostToolUse, PreCompact,
 * PostCompact, SubagentStart, SubagentStop, Stop, Interrupt and SessionEnd (the last two from the TUI).
 * PostToolUse carries only the output text, so whether a command failed (its exit code, a policy rejection)
 * is known from the rollout alone.
 */

/** What the rollout records on its own: with the rollout at hand, the hooks add only what it lacks. */
export const FILE_COVERS: ReadonlySet<AgentEvent['type']> = new Set(['turn.start', 'turn.end', 'tool.start', 'tool.end', 'subagent.start', 'subagent.end', 'compaction.start', 'compaction.end']);

/** The rollout's name and input for a tool the hooks name their own way. */
export function rolloutTool(name: string, input: unknown): { name: string; input: unknown } {
  const r = rec(input);
  if (name === 'Bash' && r && typeof r.command === 'string') {
    const { command, ...rest } = r;
    return { name: 'exec_command', input: { cmd: command, ...rest } };
  }
  if (name === 'Bash') return { name: 'exec_command', input };
  if (name === 'apply_patch' && r && typeof r.command === 'string' && Object.keys(r).length === 1) return { name, input: r.command };
  return { name, input };
}
export const mapHook: HookMapper = (payload, context) => {
  try {
    if (!rec(payload)) return [];
    if (payload.type === 'agent-turn-complete' || payload['turn-id'] !== undefined) return mapNotify(payload, context);
    return mapCodexHook(payload, context);
  } catch {
    return [];
  }
};

function mapCodexHook(p: Rec, context: HookContext): AgentEvent[] {
  const sessionId = nonEmpty(p.session_id) ?? nonEmpty(p.sessionId);
  const name = nonEmpty(p.hook_event_name) ?? nonEmpty(p.hookEventName);
  if (!sessionId || !name) return [];
  const time = toMillis(p.timestamp) ?? context.now;
  const base = { sessionId, time, source: 'hook' as const };
  const model = nonEmpty(p.model);
  const cwd = nonEmpty(p.cwd);
  const turnId = nonEmpty(p.turn_id);
  const turnAttrs = turnId ? { attributes: { 'codex.turn_id': turnId } } : {};

  switch (name) {
    case 'SessionStart':
      return [
        {
          ...base,
          type: 'session.start',
          agent: { name: 'codex' },
          ...(nonEmpty(p.source) ? { reason: p.source as string } : {}),
          ...(cwd ? { cwd } : {}),
          ...(model ? { model } : {}),
          ...(context.agentPid !== undefined ? { agentPid: context.agentPid } : {}),
        },
      ];
    case 'UserPromptSubmit': {
      const prompt = str(p.prompt) ?? '';
      const events: AgentEvent[] = [{ ...base, type: 'session.meta', agent: { name: 'codex' }, ...(cwd ? { cwd } : {}), ...(model ? { model } : {}) }];
      if (!isSyntheticPrompt(prompt)) events.push({ ...base, type: 'turn.start', prompt: prompt.trim(), ...(turnId ? { key: turnId } : {}) });
      return events;
    }
    case 'PreToolUse': {
      const key = nonEmpty(p.tool_use_id);
      const raw = nonEmpty(p.tool_name);
      if (!key || !raw) return [];
      const tool = rolloutTool(raw, p.tool_input);
      return [{ ...base, type: 'tool.start', key, name: tool.name, ...(tool.input !== undefined ? { input: tool.input } : {}), toolType: toolType(tool.name), ...turnAttrs }];
    }
    case 'PostToolUse':
    case 'PostToolUseFailure': {
      const key = nonEmpty(p.tool_use_id);
      if (!key) return [];
      const raw = nonEmpty(p.tool_name);
      const named = raw ? rolloutTool(raw, p.tool_input) : undefined;
      const tool = named?.name;
      const failure = name === 'PostToolUseFailure' ? { error: nonEmpty(p.error) ?? 'tool failed', errorType: 'tool_error' } : responseFailure(p.tool_response);
      return [
        {
          ...base,
          type: 'tool.end',
          key,
          ...(tool ? { name: tool } : {}),
          ...(named?.input !== undefined ? { input: named.input } : {}),
          ...(p.tool_response !== undefined ? { output: p.tool_response } : {}),
          ...(failure ?? {}),
        },
      ];
    }
    case 'PermissionRequest': {
      const input = rec(p.tool_input);
      const message = nonEmpty(input?.description) ?? nonEmpty(input?.command) ?? nonEmpty(p.tool_name) ?? 'permission requested';
      const tool = nonEmpty(p.tool_name);
      const key = nonEmpty(p.tool_use_id);
      return [{ ...base, type: 'permission', message, ...(tool ? { toolName: tool } : {}), ...(key ? { toolKey: key } : {}) }];
    }
    case 'Notification':
      return [{ ...base, type: 'notification', message: nonEmpty(p.message) ?? 'notification' }];
    case 'PreCompact':
      return [{ ...base, type: 'compaction.start', ...(nonEmpty(p.trigger) ? { trigger: p.trigger as string } : {}) }];
    case 'PostCompact':
      return [{ ...base, type: 'compaction.end', ...(nonEmpty(p.trigger) ? { trigger: p.trigger as string } : {}) }];
    case 'SubagentStart': {
      const key = nonEmpty(p.agent_id);
      if (!key) return [];
      return [{ ...base, type: 'subagent.start', key, ...(nonEmpty(p.agent_type) ? { agentType: p.agent_type as string } : {}), ...(nonEmpty(p.prompt) ? { prompt: p.prompt as string } : {}) }];
    }
    case 'SubagentStop': {
      const key = nonEmpty(p.agent_id);
      if (!key) return [];
      const output = nonEmpty(p.last_assistant_message);
      return [{ ...base, type: 'subagent.end', key, ...(nonEmpty(p.agent_type) ? { agentType: p.agent_type as string } : {}), ...(output ? { output } : {}) }];
    }
    case 'Stop': {
      // No key: the hook may fire for a turn the hooks never saw start (installed mid-session).
      const output = nonEmpty(p.last_assistant_message);
      return [{ ...base, type: 'turn.end', ...(output ? { output } : {}) }];
    }
    case 'StopFailure': {
      const error = nonEmpty(p.error) ?? 'unknown';
      const details = nonEmpty(p.error_details);
      return [
        { ...base, type: 'api.error', message: details ? `${error}: ${details}` : error },
        { ...base, type: 'turn.end', status: 'error', reason: error },
      ];
    }
    case 'Interrupt':
      // The person stopped the turn (Esc / Ctrl-C): an interrupt, never an agent error.
      return [
        { ...base, type: 'interrupt', message: nonEmpty(p.reason) ?? 'interrupted by the user' },
        { ...base, type: 'turn.end', ...(turnId ? { key: turnId } : {}), reason: 'interrupted' },
      ];
    case 'SessionEnd':
      return [{ ...base, type: 'session.end', ...(nonEmpty(p.reason) ? { reason: p.reason as string } : {}) }];
    default:
      return [];
  }
}

/** The legacy `notify` program: one call per finished turn, with the turn's input and final answer. */
function mapNotify(p: Rec, context: HookContext): AgentEvent[] {
  if (p.type !== undefined && p.type !== 'agent-turn-complete') return [];
  const turnId = nonEmpty(p['turn-id']);
  // Older payloads name no session: the turn is then all that can be told apart.
  const sessionId = nonEmpty(p['thread-id']) ?? nonEmpty(p.session_id) ?? (turnId ? `codex-turn-${turnId}` : undefined);
  if (!sessionId) return [];
  const time = context.now;
  const base = { sessionId, time, source: 'hook' as const };
  const inputs = arr(p['input-messages'])
    .map((m) => (typeof m === 'string' ? m : textOf(rec(m)?.content ?? m)))
    .filter((m) => m.trim() && !isSyntheticPrompt(m));
  const cwd = nonEmpty(p.cwd);
  const events: AgentEvent[] = [{ ...base, type: 'session.meta', agent: { name: 'codex' }, ...(cwd ? { cwd } : {}) }];
  if (inputs.length) events.push({ ...base, type: 'turn.start', prompt: inputs.join('\n').trim(), ...(turnId ? { key: turnId } : {}) });
  const output = nonEmpty(p['last-assistant-message']);
  events.push({ ...base, type: 'turn.end', ...(turnId && inputs.length ? { key: turnId } : {}), ...(output ? { output } : {}) });
  return events;
}

function toolType(name: string): 'function' | 'extension' {
  return /^mcp__/.test(name) || name.split('__').length > 2 ? 'extension' : 'function';
}

/** Did PostToolUse report a failure? Codex's responses are a string or an object with an exit code. */
function responseFailure(response: unknown): { error: string; errorType: string } | undefined {
  const r = rec(response);
  if (r) {
    const code = num(r.exit_code) ?? num(r.exitCode);
    if (code !== undefined && code !== 0) return { error: `exit code ${code}`, errorType: 'exit_code' };
    if (r.success === false || r.is_error === true || r.isError === true) {
      return { error: nonEmpty(r.error) ?? nonEmpty(r.stderr) ?? 'tool failed', errorType: 'tool_error' };
    }
    if (code === 0) return undefined;
    const nested = r.output ?? r.content;
    return nested !== undefined ? codexToolFailure(typeof nested === 'string' ? nested : textOf(nested)) : undefined;
  }
  return codexToolFailure(response);
}
