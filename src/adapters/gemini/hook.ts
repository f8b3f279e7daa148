import type { AgentEvent, GenerationOutput } from '../../events/types.js';
import type { HookContext, HookMapper } from '../hook-types.js';
import { arr, hashOf, nonEmpty, num, rec, str, textOf, toMillis, type Rec } from '../codex/util.js';
import { GEMINI_PROVIDER, geminiToolKey, geminiUsageKey } from './import.js';

/**
 * Gemini CLI hooks (`hooks` in `.gemini/settings.json`): every payload has `session_id`, `transcript_path`,
 * `cwd`, `hook_event_name` and `timestamp`. Mapped: SessionStart, SessionEnd, BeforeAgent (the prompt),
 * AfterAgent (the answer), BeforeTool, AfterTool, AfterModel (the chunk that finishes a response, with its
 * usage), PreCompress and Notification. BeforeModel and BeforeToolSelection carry nothing to record.
 *
 * Gemini's hooks name no tool call and no response: tool spans are keyed by tool name + arguments, model
 * calls by their token counts — the same keys the chat-file importer uses, so both sources meet on one span.
 * Two identical calls (same tool, same arguments) in one session share a span when only hooks are recorded.
 */
/** What the chat file records on its own: with the file at hand, the hooks add only what it lacks. */
export const FILE_COVERS: ReadonlySet<AgentEvent['type']> = new Set(['turn.start', 'turn.end', 'tool.start', 'tool.end', 'generation.start', 'generation.end', 'compaction.start', 'compaction.end']);

export const mapHook: HookMapper = (payload, context) => {
  try {
    return rec(payload) ? mapGeminiHook(payload, context) : [];
  } catch {
    return [];
  }
};

function mapGeminiHook(p: Rec, context: HookContext): AgentEvent[] {
  const sessionId = nonEmpty(p.session_id) ?? nonEmpty(p.sessionId);
  const name = nonEmpty(p.hook_event_name) ?? nonEmpty(p.hookEventName);
  if (!sessionId || !name) return [];
  const time = toMillis(p.timestamp) ?? context.now;
  const base = { sessionId, time, source: 'hook' as const };
  const cwd = nonEmpty(p.cwd);

  switch (name) {
    case 'SessionStart':
      return [
        {
          ...base,
          type: 'session.start',
          agent: { name: 'gemini' },
          provider: GEMINI_PROVIDER,
          ...(nonEmpty(p.source) ? { reason: p.source as string } : {}),
          ...(cwd ? { cwd } : {}),
          ...(context.agentPid !== undefined ? { agentPid: context.agentPid } : {}),
        },
      ];
    case 'SessionEnd':
      return [{ ...base, type: 'session.end', ...(nonEmpty(p.reason) ? { reason: p.reason as string } : {}) }];
    case 'BeforeAgent': {
      const prompt = (str(p.prompt) ?? '').trim();
      const meta: AgentEvent = { ...base, type: 'session.meta', agent: { name: 'gemini' }, provider: GEMINI_PROVIDER, ...(cwd ? { cwd } : {}) };
      return prompt ? [meta, { ...base, type: 'turn.start', prompt }] : [meta];
    }
    case 'AfterAgent':
      // `prompt_response` is every text of the turn run together (not the final answer): the answer comes
      // from the last model call (the chat file, or AfterModel).
      return [{ ...base, type: 'turn.end' }];
    case 'BeforeTool': {
      const tool = nonEmpty(p.tool_name);
      if (!tool) return [];
      const input = p.tool_input ?? {};
      return [
        {
          ...base,
          type: 'tool.start',
          key: geminiToolKey(tool, input),
          name: tool,
          input,
          toolType: rec(p.mcp_context) || tool.includes('__') ? 'extension' : 'function',
          ...mcpAttributes(p.mcp_context),
        },
      ];
    }
    case 'AfterTool': {
      const tool = nonEmpty(p.tool_name);
      if (!tool) return [];
      const input = p.tool_input ?? {};
      const response = rec(p.tool_response);
      // llmContent is the result as the model saw it (text or parts); returnDisplay is the UI's rendering.
      const llm = response?.llmContent;
      const llmText = typeof llm === 'string' ? llm : llm !== undefined ? textOf(llm) : '';
      const output = response ? llmText || (response.returnDisplay !== '' ? response.returnDisplay : undefined) : p.tool_response;
      const error = errorText(response?.error);
      return [
        {
          ...base,
          type: 'tool.end',
          key: geminiToolKey(tool, input),
          name: tool,
          input,
          ...(output !== undefined && output !== '' ? { output } : {}),
          ...(error ? { error, errorType: 'tool_error' } : {}),
        },
      ];
    }
    case 'AfterModel':
      return mapAfterModel(p, base);
    case 'PreCompress':
      // Fired before every model call, whether or not anything is compressed: a compression is known only
      // from the chat file (its history rewrite).
      return [];
    case 'Notification': {
      const type = nonEmpty(p.notification_type);
      const details = rec(p.details);
      const message = nonEmpty(p.message) ?? type ?? 'notification';
      const toolName = nonEmpty(details?.tool_name) ?? nonEmpty(details?.toolName) ?? nonEmpty(details?.name);
      if (type === 'ToolPermission') return [{ ...base, type: 'permission', message, ...(toolName ? { toolName } : {}) }];
      return [{ ...base, type: 'notification', message }];
    }
    default:
      return [];
  }
}

/**
 * AfterModel fires for every streamed chunk; only the chunk that carries a finish reason ends a model call.
 * The stable hook API reports prompt, candidates and total token counts: the cached share is unknown here
 * (an imported chat file refines it), thoughts are what the total holds beyond prompt and candidates.
 */
function mapAfterModel(p: Rec, base: { sessionId: string; time: number; source: 'hook' }): AgentEvent[] {
  const request = rec(p.llm_request);
  const response = rec(p.llm_response);
  if (!response) return [];
  const candidates = arr(response.candidates).map(rec).filter((c): c is Rec => !!c);
  const finishReasons = candidates.map((c) => nonEmpty(c.finishReason)).filter((r): r is string => !!r);
  if (finishReasons.length === 0) return [];
  const usage = rec(response.usageMetadata);
  const cached = num(usage?.cachedContentTokenCount) ?? 0;
  const prompt = num(usage?.promptTokenCount);
  const completion = num(usage?.candidatesTokenCount);
  const total = num(usage?.totalTokenCount);
  const model = nonEmpty(request?.model);
  const text = nonEmpty(response.text) ?? candidates.flatMap((c) => arr(rec(c.content)?.parts).filter((x): x is string => typeof x === 'string')).join('');
  const key = geminiUsageKey(prompt, completion, total) ?? `hook:${hashOf(`${base.time}\u0000${model ?? ''}\u0000${text}`)}`;
  const reasoning = prompt !== undefined && completion !== undefined && total !== undefined ? Math.max(0, total - prompt - completion) : 0;
  const output: GenerationOutput = text ? { text } : {};
  return [
    {
      ...base,
      type: 'generation.end',
      key,
      provider: GEMINI_PROVIDER,
      ...(model ? { model } : {}),
      finishReasons,
      ...(prompt !== undefined || completion !== undefined
        ? { usage: { input: Math.max(0, (prompt ?? 0) - cached), output: (completion ?? 0) + reasoning, cacheRead: cached, cacheWrite: 0, reasoning } }
        : {}),
      ...(Object.keys(output).length ? { output } : {}),
    },
  ];
}

function errorText(error: unknown): string | undefined {
  if (error === undefined || error === null || error === false) return undefined;
  if (typeof error === 'string') return error || undefined;
  const r = rec(error);
  return nonEmpty(r?.message) ?? JSON.stringify(error);
}

function mcpAttributes(context: unknown): { attributes?: Record<string, string> } {
  const c = rec(context);
  const server = nonEmpty(c?.server_name);
  return server ? { attributes: { 'gemini.mcp.server': server, ...(nonEmpty(c?.tool_name) ? { 'gemini.mcp.tool': c!.tool_name as string } : {}) } } : {};
}
