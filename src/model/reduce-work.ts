import type { AgentEvent, GenerationOutput, MarkEvent } from '../events/types.js';
import { cleanUsage, compact, mergeOutput } from './builder-content.js';
import { spanIdFor } from './ids.js';
import { adoptOrphanSubagents, placeMark, placeSubagent, setParent, SPAWNING_TOOLS, subagentSpan, upsert } from './builder-placement.js';
import { addEvent, createSpan, nextOrdinal, noteModel, spanOf, touch, type BuilderState } from './builder-state.js';
import type { SpanState } from './span-state.js';

/** The work inside a turn: model calls, tool calls, subagents, compactions, and the marks recorded on them. */

type Event<T extends AgentEvent['type']> = Extract<AgentEvent, { type: T }>;

export function generation(s: BuilderState, e: Event<'generation.start' | 'generation.end'>): void {
  const start = e.type === 'generation.end' && e.startTime !== undefined ? Math.min(e.startTime, e.time) : e.time;
  const isNew = !spanOf(s, 'generation', e.key);
  const span = upsert(s, 'generation', e.key, start, e);
  if (isNew) {
    // Calls of one thread follow each other: what a call received new is its predecessor's tool results.
    const thread = e.agentKey ?? '';
    const prev = s.lastGeneration.get(thread);
    if (prev) {
      span.prevGen = prev;
      prev.nextGen = span;
    }
    s.lastGeneration.set(thread, span);
  }
  if (e.model) {
    span.model = e.model;
    noteModel(s, e.model);
  }
  if (e.provider) span.provider = e.provider;
  if (e.type === 'generation.start') {
    if (e.input !== undefined && span.input === undefined) span.input = e.input;
  } else {
    span.endTime = Math.max(span.endTime ?? 0, e.time, span.startTime);
    if (e.usage) span.usage = cleanUsage(e.usage);
    if (e.responseId) span.responseId = e.responseId;
    if (e.finishReasons?.length) span.finishReasons = e.finishReasons;
    if (e.output) {
      span.output = mergeOutput(span.output as GenerationOutput | undefined, e.output);
      if (e.output.text?.trim()) noteFinalText(s, span, e.output.text);
    }
    if (e.error) {
      span.status = 'error';
      span.statusMessage = e.error;
      span.errorType = 'api_error';
    } else if (span.status !== 'error') span.status = 'ok';
    span.interrupted = undefined;
  }
  touch(s, span);
}

/** A turn's output is its last word: the text of the latest model call directly under it that said something. */
function noteFinalText(s: BuilderState, gen: SpanState, text: string): void {
  const parent = gen.parentId ? s.spans.get(gen.parentId) : undefined;
  if (parent?.kind !== 'turn' || (parent.finalTextAt !== undefined && parent.finalTextAt > gen.startTime)) return;
  parent.finalText = text;
  parent.finalTextAt = gen.startTime;
  touch(s, parent);
}

export function tool(s: BuilderState, e: Event<'tool.start' | 'tool.end'>): void {
  const start = e.type === 'tool.end' && e.startTime !== undefined ? Math.min(e.startTime, e.time) : e.time;
  const span = upsert(s, 'tool', e.key, start, e);
  if (e.name && !span.name) span.name = e.name;
  if (e.input !== undefined && span.input === undefined) span.input = e.input;
  if (e.type === 'tool.start') {
    if (e.toolType) span.toolType = e.toolType;
  } else {
    // A call already closed as interrupted (its process went away) keeps the end it was given then: the
    // answer a resumed process writes for it later does not stretch it over the time nothing ran.
    const closedByExit = span.interrupted === true && span.endTime !== undefined && e.errorType === 'interrupted';
    if (!closedByExit) span.endTime = Math.max(span.endTime ?? 0, e.time, span.startTime);
    if (e.output !== undefined && span.output === undefined) span.output = e.output;
    if (e.error !== undefined && e.errorType === 'interrupted') {
      // Esc, Ctrl-C, a rejected tool use: the person stopped it; not the tool's failure.
      if (span.status !== 'error') span.status = 'unset';
      span.interrupted = true;
      span.statusMessage = e.error;
      if (span.output === undefined) span.output = e.error;
      touch(s, span);
      return;
    }
    if (e.error !== undefined) {
      span.status = 'error';
      span.statusMessage = e.error;
      span.errorType = e.errorType ?? 'tool_error';
      if (span.output === undefined) span.output = e.error;
    } else if (span.status !== 'error') span.status = 'ok';
    span.interrupted = undefined;
  }
  touch(s, span);
  // A spawning tool may learn its subagent only now (or the subagent may have arrived first).
  if (span.name && SPAWNING_TOOLS.has(span.name)) adoptOrphanSubagents(s, span);
}

export function subagent(s: BuilderState, e: Event<'subagent.start' | 'subagent.end'>): void {
  let span = spanOf(s, 'subagent', e.key);
  if (!span) {
    span = createSpan(s, 'subagent', e.key, null, e.time);
    placeSubagent(s, span, e.time, e.agentType);
  } else if (e.time < span.startTime) span.startTime = e.time;
  if (e.agentType) span.name = e.agentType;
  if (e.type === 'subagent.start') {
    if (e.prompt !== undefined && span.input === undefined) span.input = e.prompt;
    if (e.parentToolKey) setParent(s, span, spanIdFor(s.sessionId, 'tool', e.parentToolKey), true);
    else if (e.agentKey) setParent(s, span, subagentSpan(s, e.agentKey, e.time).id, true);
  } else {
    span.endTime = Math.max(span.endTime ?? 0, e.time, span.startTime);
    span.status = e.status === 'error' ? 'error' : 'ok';
    if (e.output !== undefined) span.output = e.output;
    span.interrupted = undefined;
  }
  if (e.attributes) span.extra = { ...span.extra, ...e.attributes };
  touch(s, span);
}

export function compaction(s: BuilderState, e: Event<'compaction.start' | 'compaction.end'>): void {
  let key = e.key;
  if (!key) {
    // Each source numbers its compactions once each (a start, or an end with no start of its own), so the
    // PreCompact/PostCompact hooks and the transcript's boundary of the same compaction meet on one key.
    const source = e.source ?? '';
    const open = s.openCompactions.get(source);
    if (e.type === 'compaction.end' && open) {
      key = open;
      s.openCompactions.delete(source);
    } else {
      key = `compact:${nextOrdinal(s, `compact|${source}`)}`;
      if (e.type === 'compaction.start') s.openCompactions.set(source, key);
    }
  }
  const start = e.type === 'compaction.end' && e.startTime !== undefined ? Math.min(e.startTime, e.time) : e.time;
  const span = upsert(s, 'compaction', key, start, e);
  if (e.trigger) span.trigger = e.trigger;
  if (e.tokensBefore !== undefined) span.tokensBefore = e.tokensBefore;
  if (e.type === 'compaction.end') {
    span.endTime = Math.max(span.endTime ?? 0, e.time, span.startTime);
    span.status = 'ok';
    if (e.tokensAfter !== undefined) span.tokensAfter = e.tokensAfter;
    if (e.summary !== undefined) span.output = e.summary;
  }
  touch(s, span);
}

export function text(s: BuilderState, e: Event<'text'>): void {
  addEvent(s, placeMark(s, e), `gen_ai.${e.role}.message`, e.time, { content: e.text });
}

const MARK_NAMES = { notification: 'notification', permission: 'permission_request', 'api.error': 'api_error', interrupt: 'interrupt' } as const;

/** A notification, permission request, API error or interrupt: an event on the tool it is about, else where it happened. */
export function mark(s: BuilderState, e: MarkEvent): void {
  const target = markTool(s, e) ?? placeMark(s, e);
  const attrs = compact({ message: e.message, 'gen_ai.tool.name': e.toolName, ...e.attributes });
  if (e.type === 'interrupt' && target.kind === 'turn') {
    target.interrupted = true;
    if (target.status === 'ok') target.status = 'unset';
  }
  addEvent(s, target, MARK_NAMES[e.type], e.time, attrs);
}

/** The tool a mark is about: by call id, else the latest open call of the named tool. */
function markTool(s: BuilderState, e: MarkEvent): SpanState | undefined {
  if (e.toolKey) {
    const byKey = spanOf(s, 'tool', e.toolKey);
    if (byKey) return byKey;
  }
  if (!e.toolName) return undefined;
  for (let i = s.order.length - 1; i >= 0; i--) {
    const span = s.order[i]!;
    if (span.kind === 'tool' && span.name === e.toolName && span.endTime === undefined) return span;
  }
  return undefined;
}
