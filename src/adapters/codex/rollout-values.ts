import type { Usage } from '../../events/types.js';
import { isSyntheticText } from '../import-util.js';
import { maybeJson, nonEmpty, num, rec, textOf, type Rec } from './util.js';

/** What single rollout values mean: token usage, a tool output's failure, an injected prompt, thread links. */

const SYNTHETIC_PROMPT = [
  /^<(environment_context|user_instructions|permissions instructions|INSTRUCTIONS|developer_instructions|turn_aborted|subagent_notification|user_shell_command|collaboration_mode|skill|model_switch)\b/i,
  /^# AGENTS\.md instructions\b/,
  /^<[a-z_ -]+>[\s\S]*<\/[a-z_ -]+>$/i,
];

export function isSyntheticPrompt(text: string): boolean {
  return isSyntheticText(text, SYNTHETIC_PROMPT);
}

export interface CodexUsage {
  input_tokens?: unknown;
  cached_input_tokens?: unknown;
  output_tokens?: unknown;
  cache_write_input_tokens?: unknown;
  reasoning_output_tokens?: unknown;
  total_tokens?: unknown;
}

/**
 * Codex usage (OpenAI semantics) → billed token kinds: input without the cached and cache-written parts
 * (both are included in `input_tokens`), output with reasoning.
 */
export function codexUsage(u: CodexUsage | undefined): Usage | undefined {
  if (!u) return undefined;
  const input = num(u.input_tokens) ?? 0;
  const cached = num(u.cached_input_tokens) ?? 0;
  const written = num(u.cache_write_input_tokens) ?? 0;
  const output = num(u.output_tokens) ?? 0;
  const reasoning = num(u.reasoning_output_tokens) ?? 0;
  return { input: Math.max(0, input - cached - written), output, cacheRead: cached, cacheWrite: written, reasoning };
}

export function usageDelta(total: Rec, previous: Rec | undefined): CodexUsage {
  const out: Record<string, number> = {};
  for (const k of ['input_tokens', 'cached_input_tokens', 'cache_write_input_tokens', 'output_tokens', 'reasoning_output_tokens', 'total_tokens']) {
    const now = num(total[k]) ?? 0;
    const before = num(previous?.[k]) ?? 0;
    out[k] = previous && now >= before ? now - before : now;
  }
  return out;
}

/** Was a tool output a failure? Codex reports exit codes inside the output text. */
export function codexToolFailure(output: unknown): { error: string; errorType: string } | undefined {
  const obj = rec(output);
  if (obj && obj.success === false) {
    return { error: truncate(textOf(obj.content) || 'tool reported failure'), errorType: 'tool_error' };
  }
  const text = typeof output === 'string' ? output : obj ? textOf(obj.content) : '';
  if (!text) return undefined;
  const parsed = rec(maybeJson(text));
  const metaCode = num(rec(parsed?.metadata)?.exit_code);
  if (metaCode !== undefined) {
    return metaCode === 0 ? undefined : { error: `exit code ${metaCode}`, errorType: 'exit_code' };
  }
  const m = /(?:^|\n)(?:Process exited with code|Exit code:)\s*(-?\d+)/.exec(text);
  if (m) {
    const code = Number(m[1]);
    return code === 0 ? undefined : { error: `exit code ${code}`, errorType: 'exit_code' };
  }
  // A command the execpolicy rules (or the sandbox) refused never ran: `exec_command failed: … Rejected(…)`.
  if (/^[a-z_]+ failed: [\s\S]*\bRejected\(/.test(text.trim()) || /^(command )?rejected\b/i.test(text.trim())) {
    return { error: truncate(/rejected: ([^`"\\]*)/.exec(text)?.[1]?.trim() || 'rejected by policy'), errorType: 'rejected' };
  }
  // Esc in the TUI: the person stopped the command (`Wall time: 0.7 seconds\naborted by user`), not a failure.
  if (/(?:^|\n)aborted by user\s*$/i.test(text.trim())) return { error: 'aborted by user', errorType: 'interrupted' };
  if (/^(execution error|failed to parse function arguments|unsupported call|sandbox (error|denied)|[a-z_]+ failed: )/i.test(text.trim())) {
    return { error: truncate(text.trim().split('\n')[0] ?? 'tool failed'), errorType: 'tool_error' };
  }
  return undefined;
}

export function truncate(text: string, max = 500): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The tool output as a reader wants it: the `output` of Codex's `{output, metadata}` wrapper, else as given. */
export function toolOutputValue(output: unknown): unknown {
  const obj = rec(output);
  if (obj && 'content' in obj) return obj.content;
  if (Array.isArray(output)) return textOf(output) || output;
  if (typeof output === 'string') {
    const parsed = rec(maybeJson(output));
    if (parsed && typeof parsed.output === 'string' && 'metadata' in parsed) return parsed.output;
  }
  return output;
}

export function sessionIdFromPath(path: string): string | undefined {
  const m = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/i.exec(path);
  return m?.[1];
}

/** The thread a subagent rollout belongs to, from its first session_meta (`source.subagent.thread_spawn`). */
export function parentThreadOf(meta: Rec | undefined): string | undefined {
  const spawn = rec(rec(rec(meta?.source)?.subagent)?.thread_spawn) ?? rec(rec(rec(meta?.source)?.sub_agent)?.thread_spawn);
  return nonEmpty(spawn?.parent_thread_id) ?? nonEmpty(meta?.parent_thread_id);
}

export function sessionStartAttributes(meta: Rec | undefined): { attributes?: Record<string, string> } {
  if (!meta) return {};
  const attrs: Record<string, string> = {};
  const originator = nonEmpty(meta.originator);
  if (originator) attrs['codex.originator'] = originator;
  const source = meta.source;
  if (typeof source === 'string') attrs['codex.source'] = source;
  else if (rec(source)) attrs['codex.source'] = Object.keys(rec(source)!)[0] ?? 'unknown';
  const forked = nonEmpty(meta.forked_from_id);
  if (forked) attrs['codex.forked_from_id'] = forked;
  return Object.keys(attrs).length ? { attributes: attrs } : {};
}
