import { shortHash } from '../../model/ids.js';
import { classifyUserText, turnKeyFor, type Notice } from './prompt.js';
import { str, time0, type ImageNote, type Line } from './transcript-content.js';
import { emit, seen, type TranscriptContext } from './transcript-context.js';
import { emitMessage } from './transcript-output.js';

/** The session's structure as the lines reveal it: turns, subagents (and the sidechains they write), compactions. */

/** Tools that start a subagent. */
export const SPAWNING = new Set(['Task', 'Agent']);
const MAX_SIDECHAIN_LINKS = 20_000;

export function startTurn(c: TranscriptContext, prompt: string, time: number, images: ImageNote[] = []): void {
  const s = c.state;
  emitMessage(c, '', true);
  s.pendingCommand = undefined;
  const hash = shortHash(prompt, 12);
  const n = (s.prompts[hash] ?? 0) + 1;
  s.prompts[hash] = n;
  const key = turnKeyFor(prompt, n);
  const attributes = images.length ? { attributes: { 'agent_trace.prompt.images': JSON.stringify(images) } } : {};
  emit(c, { type: 'turn.start', key, prompt, time, ...attributes });
  s.turnKey = key;
  s.turnLast = time;
  seen(c, '', time);
}

/** A notice that reached the model: a turn of its own, labelled, owning the reply (see `noticeOf`). */
export function startNotice(c: TranscriptContext, notice: Notice, time: number): void {
  const s = c.state;
  emitMessage(c, '', true);
  s.pendingCommand = undefined;
  emit(c, { type: 'turn.start', key: notice.key, prompt: c.scrub(notice.text), time, attributes: { 'agent_trace.notice': notice.kind } });
  s.turnKey = notice.key;
  s.turnLast = time;
  seen(c, '', time);
}

export function startPendingCommand(c: TranscriptContext): void {
  const p = c.state.pendingCommand;
  if (p) startTurn(c, p.prompt, p.time);
}

export function noteTurnActivity(c: TranscriptContext, agentKey: string | undefined, time: number): void {
  if (agentKey) return;
  const s = c.state;
  if (s.turnKey && (s.turnLast === undefined || time > s.turnLast)) s.turnLast = time;
}

/** '' for the main thread, else the subagent key the line belongs to. */
export function threadOf(c: TranscriptContext, line: Line, forcedAgent: string | undefined): string {
  if (forcedAgent) return forcedAgent;
  if (line.isSidechain !== true) return '';
  const s = c.state;
  const agentId = str(line.agentId);
  let key = agentId;
  const parentUuid = str(line.parentUuid);
  if (!key && parentUuid) key = s.sidechains[parentUuid];
  if (!key) {
    // The first line of an inline (2.0.x) sidechain is the prompt a Task call gave its subagent.
    const said = classifyUserText((line.message as Line | undefined)?.content);
    const text = said.kind === 'prompt' ? said.text : undefined;
    let match: string | undefined;
    let fallback: string | undefined;
    for (const [id, t] of Object.entries(s.tools)) {
      if (!SPAWNING.has(t.name) || t.agent) continue;
      if (text !== undefined && t.prompt !== undefined && t.prompt.trim() === c.scrub(text).trim()) {
        match = id;
        break;
      }
      fallback ??= id;
    }
    const toolId = match ?? fallback;
    key = toolId ?? `sidechain-${str(line.uuid) ?? shortHash(JSON.stringify(line), 12)}`;
    if (toolId) {
      s.tools[toolId]!.agent = key;
      startAgent(c, key, time0(line, s.last), { parent: toolId, agentType: s.tools[toolId]!.agentType });
    }
  }
  const uuid = str(line.uuid);
  if (uuid && key) {
    s.sidechains[uuid] = key;
    const keys = Object.keys(s.sidechains);
    if (keys.length > MAX_SIDECHAIN_LINKS) for (const k of keys.slice(0, keys.length - MAX_SIDECHAIN_LINKS)) delete s.sidechains[k];
  }
  return key ?? '';
}

export function startAgent(c: TranscriptContext, key: string, time: number, info: { parent?: string; agentType?: string; prompt?: string }): void {
  const a = (c.state.agents[key] ??= {});
  // Claude Code runs /compact (and auto-compaction) as an agent of its own (`agent-acompact-…`): not a subagent.
  if (!a.type && !info.agentType && /^acompact/.test(key)) info = { ...info, agentType: 'compaction' };
  const learnParent = info.parent !== undefined && a.parent !== info.parent;
  const learnType = info.agentType !== undefined && a.type !== info.agentType;
  const learnPrompt = info.prompt !== undefined && !a.prompted;
  if (a.last === undefined || time > a.last) a.last = time;
  if (a.started && !learnParent && !learnType && !learnPrompt) return;
  a.started = true;
  if (info.parent) a.parent = info.parent;
  if (info.agentType) a.type = info.agentType;
  if (learnPrompt) a.prompted = true;
  emit(c, {
    type: 'subagent.start',
    key,
    time,
    ...(a.type ? { agentType: a.type } : {}),
    ...(a.parent ? { parentToolKey: a.parent } : {}),
    ...(learnPrompt ? { prompt: info.prompt } : {}),
  });
}

export function touchAgent(c: TranscriptContext, key: string, time: number): void {
  const a = (c.state.agents[key] ??= {});
  if (!a.started) startAgent(c, key, time, {});
  if (a.last === undefined || time > a.last) a.last = time;
}

export function endAgent(c: TranscriptContext, key: string, time: number, status: 'ok' | 'error', output?: string): void {
  const a = (c.state.agents[key] ??= {});
  if (a.ended) return;
  for (const [threadKey] of Object.entries(c.state.threads)) if (threadKey === key) emitMessage(c, threadKey, true);
  a.ended = true;
  emit(c, { type: 'subagent.end', key, time: Math.max(time, a.last ?? time), status, ...(output ? { output } : {}) });
}

export function noteCompaction(c: TranscriptContext, time: number): void {
  const times = (c.state.compactionTimes ??= []);
  times.push(time);
  if (times.length > 1000) times.splice(0, times.length - 1000);
}
