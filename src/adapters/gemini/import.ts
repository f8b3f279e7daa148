import { readFileSync } from 'node:fs';
import type { AgentEvent, GenerationOutput, Usage } from '../../events/types.js';
import { isSyntheticText } from '../import-util.js';
import type { ImportAdapter, ImportedSession } from '../types.js';
import {
  arr,
  baseName,
  Clock,
  firstLine,
  nonEmpty,
  num,
  parseJsonLines,
  parseJsonTolerant,
  rec,
  str,
  textOf,
  toMillis,
  hashOf,
  stableStringify,
  type Rec,
} from '../codex/util.js';

/**
 * Gemini CLI chat recordings (`~/.gemini/tmp/<project>/chats/session-<time>-<id>.json[l]`).
 *
 * Two layouts: a JSON document `{sessionId, projectHash, startTime, lastUpdated, messages[], summary?, kind?}`,
 * and the newer append-only JSON Lines form whose first line holds the metadata, followed by message records
 * (the same message id is appended again each time it grows: last one wins), `{"$set": {...}}` metadata
 * updates and `{"$rewindTo": id}` markers.
 *
 * Messages: `user` (the prompt; `displayContent` is what the person typed when `content` was expanded with
 * file contents), `gemini` (one model response: `tokens`, `thoughts`, `toolCalls`, `model`), `info`, `error`,
 * `warning`. Gemini's `tokens.input` (promptTokenCount) includes `cached`; `output` (candidatesTokenCount)
 * excludes `thoughts`, and `tool` (toolUsePromptTokenCount) is extra input.
 *
 * The trace keeps every model call that happened: messages removed by a rewind or replaced by a compression
 * summary still cost tokens, so they stay (a compression shows up as a compaction span).
 */

export const GEMINI_PROVIDER = 'gcp.gemini';

/**
 * Keys shared with the Gemini hook mapper. Hook payloads carry no tool call id and no message id, so both
 * sides key a tool call by its name and arguments (the nth identical call in a session gets `:n`), and a
 * model response by its token counts (promptTokenCount, candidatesTokenCount, totalTokenCount), which the
 * chat file and the AfterModel hook both report. Hook data and an imported chat file then meet on one span.
 */
export function geminiToolKey(name: string, args: unknown, occurrence = 1): string {
  const key = `tool:${hashOf(`${name}\u0000${stableStringify(args ?? {})}`)}`;
  return occurrence > 1 ? `${key}:${occurrence}` : key;
}

export function geminiUsageKey(prompt: unknown, candidates: unknown, total: unknown): string | undefined {
  const p = num(prompt);
  const c = num(candidates);
  const t = num(total);
  return p && c !== undefined && t ? `usage:${p}:${c}:${t}` : undefined;
}

/** Gemini token summary → billed token kinds. */
export function geminiUsage(tokens: unknown): Usage | undefined {
  const t = rec(tokens);
  if (!t) return undefined;
  const input = num(t.input) ?? 0;
  const cached = num(t.cached) ?? 0;
  const tool = num(t.tool) ?? 0;
  const output = num(t.output) ?? 0;
  const thoughts = num(t.thoughts) ?? 0;
  return { input: Math.max(0, input - cached) + tool, output: output + thoughts, cacheRead: cached, cacheWrite: 0, reasoning: thoughts };
}

const SYNTHETIC_PROMPT = [
  /^This is the Gemini CLI\. We are setting up the context for our chat\./,
  /^<(state_snapshot|session_context|system-reminder|hook_context|compressed_history)\b/i,
  /^<[a-z_-]+>[\s\S]*<\/[a-z_-]+>$/i,
];

function isSyntheticPrompt(text: string): boolean {
  return isSyntheticText(text, SYNTHETIC_PROMPT);
}

interface Conversation {
  meta: Rec;
  messages: Rec[];
  /** Message ids that first appeared in a `$set.messages` history rewrite (compression summaries). */
  rewrites: Array<{ afterIndex: number; messages: Rec[] }>;
}

function parseConversation(text: string): Conversation | undefined {
  const trimmed = text.trimStart();
  // A JSON document (the older layout, possibly pretty-printed or cut short) …
  const firstNl = trimmed.indexOf('\n');
  const looksLikeDocument = trimmed.startsWith('{') && (firstNl === -1 || !/\}\s*$/.test(trimmed.slice(0, firstNl)) || /"messages"\s*:\s*\[/.test(trimmed.slice(0, firstNl)));
  if (looksLikeDocument) {
    const doc = rec(parseJsonTolerant(text));
    if (doc && (Array.isArray(doc.messages) || doc.sessionId !== undefined)) {
      const messages = arr(doc.messages).map(rec).filter((m): m is Rec => !!m);
      return { meta: doc, messages, rewrites: [] };
    }
  }
  // … or JSON Lines.
  const lines = parseJsonLines(text);
  if (lines.length === 0) return undefined;
  let meta: Rec = {};
  const byId = new Map<string, Rec>();
  const rewrites: Conversation['rewrites'] = [];
  for (const { value } of lines) {
    const set = rec(value.$set);
    if (set) {
      const { messages, ...rest } = set;
      meta = { ...meta, ...rest };
      const list = arr(messages).map(rec).filter((m): m is Rec => !!m);
      const ids = new Set(list.map((m) => m.id).filter((id): id is string => typeof id === 'string'));
      const fresh = list.filter((m) => typeof m.id === 'string' && !byId.has(m.id));
      // Gemini sets the whole history at session start (the injected context) and again on `--resume`: that
      // is the history, not a compression. Only a rewrite that drops messages already written compressed it.
      const dropped = [...byId.keys()].some((id) => !ids.has(id));
      if (dropped && fresh.length) rewrites.push({ afterIndex: byId.size, messages: fresh });
      else for (const m of fresh) byId.set(m.id as string, m);
      continue;
    }
    if (typeof value.$rewindTo === 'string') continue;
    if (typeof value.id === 'string' && (value.type !== undefined || value.content !== undefined)) {
      byId.set(value.id, value);
      continue;
    }
    if (typeof value.sessionId === 'string') meta = { ...meta, ...value };
  }
  if (!meta.sessionId && byId.size === 0) return undefined;
  return { meta, messages: [...byId.values()], rewrites };
}

function promptText(message: Rec): string {
  const display = message.displayContent;
  const fromDisplay = display !== undefined && display !== null ? textOf(display, '') : '';
  return (fromDisplay || textOf(message.content, '')).trim();
}

function thoughtsText(thoughts: unknown): string {
  return arr(thoughts)
    .map((t) => {
      const r = rec(t);
      if (!r) return '';
      const subject = str(r.subject)?.trim();
      const description = str(r.description)?.trim();
      return subject && description ? `**${subject}**\n${description}` : (subject ?? description ?? '');
    })
    .filter(Boolean)
    .join('\n\n');
}

function toolOutput(call: Rec): { output?: unknown; error?: string } {
  let output: unknown;
  let error: string | undefined;
  for (const part of arr(call.result)) {
    const response = rec(rec(rec(part)?.functionResponse)?.response);
    if (!response) continue;
    if (response.error !== undefined) error = typeof response.error === 'string' ? response.error : JSON.stringify(response.error);
    if (response.output !== undefined) output = response.output;
    else if (output === undefined) output = response;
  }
  if (output === undefined && typeof call.result === 'string') output = call.result;
  if (output === undefined && call.resultDisplay !== undefined && call.resultDisplay !== '') output = call.resultDisplay;
  const status = str(call.status);
  if (status === 'error' || status === 'cancelled') {
    error ??= status === 'cancelled' ? 'cancelled' : typeof call.resultDisplay === 'string' && call.resultDisplay ? call.resultDisplay : 'tool failed';
  } else if (status !== undefined) {
    error = undefined; // a successful call's response may still describe an error the tool handled
  }
  return { ...(output !== undefined ? { output } : {}), ...(error !== undefined ? { error } : {}) };
}

/** Reads one chat recording's text into normalized events. Exposed for tests; `geminiImporter.read` wraps it. */
export function readGeminiChat(text: string, path = 'session.json'): ImportedSession[] {
  const conv = parseConversation(text);
  if (!conv) return [];
  const { meta, messages } = conv;
  // `gemini --resume` leaves a stub with the session's id and no messages: it is no session of its own and
  // must never replace the full trace of that id.
  if (messages.length === 0 && conv.rewrites.length === 0) return [];
  const sessionId = nonEmpty(meta.sessionId) ?? baseName(path).replace(/\.jsonl?$/, '');
  const clock = new Clock(toMillis(meta.startTime));
  const base = { sessionId, source: 'import' as const };
  const events: AgentEvent[] = [];

  const firstTime = toMillis(meta.startTime) ?? toMillis(messages[0]?.timestamp) ?? 0;
  const firstModel = messages.map((m) => nonEmpty(m.model)).find(Boolean);
  const attributes: Record<string, string> = {};
  if (nonEmpty(meta.projectHash)) attributes['gemini.project_hash'] = meta.projectHash as string;
  if (nonEmpty(meta.kind)) attributes['gemini.kind'] = meta.kind as string;
  events.push({
    ...base,
    type: 'session.start',
    time: firstTime,
    agent: { name: 'gemini' },
    provider: GEMINI_PROVIDER,
    ...(firstModel ? { model: firstModel } : {}),
    ...(nonEmpty(meta.summary) ? { title: (meta.summary as string).trim() } : {}),
    ...(Object.keys(attributes).length ? { attributes } : {}),
  });

  let lastInput = firstTime; // when the latest model call could have started
  let turnOpen = false;
  let compactions = 0;
  const toolOccurrences = new Map<string, number>();
  const usedKeys = new Set<string>();
  const rewriteAt = new Map<number, Rec[][]>();
  for (const r of conv.rewrites) rewriteAt.set(r.afterIndex, [...(rewriteAt.get(r.afterIndex) ?? []), r.messages]);
  /** The prompt size (promptTokenCount) of the model call nearest before or after a message index. */
  const promptTokens = (from: number, step: 1 | -1): number | undefined => {
    for (let i = from; i >= 0 && i < messages.length; i += step) {
      if (str(messages[i]!.type) === 'gemini') return num(rec(messages[i]!.tokens)?.input);
    }
    return undefined;
  };

  // One compression: the history set again without messages already written, the summary (a <state_snapshot>
  // prompt and the model's acknowledgement) in their place. Its size before is the prompt of the last model call
  // before it, after the prompt of the next one (the compressed history with the next input, as the API counted
  // it): Gemini writes its own counts nowhere in the file.
  const emitRewrites = (index: number) => {
    for (const fresh of rewriteAt.get(index) ?? []) {
      const time = clock.at(fresh[0]?.timestamp);
      const snapshot = fresh.find((m) => str(m.type) === 'user') ?? fresh[0];
      const summary = snapshot ? textOf(snapshot.content, '').trim() : '';
      const before = promptTokens(index - 1, -1);
      const after = promptTokens(index, 1);
      events.push({
        ...base,
        type: 'compaction.end',
        key: `compact:${++compactions}`,
        time,
        trigger: 'history_rewrite',
        ...(before !== undefined ? { tokensBefore: before } : {}),
        ...(after !== undefined ? { tokensAfter: after } : {}),
        ...(summary ? { summary } : {}),
      });
    }
  };

  messages.forEach((m, index) => {
    emitRewrites(index);
    const time = clock.at(m.timestamp);
    const type = str(m.type);
    const id = nonEmpty(m.id) ?? `message:${index + 1}`;
    switch (type) {
      case 'user': {
        const prompt = promptText(m);
        if (isSyntheticPrompt(prompt)) break;
        // No explicit key: the nth time this prompt was typed identifies the turn, as for Gemini's hooks.
        events.push({ ...base, type: 'turn.start', time, prompt });
        turnOpen = true;
        lastInput = time;
        break;
      }
      case 'gemini': {
        const model = nonEmpty(m.model);
        const calls = arr(m.toolCalls).map(rec).filter((c): c is Rec => !!c);
        const output: GenerationOutput = {};
        const text = textOf(m.content, '').trim();
        if (text) output.text = text;
        const thinking = thoughtsText(m.thoughts);
        if (thinking) output.thinking = thinking;
        const toolCalls = calls.map((c) => ({ id: nonEmpty(c.id) ?? '', name: nonEmpty(c.name) ?? 'tool' }));
        const toolKeys = calls.map((c, i) => {
          const signature = geminiToolKey(toolCalls[i]!.name, c.args);
          const n = (toolOccurrences.get(signature) ?? 0) + 1;
          toolOccurrences.set(signature, n);
          return geminiToolKey(toolCalls[i]!.name, c.args, n);
        });
        toolCalls.forEach((c, i) => {
          if (!c.id) c.id = toolKeys[i]!;
        });
        if (toolCalls.length) output.toolCalls = toolCalls;
        const usage = geminiUsage(m.tokens);
        const tokens = rec(m.tokens);
        let key = geminiUsageKey(tokens?.input, tokens?.output, tokens?.total) ?? id;
        if (usedKeys.has(key)) key = id;
        usedKeys.add(key);
        events.push({
          ...base,
          type: 'generation.end',
          key,
          time,
          startTime: Math.min(lastInput, time),
          provider: GEMINI_PROVIDER,
          ...(model ? { model } : {}),
          ...(usage ? { usage } : {}),
          ...(Object.keys(output).length ? { output } : {}),
          ...(toolCalls.length ? { finishReasons: ['tool_calls'] } : {}),
          ...(key !== id ? { attributes: { 'gemini.message.id': id } } : {}),
        });
        let latest = time;
        calls.forEach((c, i) => {
          const key = toolKeys[i]!;
          const done = toMillis(c.timestamp) ?? time;
          const start = Math.min(time, done);
          const name = toolCalls[i]!.name;
          const { output: result, error } = toolOutput(c);
          const attrs: Record<string, string> = {};
          // The span is keyed for merging with hook data; the attribute keeps Gemini's own call id.
          if (nonEmpty(c.id)) attrs['gen_ai.tool.call.id'] = c.id as string;
          if (nonEmpty(c.displayName)) attrs['gemini.tool.display_name'] = c.displayName as string;
          if (nonEmpty(c.agentId)) attrs['gemini.agent_id'] = c.agentId as string;
          events.push({
            ...base,
            type: 'tool.start',
            key,
            name,
            time: start,
            input: c.args ?? {},
            toolType: name.includes('__') ? 'extension' : 'function',
            ...(Object.keys(attrs).length ? { attributes: attrs } : {}),
          });
          const status = str(c.status);
          if (status === undefined || ['success', 'error', 'cancelled'].includes(status)) {
            events.push({
              ...base,
              type: 'tool.end',
              key,
              time: done,
              ...(result !== undefined ? { output: result } : {}),
              ...(error !== undefined ? { error, errorType: status === 'cancelled' ? 'cancelled' : 'tool_error' } : {}),
            });
          }
          latest = Math.max(latest, done);
        });
        lastInput = latest;
        if (turnOpen && !calls.length && text) {
          events.push({ ...base, type: 'turn.end', time, output: text });
          turnOpen = false;
        }
        break;
      }
      case 'error':
        events.push({ ...base, type: 'api.error', time, message: textOf(m.content, '').trim() || 'error' });
        break;
      case 'info':
      case 'warning': {
        const message = textOf(m.content, '').trim();
        if (message) events.push({ ...base, type: 'notification', time, message, attributes: { 'gemini.message.type': type } });
        break;
      }
      default:
        break;
    }
  });
  emitRewrites(messages.length);

  return [{ sessionId, events, source: path }];
}

/** Does this head look like a Gemini CLI chat recording (JSON or JSON Lines)? */
export function detectGemini(path: string, head: string): boolean {
  const t = head.trimStart();
  if (!t.startsWith('{')) return false;
  const start = t.slice(0, 2048);
  if (!/"projectHash"\s*:/.test(start) || !/"sessionId"\s*:/.test(start)) return false;
  // Claude Code lines carry sessionId too, but never projectHash; opencode uses projectID.
  const line = firstLine(t);
  return /"messages"\s*:/.test(t) || /"startTime"\s*:/.test(line) || /\/chats\/[^/\\]+\.jsonl?$/.test(path.replace(/\\/g, '/')) || line.endsWith('}');
}

export const geminiImporter: ImportAdapter = {
  agent: 'gemini',
  detect(path: string, head: string): boolean {
    try {
      return detectGemini(path, head);
    } catch {
      return false;
    }
  },
  read(path: string): ImportedSession[] {
    return readGeminiChat(readFileSync(path, 'utf8'), path);
  },
};
