import { classifyUserText, noticeOf } from './prompt.js';
import { imageNote, isStopped, str, toolResultText, usageOf, type Block, type Line } from './transcript-content.js';
import { emit, seen, thread, type ToolInfo, type TranscriptContext } from './transcript-context.js';
import { endAgent, noteCompaction, noteTurnActivity, SPAWNING, startAgent, startNotice, startPendingCommand, startTurn, touchAgent } from './transcript-flow.js';
import { emitMessage, place, placeTool } from './transcript-output.js';

/** Assistant lines (a response, written as one line per content block) and user lines (prompts, tool results, summaries). */

/** The result Claude Code writes on resume for a call its previous process never answered. */
const ORPHANED_CALL = /^\[Tool call interrupted\b/;

export function assistant(c: TranscriptContext, line: Line, time: number, threadKey: string): void {
  const msg = line.message as Line | undefined;
  if (!msg || typeof msg !== 'object') return;
  const model = str(msg.model);
  const content = Array.isArray(msg.content) ? (msg.content as Block[]) : typeof msg.content === 'string' ? [{ type: 'text', text: msg.content }] : [];
  const agentKey = threadKey || undefined;
  if (agentKey) touchAgent(c, agentKey, time);
  if (model === '<synthetic>' || line.isApiErrorMessage === true) {
    // Made locally: not an API response. An API error is worth a mark; anything else is noise.
    const text = content.map((b) => (typeof b.text === 'string' ? b.text : '')).join('\n').trim();
    if (line.isApiErrorMessage === true || /^API Error/i.test(text)) {
      emit(c, { type: 'api.error', time, message: text || 'API error', ...place(c, agentKey) });
    }
    seen(c, threadKey, time);
    return;
  }
  if (!agentKey) startPendingCommand(c);
  const open = thread(c, threadKey);
  const id = str(msg.id) ?? str(line.requestId) ?? str(line.uuid) ?? `line-${time}`;
  if (open.msg && open.msg.id !== id) emitMessage(c, threadKey, true);
  let m = open.msg;
  if (!m) {
    m = { id, start: open.last !== undefined && open.last <= time ? open.last : time, time, turnKey: agentKey ? undefined : c.state.turnKey };
    open.msg = m;
  }
  m.time = Math.max(m.time, time);
  m.dirty = true;
  if (line.progressCopy === true) m.provisional = true;
  if (model) m.model = model;
  const usage = usageOf(msg.usage);
  if (usage) m.usage = usage;
  if (str(msg.stop_reason)) m.stop = msg.stop_reason as string;
  for (const b of content) {
    if (!b || typeof b !== 'object') continue;
    if (b.type === 'text' && typeof b.text === 'string') {
      const text = c.scrub(b.text);
      m.text = m.text ? `${m.text}\n${text}` : text;
      if (!agentKey && text.trim()) c.state.lastText = text;
    } else if (b.type === 'thinking' && typeof b.thinking === 'string') {
      const thinking = c.scrub(b.thinking);
      m.thinking = m.thinking ? `${m.thinking}\n${thinking}` : thinking;
    } else if (b.type === 'tool_use' && typeof b.id === 'string') {
      const name = str(b.name) ?? 'unknown';
      (m.toolCalls ??= []).push({ id: b.id, name });
      toolStart(c, b.id, name, b.input, time, agentKey);
    }
  }
  seen(c, threadKey, time);
  noteTurnActivity(c, agentKey, time);
}

function toolStart(c: TranscriptContext, id: string, name: string, input: unknown, time: number, agentKey: string | undefined): void {
  const s = c.state;
  if (s.tools[id]) return;
  const info: ToolInfo = { name, ...(agentKey ? { agentKey } : s.turnKey ? { turnKey: s.turnKey } : {}) };
  if (SPAWNING.has(name) && input && typeof input === 'object') {
    const i = input as Record<string, unknown>;
    if (typeof i.prompt === 'string') info.prompt = c.scrub(i.prompt);
    if (typeof i.subagent_type === 'string') info.agentType = i.subagent_type;
  }
  s.tools[id] = info;
  emit(c, {
    type: 'tool.start',
    key: id,
    name,
    time,
    ...(input !== undefined ? { input } : {}),
    toolType: name.startsWith('mcp__') ? 'extension' : 'function',
    ...placeTool(info),
  });
}

export function user(c: TranscriptContext, line: Line, time: number, threadKey: string): void {
  const msg = line.message as Line | undefined;
  const content = msg && typeof msg === 'object' ? msg.content : undefined;
  const agentKey = threadKey || undefined;
  const s = c.state;
  if (agentKey) touchAgent(c, agentKey, time);
  if (line.isCompactSummary === true) {
    compactSummary(c, content, time);
    return;
  }
  let results = false;
  if (Array.isArray(content)) {
    for (const b of content as Block[]) {
      if (b?.type === 'tool_result' && typeof b.tool_use_id === 'string') {
        results = true;
        toolResult(c, b, line, time, agentKey);
      }
    }
  }
  if (results) {
    seen(c, threadKey, time);
    noteTurnActivity(c, agentKey, time);
  }
  if (line.isMeta === true || line.isVisibleInTranscriptOnly === true || line.isSynthetic === true) return;
  if (!agentKey && !results) {
    const origin = line.origin && typeof line.origin === 'object' ? str((line.origin as Line).kind) : undefined;
    const raw = typeof content === 'string' ? content : Array.isArray(content) ? (content as Block[]).map((b) => (b?.type === 'text' && typeof b.text === 'string' ? b.text : '')).join('\n') : '';
    const notice = noticeOf(raw, origin);
    if (notice) {
      startNotice(c, notice, time);
      return;
    }
  }
  const said = classifyUserText(content);
  if (said.kind === 'none') {
    // A command that printed its output locally (`/model`, `/mcp`, `/clear` …) never reached the model.
    if (!agentKey && s.pendingCommand && /<local-command-std(out|err)>/.test(typeof content === 'string' ? content : JSON.stringify(content ?? ''))) s.pendingCommand = undefined;
    return;
  }
  if (agentKey) {
    // A subagent's first words are the task it was given.
    const a = (s.agents[agentKey] ??= {});
    if (said.kind === 'prompt' && !a.prompted) {
      a.prompted = true;
      startAgent(c, agentKey, time, { prompt: said.text });
    }
    seen(c, threadKey, time);
    return;
  }
  if (said.kind === 'interrupt') {
    emitMessage(c, '', true);
    emit(c, { type: 'interrupt', time, message: said.text, ...(s.turnKey ? { turnKey: s.turnKey } : {}) });
    if (s.turnKey) {
      emit(c, { type: 'turn.end', key: s.turnKey, time });
      s.turnKey = undefined;
      s.turnLast = undefined;
    }
    seen(c, '', time);
    return;
  }
  if (said.kind === 'command') {
    // Only a command that reaches the model (an expansion or a response follows) is a turn.
    s.pendingCommand = { prompt: c.scrub(said.text), time };
    seen(c, '', time);
    return;
  }
  // Images pasted into the prompt are kept as what they were (type, size; a thumbnail when small).
  const images = Array.isArray(content) ? (content as Block[]).filter((b) => b?.type === 'image').map(imageNote) : [];
  startTurn(c, c.scrub(said.text), time, images);
}

function toolResult(c: TranscriptContext, b: Block, line: Line, time: number, agentKey: string | undefined): void {
  const s = c.state;
  const id = b.tool_use_id as string;
  const info = s.tools[id] ?? { name: 'unknown', ...(agentKey ? { agentKey } : {}) };
  const output = toolResultText(b.content);
  const isError = b.is_error === true;
  const text = typeof output === 'string' ? output : JSON.stringify(output ?? '');
  // A call whose process died before its result was written is answered by the next process that resumes the
  // session ("[Tool call interrupted: the session ended before…]"), written at resume time: it ended when the
  // agent was last seen working, not when someone resumed the session.
  const orphaned = isError && ORPHANED_CALL.test(text.trim());
  const end = orphaned && s.lastWork !== undefined ? Math.min(time, s.lastWork) : time;
  emit(c, {
    type: 'tool.end',
    key: id,
    time: end,
    ...(info.name !== 'unknown' ? { name: info.name } : {}),
    ...(output !== undefined ? { output } : {}),
    ...(isError
      ? {
          error: text.replace(/<\/?tool_use_error>/g, '').trim() || 'tool error',
          errorType: orphaned || isStopped(text, line.toolUseResult) ? 'interrupted' : text.includes('<tool_use_error>') ? 'tool_use_error' : 'tool_error',
        }
      : {}),
    ...placeTool(info),
  });
  // A Task/Agent call tells which subagent it ran (2.1: `toolUseResult.agentId`); a synchronous call's
  // result is its subagent's end, a background one (`async_launched`) ends with a task notification.
  if (SPAWNING.has(info.name)) {
    const r = line.toolUseResult && typeof line.toolUseResult === 'object' ? (line.toolUseResult as Record<string, unknown>) : {};
    const agentId = str(r.agentId) ?? info.agent;
    if (agentId) {
      startAgent(c, agentId, time, { parent: id, agentType: info.agentType, prompt: str(r.prompt) });
      if (r.status !== 'async_launched') endAgent(c, agentId, time, isError || r.status === 'failed' ? 'error' : 'ok');
    }
  }
  delete s.tools[id];
}

function compactSummary(c: TranscriptContext, content: unknown, time: number): void {
  const s = c.state;
  if (s.summarized) {
    // A summary without a boundary line (older versions): its own compaction.
    s.compactions++;
    noteCompaction(c, time);
  }
  s.summarized = true;
  const summary = toolResultText(content);
  emit(c, {
    type: 'compaction.end',
    key: `compact:${s.compactions}`,
    time,
    ...(typeof summary === 'string' && summary ? { summary } : {}),
  });
}
