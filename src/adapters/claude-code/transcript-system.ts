import { classifyUserText, tag } from './prompt.js';
import { str, timeOf, type Line } from './transcript-content.js';
import { emit, seen, type TranscriptContext } from './transcript-context.js';
import { endAgent, noteCompaction, SPAWNING, startAgent, startTurn } from './transcript-flow.js';
import { assistant, user } from './transcript-messages.js';
import { emitMessage } from './transcript-output.js';

/** System lines (compaction boundaries, API errors, turn ends), subagent progress copies and the prompt queue. */

export function system(c: TranscriptContext, line: Line, time: number): void {
  const s = c.state;
  const subtype = line.subtype;
  if (subtype === 'compact_boundary') {
    emitMessage(c, '', true);
    s.compactions++;
    noteCompaction(c, time);
    s.summarized = false;
    const meta = (line.compactMetadata ?? {}) as Record<string, unknown>;
    if (meta.trigger === 'manual' && s.turnKey) {
      // `/compact` is typed between prompts: the turn before it is over.
      emit(c, { type: 'turn.end', key: s.turnKey, time: s.turnLast ?? time });
      s.turnKey = undefined;
      s.turnLast = undefined;
    }
    emit(c, {
      type: 'compaction.end',
      key: `compact:${s.compactions}`,
      time,
      ...(str(meta.trigger) ? { trigger: meta.trigger as string } : {}),
      ...(typeof meta.preTokens === 'number' ? { tokensBefore: meta.preTokens } : {}),
      ...(typeof meta.postTokens === 'number' ? { tokensAfter: meta.postTokens } : {}),
      // An automatic compaction happens inside a turn; a manual one (`/compact`) between turns.
      ...(s.turnKey && meta.trigger !== 'manual' ? { turnKey: s.turnKey } : {}),
    });
    seen(c, '', time);
  } else if (subtype === 'api_error') {
    const err = line.error as Record<string, unknown> | undefined;
    const message =
      str(line.content) ??
      str((err?.error as Record<string, unknown> | undefined)?.message) ??
      str(err?.message) ??
      (err ? JSON.stringify(err).slice(0, 500) : 'API error');
    emit(c, {
      type: 'api.error',
      time,
      message: message!,
      ...(typeof line.retryAttempt === 'number' ? { attributes: { 'agent_trace.retry_attempt': line.retryAttempt } } : {}),
      ...(s.turnKey ? { turnKey: s.turnKey } : {}),
    });
  } else if (subtype === 'turn_duration') {
    emitMessage(c, '', true);
    if (s.turnKey) emit(c, { type: 'turn.end', key: s.turnKey, time });
  }
}

export function progress(c: TranscriptContext, line: Line, time: number): void {
  const data = line.data as Line | undefined;
  if (!data || data.type !== 'agent_progress') return;
  const agentId = str(data.agentId) ?? (str(line.parentToolUseID) ? `task-${line.parentToolUseID as string}` : undefined);
  if (!agentId) return;
  const parent = str(line.parentToolUseID);
  const tool = parent ? c.state.tools[parent] : undefined;
  if (tool) tool.agent = agentId;
  const inner = data.message as Line | undefined;
  const innerTime = inner && typeof inner === 'object' ? timeOf(inner, time) ?? time : time;
  startAgent(c, agentId, Math.min(time, innerTime), { parent, agentType: tool?.agentType, prompt: str(data.prompt) });
  if (!inner || typeof inner !== 'object') return;
  const innerLine: Line = {
    type: inner.type,
    message: inner.message,
    uuid: inner.uuid,
    timestamp: inner.timestamp ?? line.timestamp,
    toolUseResult: inner.toolUseResult,
    requestId: inner.requestId,
    isMeta: inner.isMeta,
    isApiErrorMessage: inner.isApiErrorMessage,
    progressCopy: true,
  };
  const t = timeOf(innerLine, time) ?? time;
  if (inner.type === 'assistant') assistant(c, innerLine, t, agentId);
  else if (inner.type === 'user') user(c, innerLine, t, agentId);
}

export function queue(c: TranscriptContext, line: Line, time: number): void {
  const s = c.state;
  const op = line.operation;
  const content = typeof line.content === 'string' ? line.content : undefined;
  if (op === 'enqueue') {
    if (content?.trimStart().startsWith('<task-notification>')) taskNotification(c, content, time);
    s.queue.push(c.scrub(content ?? ''));
  } else if (op === 'remove') {
    // Absorbed into the running turn: the person's words reached the model without a user line.
    const item = content !== undefined ? c.scrub(content) : s.queue[0];
    const i = item !== undefined ? s.queue.indexOf(item) : -1;
    if (i >= 0) s.queue.splice(i, 1);
    if (item && !item.trimStart().startsWith('<') && !item.trimStart().startsWith('/')) {
      const said = classifyUserText(item);
      if (said.kind === 'prompt') startTurn(c, said.text, time);
    }
  } else if (op === 'dequeue') {
    s.queue.shift();
  } else if (op === 'popAll') {
    s.queue = [];
  }
}

/** A background subagent finished: `<task-notification><task-id>…<tool-use-id>…<status>…`. */
function taskNotification(c: TranscriptContext, text: string, time: number): void {
  const taskId = tag(text, 'task-id');
  const toolId = tag(text, 'tool-use-id');
  const status = tag(text, 'status');
  if (!taskId) return;
  const tool = toolId ? c.state.tools[toolId] : undefined;
  const known = c.state.agents[taskId] !== undefined || (tool !== undefined && SPAWNING.has(tool.name));
  if (!known) return; // a background shell, not a subagent
  startAgent(c, taskId, time, { parent: toolId, agentType: tool?.agentType });
  endAgent(c, taskId, time, status === 'failed' || status === 'error' ? 'error' : 'ok', tag(text, 'result'));
  if (toolId && tool) delete c.state.tools[toolId];
}
