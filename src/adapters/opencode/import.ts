import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AgentEvent, GenerationOutput, Usage } from '../../events/types.js';
import { readHead } from '../import-util.js';
import type { ImportAdapter, ImportedSession } from '../types.js';
import { readDatabase, SQLITE_MAGIC } from './database.js';
import { arr, firstLine, nonEmpty, num, parseJsonLines, parseJsonTolerant, rec, str, toMillis, type Rec } from '../codex/util.js';

/**
 * opencode sessions, from two kinds of files:
 *
 * - `opencode export <session>` JSON: `{info: Session, messages: [{info: Message, parts: Part[]}]}`;
 * - plugin bus event streams (JSON Lines, one `{timestamp, threadId?, projectDirectory?, event: {type,
 *   properties}}` — or a bare `{type, properties}` — per line): session.created/updated, message.updated,
 *   message.part.updated (the full part, again at each change: last state wins), message.part.delta
 *   (streaming text appended to a part), permission.asked/replied, session.error, session.status …
 *
 * Both are reduced to the same model (sessions → messages → parts, ordered by their time-ordered ids) and
 * turned into events the same way. An assistant message holds one or more steps (step-start … step-finish),
 * each one model call with its own usage. A `task` tool runs a subagent in a child session whose id is in
 * the tool's metadata; the child's model calls and tools are nested under that tool when the child is known
 * (same event stream, or the child's export file in the same folder).
 *
 * Tokens: opencode's `input` already excludes cache reads/writes. Whether `output` includes `reasoning`
 * depends on the provider (OpenAI's does, Google's does not); the recorded `total` tells which, and without
 * a total a Google/Gemini provider is taken to report them apart.
 */

interface OcMessage {
  info: Rec;
  parts: Map<string, Rec>;
  /** First and last time a line mentioned the message (event streams only). */
  seen?: number;
}

interface OcSession {
  id: string;
  info: Rec;
  messages: Map<string, OcMessage>;
  marks: AgentEvent[];
  firstSeen?: number;
  /** When each part was first and last updated (event streams only). */
  partSeen: Map<string, { first: number; last: number }>;
}

const DEFAULT_TITLE = /^(New session|Child session) - \d{4}-\d{2}-\d{2}T[\d:.]+Z$/;
const SEPARATE_REASONING = /google|gemini|vertex/i;

/** opencode tokens → billed token kinds (output includes reasoning). */
export function opencodeUsage(tokens: unknown, providerID?: string, modelID?: string): Usage | undefined {
  const t = rec(tokens);
  if (!t) return undefined;
  const input = num(t.input) ?? 0;
  const output = num(t.output) ?? 0;
  const reasoning = num(t.reasoning) ?? 0;
  const cache = rec(t.cache);
  const cacheRead = num(cache?.read) ?? 0;
  const cacheWrite = num(cache?.write) ?? 0;
  const total = num(t.total);
  let separate: boolean;
  if (total !== undefined && reasoning > 0 && total === input + output + reasoning + cacheRead + cacheWrite) separate = true;
  else if (total !== undefined && total === input + output + cacheRead + cacheWrite) separate = false;
  else separate = SEPARATE_REASONING.test(`${providerID ?? ''} ${modelID ?? ''}`);
  return { input, output: separate ? output + reasoning : output, cacheRead, cacheWrite, reasoning };
}

function newSession(id: string): OcSession {
  return { id, info: {}, messages: new Map(), marks: [], partSeen: new Map() };
}

function messageOf(session: OcSession, id: string): OcMessage {
  let m = session.messages.get(id);
  if (!m) {
    m = { info: { id }, parts: new Map() };
    session.messages.set(id, m);
  }
  return m;
}

/** The export file's session (and its messages). */
function fromExport(doc: Rec): OcSession | undefined {
  const info = rec(doc.info) ?? {};
  const messages = arr(doc.messages).map(rec).filter((m): m is Rec => !!m);
  const id = nonEmpty(info.id) ?? messages.map((m) => nonEmpty(rec(m.info)?.sessionID)).find(Boolean);
  if (!id) return undefined;
  const session = newSession(id);
  session.info = info;
  messages.forEach((m, i) => {
    const mi = rec(m.info) ?? {};
    const mid = nonEmpty(mi.id) ?? `message:${i + 1}`;
    const msg = messageOf(session, mid);
    msg.info = { ...mi, id: mid };
    arr(m.parts).forEach((p, j) => {
      const part = rec(p);
      if (!part) return;
      const pid = nonEmpty(part.id) ?? `${mid}:part:${j + 1}`;
      msg.parts.set(pid, { ...part, id: pid });
    });
  });
  return session;
}

/** All sessions mentioned by an event stream, in order of first appearance. */
function fromEvents(lines: Rec[]): Map<string, OcSession> {
  const sessions = new Map<string, OcSession>();
  const permissionTool = new Map<string, { callID?: string; sessionID: string }>();
  let lastTime = 0;
  const session = (id: string, time: number) => {
    let s = sessions.get(id);
    if (!s) {
      s = newSession(id);
      s.firstSeen = time;
      sessions.set(id, s);
    }
    return s;
  };
  for (const line of lines) {
    const event = rec(line.event) ?? (typeof line.type === 'string' && rec(line.properties) ? line : undefined);
    if (!event) continue;
    const type = str(event.type);
    const props = rec(event.properties) ?? {};
    const time = toMillis(line.timestamp) ?? lastTime;
    lastTime = Math.max(lastTime, time);
    switch (type) {
      case 'session.created':
      case 'session.updated': {
        const info = rec(props.info);
        const id = nonEmpty(info?.id);
        if (id) {
          const s = session(id, time);
          s.info = { ...s.info, ...info };
        }
        break;
      }
      case 'message.updated': {
        const info = rec(props.info);
        const sid = nonEmpty(info?.sessionID);
        const mid = nonEmpty(info?.id);
        if (!sid || !mid) break;
        const m = messageOf(session(sid, time), mid);
        m.info = { ...info };
        m.seen ??= time;
        break;
      }
      case 'message.part.updated': {
        const part = rec(props.part);
        const sid = nonEmpty(part?.sessionID);
        const mid = nonEmpty(part?.messageID);
        const pid = nonEmpty(part?.id);
        if (!part || !sid || !mid || !pid) break;
        const s = session(sid, time);
        const m = messageOf(s, mid);
        m.seen ??= time;
        m.parts.set(pid, { ...part });
        const seen = s.partSeen.get(pid);
        s.partSeen.set(pid, { first: seen?.first ?? time, last: time });
        break;
      }
      case 'message.part.delta': {
        const sid = nonEmpty(props.sessionID);
        const mid = nonEmpty(props.messageID);
        const pid = nonEmpty(props.partID);
        const field = nonEmpty(props.field) ?? 'text';
        const delta = str(props.delta);
        if (!sid || !mid || !pid || delta === undefined) break;
        const s = session(sid, time);
        const m = messageOf(s, mid);
        const part = m.parts.get(pid) ?? { id: pid, sessionID: sid, messageID: mid, type: 'text' };
        part[field] = `${str(part[field]) ?? ''}${delta}`;
        m.parts.set(pid, part);
        const seen = s.partSeen.get(pid);
        s.partSeen.set(pid, { first: seen?.first ?? time, last: time });
        break;
      }
      case 'permission.asked':
      case 'permission.updated': {
        const sid = nonEmpty(props.sessionID);
        if (!sid) break;
        const tool = rec(props.tool);
        const callID = nonEmpty(tool?.callID) ?? nonEmpty(props.callID);
        const id = nonEmpty(props.id);
        if (id) permissionTool.set(id, { sessionID: sid, ...(callID ? { callID } : {}) });
        const what = nonEmpty(props.permission) ?? nonEmpty(props.type) ?? 'permission';
        const patterns = arr(props.patterns ?? props.pattern).filter((p): p is string => typeof p === 'string');
        const message = nonEmpty(props.title) ?? (patterns.length ? `${what}: ${patterns.join(', ')}` : what);
        session(sid, time).marks.push({
          sessionId: sid,
          source: 'import',
          type: 'permission',
          time: toMillis(rec(props.time)?.created) ?? time,
          message,
          ...(callID ? { toolKey: callID } : {}),
          attributes: { 'opencode.permission': what, ...(id ? { 'opencode.permission.id': id } : {}) },
        });
        break;
      }
      case 'permission.replied': {
        const sid = nonEmpty(props.sessionID);
        if (!sid) break;
        const requestId = nonEmpty(props.requestID) ?? nonEmpty(props.permissionID);
        const reply = nonEmpty(props.reply) ?? nonEmpty(props.response) ?? 'replied';
        const asked = requestId ? permissionTool.get(requestId) : undefined;
        session(sid, time).marks.push({
          sessionId: sid,
          source: 'import',
          type: 'notification',
          time,
          message: `permission ${reply}`,
          ...(asked?.callID ? { toolKey: asked.callID } : {}),
          attributes: { 'opencode.permission.reply': reply, ...(requestId ? { 'opencode.permission.id': requestId } : {}) },
        });
        break;
      }
      case 'session.error': {
        const sid = nonEmpty(props.sessionID);
        if (!sid) break;
        const error = rec(props.error);
        const message = nonEmpty(rec(error?.data)?.message) ?? nonEmpty(error?.name) ?? 'session error';
        session(sid, time).marks.push({ sessionId: sid, source: 'import', type: 'api.error', time, message });
        break;
      }
      case 'session.status': {
        const sid = nonEmpty(props.sessionID);
        const status = rec(props.status);
        if (!sid || status?.type !== 'retry') break;
        const message = nonEmpty(status.message) ?? 'retrying';
        session(sid, time).marks.push({
          sessionId: sid,
          source: 'import',
          type: 'api.error',
          time,
          message,
          attributes: { 'opencode.retry.attempt': num(status.attempt) ?? 0 },
        });
        break;
      }
      case 'session.compacted': {
        const sid = nonEmpty(props.sessionID);
        if (sid) session(sid, time).marks.push({ sessionId: sid, source: 'import', type: 'compaction.end', time });
        break;
      }
      default:
        break;
    }
  }
  return sessions;
}

function byId(a: [string, unknown], b: [string, unknown]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

function timeOf(value: unknown, key: 'start' | 'end' | 'created' | 'completed'): number | undefined {
  return toMillis(rec(value)?.[key]);
}

/** The child session a `task` tool ran, when its metadata names it. */
function childSessionOf(part: Rec): string | undefined {
  const meta = rec(rec(part.state)?.metadata);
  return nonEmpty(meta?.sessionId) ?? nonEmpty(meta?.sessionID);
}

function userPrompt(msg: OcMessage): string {
  const texts: string[] = [];
  for (const [, p] of [...msg.parts].sort(byId)) {
    if (p.type !== 'text' || p.synthetic === true || p.ignored === true) continue;
    const t = str(p.text);
    if (t && t.trim()) texts.push(t);
  }
  if (!texts.length) {
    for (const [, p] of msg.parts) {
      if (p.type === 'subtask') {
        const t = nonEmpty(p.prompt) ?? nonEmpty(p.description);
        if (t) texts.push(t);
      }
    }
  }
  return texts.join('\n').trim();
}

interface Step {
  parts: Rec[];
  finish?: Rec;
  started: boolean;
}

/** Parts that record what a step did after it finished (file snapshots), not model output. */
const AFTER_STEP = new Set(['patch', 'snapshot']);

function stepsOf(msg: OcMessage): Step[] {
  const steps: Step[] = [];
  let current: Step | undefined;
  for (const [, p] of [...msg.parts].sort(byId)) {
    if (!current && AFTER_STEP.has(str(p.type) ?? '') && steps.length) {
      steps[steps.length - 1]!.parts.push(p);
    } else if (p.type === 'step-start') {
      if (current && (current.parts.length || current.finish)) steps.push(current);
      current = { parts: [], started: true };
    } else if (p.type === 'step-finish') {
      current ??= { parts: [], started: false };
      current.finish = p;
      steps.push(current);
      current = undefined;
    } else {
      current ??= { parts: [], started: false };
      current.parts.push(p);
    }
  }
  if (current && (current.parts.length || current.started)) steps.push(current);
  return steps;
}

interface EmitContext {
  sessionId: string;
  sessions: Map<string, OcSession>;
  events: AgentEvent[];
  /** Child sessions already nested (guards against cycles). */
  nested: Set<string>;
}

/** Turns one session's messages into events; a child session's go under `agentKey`. */
function emitMessages(ctx: EmitContext, session: OcSession, agentKey?: string): void {
  const base = { sessionId: ctx.sessionId, source: 'import' as const };
  const { events } = ctx;
  const turns = new Set<string>();
  const messages = [...session.messages].sort(byId).map(([, m]) => m);
  const compactionUsers = new Set<string>();

  for (const msg of messages) {
    const info = msg.info;
    const mid = str(info.id)!;
    const created = timeOf(info.time, 'created') ?? msg.seen ?? session.firstSeen ?? 0;
    const completed = timeOf(info.time, 'completed');
    if (info.role === 'user') {
      const compaction = [...msg.parts.values()].find((p) => p.type === 'compaction');
      if (compaction) {
        compactionUsers.add(mid);
        events.push({
          ...base,
          type: 'compaction.start',
          key: mid,
          time: created,
          trigger: compaction.auto === true ? 'auto' : 'manual',
          ...(agentKey ? { agentKey } : {}),
        });
        continue;
      }
      if (agentKey) continue; // a subagent's prompt is the spawning tool's input, not a turn of the session
      const prompt = userPrompt(msg);
      if (!prompt) continue;
      events.push({ ...base, type: 'turn.start', key: mid, time: created, prompt, ...agentAttrs(info) });
      turns.add(mid);
      continue;
    }
    if (info.role !== 'assistant') continue;

    const parentID = nonEmpty(info.parentID);
    const place = agentKey ? { agentKey } : parentID && turns.has(parentID) ? { turnKey: parentID } : {};
    const model = nonEmpty(info.modelID);
    const provider = nonEmpty(info.providerID);
    const steps = stepsOf(msg);
    if (steps.length === 0) steps.push({ parts: [], started: false });
    const error = rec(info.error);
    const aborted = error?.name === 'MessageAbortedError';
    const errorMessage = error && !aborted ? (nonEmpty(rec(error.data)?.message) ?? nonEmpty(error.name) ?? 'error') : undefined;
    let stepStart = created;

    steps.forEach((step, index) => {
      const last = index === steps.length - 1;
      const key = steps.length === 1 ? mid : `${mid}:step:${index + 1}`;
      const tools = step.parts.filter((p) => p.type === 'tool');
      const toolStarts = tools.map((p) => timeOf(rec(p.state)?.time, 'start')).filter((t): t is number => t !== undefined);
      const partEnds = step.parts
        .map((p) => timeOf(p.time, 'end') ?? session.partSeen.get(str(p.id) ?? '')?.last)
        .filter((t): t is number => t !== undefined);
      const finishSeen = step.finish ? session.partSeen.get(str(step.finish.id) ?? '')?.last : undefined;
      let end: number | undefined;
      if (toolStarts.length) end = Math.min(...toolStarts);
      else if (last && completed !== undefined) end = completed;
      else if (partEnds.length) end = Math.max(...partEnds);
      else end = finishSeen;
      const finished = step.finish !== undefined || (last && (completed !== undefined || error !== undefined));

      const output: GenerationOutput = {};
      const text = step.parts.filter((p) => p.type === 'text' && p.synthetic !== true).map((p) => str(p.text) ?? '').join('').trim();
      const thinking = step.parts.filter((p) => p.type === 'reasoning').map((p) => str(p.text) ?? '').join('\n').trim();
      const toolCalls = tools.map((p) => ({ id: nonEmpty(p.callID) ?? str(p.id)!, name: nonEmpty(p.tool) ?? 'tool' }));
      if (text) output.text = text;
      if (thinking) output.thinking = thinking;
      if (toolCalls.length) output.toolCalls = toolCalls;
      const tokens = step.finish?.tokens ?? (steps.length === 1 ? info.tokens : undefined);
      const usage = finished ? opencodeUsage(tokens, provider, model) : undefined;
      const finishReason = nonEmpty(step.finish?.reason) ?? (last ? nonEmpty(info.finish) : undefined);
      const cost = num(step.finish?.cost) ?? (steps.length === 1 ? num(info.cost) : undefined);
      const attributes = {
        ...(cost ? { 'opencode.cost_usd': cost } : {}),
        ...(nonEmpty(info.agent) ? { 'opencode.agent': info.agent as string } : {}),
      };

      if (finished) {
        events.push({
          ...base,
          type: 'generation.end',
          key,
          time: Math.max(end ?? stepStart, stepStart),
          startTime: stepStart,
          ...place,
          ...(model ? { model } : {}),
          ...(provider ? { provider } : {}),
          ...(usage && hasTokens(usage) ? { usage } : {}),
          ...(Object.keys(output).length ? { output } : {}),
          ...(finishReason ? { finishReasons: [finishReason] } : {}),
          ...(last && errorMessage ? { error: errorMessage } : {}),
          ...(Object.keys(attributes).length ? { attributes } : {}),
        });
      } else {
        events.push({
          ...base,
          type: 'generation.start',
          key,
          time: stepStart,
          ...place,
          ...(model ? { model } : {}),
          ...(provider ? { provider } : {}),
          ...(Object.keys(attributes).length ? { attributes } : {}),
        });
      }

      for (const tool of tools) emitTool(ctx, session, tool, place, agentKey, created);
      const toolEnds = tools.map((p) => timeOf(rec(p.state)?.time, 'end')).filter((t): t is number => t !== undefined);
      stepStart = Math.max(stepStart, end ?? stepStart, ...toolEnds);
    });

    if (aborted) events.push({ ...base, type: 'interrupt', time: completed ?? stepStart, message: 'aborted', ...place });
    if (info.summary === true) {
      const summary = [...msg.parts.values()].filter((p) => p.type === 'text').map((p) => str(p.text) ?? '').join('').trim();
      events.push({
        ...base,
        type: 'compaction.end',
        key: parentID && compactionUsers.has(parentID) ? parentID : mid,
        time: completed ?? stepStart,
        ...(summary ? { summary } : {}),
        ...(agentKey ? { agentKey } : {}),
      });
    } else if (!agentKey && parentID && turns.has(parentID) && completed !== undefined && !/^tool[-_]calls$/.test(str(info.finish) ?? 'tool-calls')) {
      const text = lastText(msg);
      events.push({ ...base, type: 'turn.end', key: parentID, time: completed, ...(text ? { output: text } : {}) });
    }
  }

  const hasCompactionMessages = compactionUsers.size > 0 || messages.some((m) => m.info.summary === true);
  for (const mark of session.marks) {
    // The bus's session.compacted repeats what the compaction messages already say.
    if (mark.type === 'compaction.end' && hasCompactionMessages) continue;
    events.push({ ...mark, sessionId: ctx.sessionId, ...(agentKey ? { agentKey } : {}) } as AgentEvent);
  }
}

function lastText(msg: OcMessage): string {
  return [...msg.parts]
    .sort(byId)
    .map(([, p]) => p)
    .filter((p) => p.type === 'text' && p.synthetic !== true)
    .map((p) => str(p.text) ?? '')
    .join('')
    .trim();
}

function hasTokens(u: Usage): boolean {
  return Boolean(u.input || u.output || u.cacheRead || u.cacheWrite || u.reasoning);
}

function agentAttrs(info: Rec): { attributes?: Record<string, string> } {
  const agent = nonEmpty(info.agent);
  return agent ? { attributes: { 'opencode.agent': agent } } : {};
}

function emitTool(ctx: EmitContext, session: OcSession, part: Rec, place: { agentKey?: string; turnKey?: string }, agentKey: string | undefined, fallback: number): void {
  const base = { sessionId: ctx.sessionId, source: 'import' as const };
  const state = rec(part.state) ?? {};
  const key = nonEmpty(part.callID) ?? str(part.id)!;
  const name = nonEmpty(part.tool) ?? 'tool';
  const seen = session.partSeen.get(str(part.id) ?? '');
  const start = timeOf(state.time, 'start') ?? seen?.first ?? fallback;
  const end = timeOf(state.time, 'end') ?? seen?.last;
  const status = str(state.status);
  const input = rec(state.input) ?? state.input;
  const title = nonEmpty(state.title);
  ctx.events.push({
    ...base,
    type: 'tool.start',
    key,
    name,
    time: start,
    ...place,
    ...(input !== undefined ? { input } : {}),
    ...(title ? { attributes: { 'opencode.tool.title': title } } : {}),
  });

  const child = name === 'task' ? childSessionOf(part) : undefined;
  if (child) {
    const childSession = ctx.sessions.get(child);
    const inputRec = rec(state.input);
    const firstChildAgent = childSession ? [...childSession.messages.values()].map((m) => nonEmpty(m.info.agent)).find(Boolean) : undefined;
    const agentType = nonEmpty(inputRec?.subagent_type) ?? firstChildAgent;
    const prompt = nonEmpty(inputRec?.prompt) ?? nonEmpty(inputRec?.description);
    ctx.events.push({
      ...base,
      type: 'subagent.start',
      key: child,
      time: start,
      parentToolKey: key,
      ...(agentKey ? { agentKey } : {}),
      ...(agentType ? { agentType } : {}),
      ...(prompt ? { prompt } : {}),
    });
    if (childSession && !ctx.nested.has(child)) {
      ctx.nested.add(child);
      emitMessages(ctx, childSession, child);
    }
    if ((status === 'completed' || status === 'error') && end !== undefined) {
      ctx.events.push({
        ...base,
        type: 'subagent.end',
        key: child,
        time: end,
        status: status === 'error' ? 'error' : 'ok',
        ...(typeof state.output === 'string' ? { output: state.output } : {}),
      });
    }
  }

  if (status === 'completed' || status === 'error') {
    const error = status === 'error' ? (nonEmpty(state.error) ?? 'tool failed') : undefined;
    ctx.events.push({
      ...base,
      type: 'tool.end',
      key,
      time: end ?? start,
      ...place,
      ...(state.output !== undefined ? { output: state.output } : {}),
      ...(error ? { error, errorType: /abort|interrupt/i.test(error) ? 'aborted' : 'tool_error' } : {}),
    });
  }
}

/** Builds the events of one root session (and the child sessions it spawned). */
function sessionEvents(root: OcSession, sessions: Map<string, OcSession>): AgentEvent[] {
  const events: AgentEvent[] = [];
  const ctx: EmitContext = { sessionId: root.id, sessions, events, nested: new Set([root.id]) };
  const info = root.info;
  const firstAssistant = [...root.messages.values()].sort((a, b) => (str(a.info.id)! < str(b.info.id)! ? -1 : 1)).find((m) => m.info.role === 'assistant');
  const model = nonEmpty(firstAssistant?.info.modelID) ?? nonEmpty(rec(firstMessage(root)?.info.model)?.modelID);
  const provider = nonEmpty(firstAssistant?.info.providerID) ?? nonEmpty(rec(firstMessage(root)?.info.model)?.providerID);
  const title = nonEmpty(info.title);
  const start =
    timeOf(info.time, 'created') ?? timeOf(firstMessage(root)?.info.time, 'created') ?? firstMessage(root)?.seen ?? root.firstSeen ?? 0;
  const cwd = nonEmpty(info.directory) ?? nonEmpty(rec(firstAssistant?.info.path)?.cwd);
  const attributes: Record<string, string> = {};
  if (nonEmpty(info.slug)) attributes['opencode.slug'] = info.slug as string;
  if (nonEmpty(info.projectID)) attributes['opencode.project_id'] = info.projectID as string;
  if (nonEmpty(info.parentID)) attributes['opencode.parent_session_id'] = info.parentID as string;
  events.push({
    sessionId: root.id,
    source: 'import',
    type: 'session.start',
    time: start,
    agent: { name: 'opencode', ...(nonEmpty(info.version) ? { version: info.version as string } : {}) },
    ...(cwd ? { cwd } : {}),
    ...(title && !DEFAULT_TITLE.test(title) ? { title } : {}),
    ...(model ? { model } : {}),
    ...(provider ? { provider } : {}),
    ...(Object.keys(attributes).length ? { attributes } : {}),
  });
  emitMessages(ctx, root);
  // In the order they happened; the sort is stable, so equal times keep the order they were built in.
  const [head, ...rest] = events;
  rest.sort((a, b) => a.time - b.time);
  return [head!, ...rest];
}

function firstMessage(s: OcSession): OcMessage | undefined {
  return [...s.messages].sort(byId)[0]?.[1];
}

function childIds(sessions: Map<string, OcSession>): Set<string> {
  const children = new Set<string>();
  for (const s of sessions.values()) {
    for (const m of s.messages.values()) {
      for (const p of m.parts.values()) {
        if (p.type === 'tool' && p.tool === 'task') {
          const child = childSessionOf(p);
          if (child && child !== s.id && sessions.has(child)) children.add(child);
        }
      }
    }
    const parent = nonEmpty(s.info.parentID);
    if (parent && parent !== s.id && sessions.has(parent)) children.add(s.id);
  }
  return children;
}

function isEventStream(text: string): boolean {
  const line = firstLine(text);
  if (!/^\{/.test(line)) return false;
  if (/"event"\s*:\s*\{\s*("id"\s*:\s*"[^"]*"\s*,\s*)?"type"\s*:\s*"[a-z]+\.[a-z._]+"/.test(line)) return true;
  // A bare bus event: `{type, properties}`, or (opencode 1.1x and later) `{id, type, properties}`.
  return /^\{\s*("id"\s*:\s*"[^"]*"\s*,\s*)?"type"\s*:\s*"[a-z]+\.[a-z._]+"\s*,\s*"properties"/.test(line);
}

/** Reads an event-stream file's text. Exposed for tests. */
export function readOpencodeEvents(text: string, path = 'events.jsonl'): ImportedSession[] {
  const lines = parseJsonLines(text).map((l) => l.value);
  const sessions = fromEvents(lines);
  const children = childIds(sessions);
  const out: ImportedSession[] = [];
  for (const s of sessions.values()) {
    if (children.has(s.id)) continue;
    if (s.messages.size === 0 && Object.keys(s.info).length === 0) continue;
    out.push({ sessionId: s.id, events: sessionEvents(s, sessions), source: path });
  }
  return out;
}

/**
 * Reads an export file's text. `siblings` finds other export files of the same folder by session id, so a
 * `task` subagent's own export nests under the tool that ran it. Exposed for tests.
 */
export function readOpencodeExport(text: string, path = 'export.json', siblings?: (id: string) => OcSession | undefined): ImportedSession[] {
  const doc = rec(parseJsonTolerant(text));
  if (!doc) return [];
  const root = fromExport(doc);
  if (!root) return [];
  const sessions = new Map<string, OcSession>([[root.id, root]]);
  if (siblings) {
    // Pull in the child sessions (recursively) that this session's task tools name.
    const queue = [root];
    while (queue.length) {
      const s = queue.shift()!;
      for (const m of s.messages.values()) {
        for (const p of m.parts.values()) {
          const child = p.type === 'tool' && p.tool === 'task' ? childSessionOf(p) : undefined;
          if (!child || sessions.has(child)) continue;
          const found = siblings(child);
          if (found) {
            sessions.set(child, found);
            queue.push(found);
          }
        }
      }
    }
  }
  return [{ sessionId: root.id, events: sessionEvents(root, sessions), source: path }];
}

const SIBLING_LIMIT = 200;

/** The session id an export file holds, from its first bytes (the `info` object comes first). */
function exportIdOf(file: string): { id?: string; parentID?: string } {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(8192);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const head = buf.subarray(0, n).toString('utf8');
    if (!detectOpencodeExport(head)) return {};
    const info = head.slice(head.indexOf('"info"'));
    const id = /"id"\s*:\s*"([^"]+)"/.exec(info)?.[1];
    const parentID = /"parentID"\s*:\s*"([^"]+)"/.exec(info)?.[1];
    return { ...(id ? { id } : {}), ...(parentID ? { parentID } : {}) };
  } catch {
    return {};
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function exportFilesBeside(path: string): Array<{ file: string; id?: string; parentID?: string }> {
  let names: string[];
  try {
    names = readdirSync(dirname(path)).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  names.sort();
  return names.slice(0, SIBLING_LIMIT).map((n) => ({ file: join(dirname(path), n), ...exportIdOf(join(dirname(path), n)) }));
}

function detectOpencodeExport(head: string): boolean {
  const begin = head.search(/\{/);
  if (begin === -1 || begin > 200) return false;
  const t = head.slice(begin);
  if (!/^\{\s*"info"\s*:\s*\{/.test(t)) return false;
  return /"messages"\s*:/.test(t) || /"id"\s*:\s*"ses_/.test(t) || /"projectID"\s*:/.test(t);
}

/** `<storage>/session/<projectID>/ses_….json`: a session record of opencode's own storage folder. */
const STORAGE_SESSION = /[\\/]session[\\/][^\\/]+[\\/](ses_[^\\/]+)\.json$/;

function detectStorageSession(path: string, head: string): boolean {
  const m = STORAGE_SESSION.exec(path);
  if (!m) return false;
  const t = head.trimStart();
  return t.startsWith('{') && !/^\{\s*"info"\s*:/.test(t) && t.includes(`"${m[1]}"`) && /"(projectID|directory|version)"\s*:/.test(t);
}

function readJsonFile(file: string): Rec | undefined {
  try {
    return rec(parseJsonTolerant(readFileSync(file, 'utf8')));
  } catch {
    return undefined;
  }
}

function jsonFilesIn(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((n) => n.endsWith('.json'))
      .sort()
      .map((n) => join(dir, n));
  } catch {
    return [];
  }
}

/**
 * A session from opencode's storage folder (`~/.local/share/opencode/storage`): the session record, its
 * messages in `message/<sessionID>/`, each message's parts in `part/<messageID>/`.
 */
function fromStorage(sessionFile: string): OcSession | undefined {
  const info = readJsonFile(sessionFile);
  const id = nonEmpty(info?.id);
  if (!info || !id) return undefined;
  const root = dirname(dirname(dirname(sessionFile)));
  const messages = jsonFilesIn(join(root, 'message', id)).map(readJsonFile).filter((m): m is Rec => !!m && typeof m.id === 'string');
  return fromExport({
    info,
    messages: messages.map((m) => ({ info: m, parts: jsonFilesIn(join(root, 'part', m.id as string)).map(readJsonFile).filter(Boolean) })),
  });
}

function readStorageSession(path: string): ImportedSession[] {
  const root = fromStorage(path);
  if (!root) return [];
  // A child session (a task's subagent) is imported inside its parent's trace when the parent is stored too.
  const parentID = nonEmpty(root.info.parentID);
  if (parentID && parentID !== root.id && jsonFilesIn(dirname(path)).includes(join(dirname(path), `${parentID}.json`))) return [];
  const sessions = new Map<string, OcSession>([[root.id, root]]);
  const queue = [root];
  while (queue.length) {
    const s = queue.shift()!;
    for (const m of s.messages.values()) {
      for (const part of m.parts.values()) {
        const child = part.type === 'tool' && part.tool === 'task' ? childSessionOf(part) : undefined;
        if (!child || sessions.has(child)) continue;
        const found = fromStorage(join(dirname(path), `${child}.json`));
        if (found) {
          sessions.set(child, found);
          queue.push(found);
        }
      }
    }
  }
  return [{ sessionId: root.id, events: sessionEvents(root, sessions), source: path }];
}

/**
 * opencode's SQLite database: every root session in it, each with the child sessions its `task` tools ran (or
 * that name it as parent) nested inside; `ids` limits it to those sessions (a catch-up reads one).
 */
export function readOpencodeDatabase(path: string, ids?: readonly string[]): ImportedSession[] {
  const stored = readDatabase(path, ids);
  const sessions = new Map<string, OcSession>();
  for (const s of stored) {
    const session = fromExport(s as unknown as Rec);
    if (session) sessions.set(session.id, session);
  }
  const children = childIds(sessions);
  const out: ImportedSession[] = [];
  for (const s of sessions.values()) {
    if (children.has(s.id) || (ids && !ids.includes(s.id))) continue;
    if (s.messages.size === 0) continue; // created and never used: nothing happened
    out.push({ sessionId: s.id, events: sessionEvents(s, sessions), source: path });
  }
  return out;
}

function isDatabase(path: string, head: string): boolean {
  return head.startsWith(SQLITE_MAGIC) && /opencode[^/\\]*\.db$/i.test(path);
}

/** Does this file look like an opencode export, a bus event stream, a session of opencode's storage or its database? */
export function detectOpencode(path: string, head: string): boolean {
  return isDatabase(path, head) || detectOpencodeExport(head) || isEventStream(head) || detectStorageSession(path, head);
}

export const opencodeImporter: ImportAdapter = {
  agent: 'opencode',
  detect(path: string, head: string): boolean {
    try {
      return detectOpencode(path, head);
    } catch {
      return false;
    }
  },
  readSession(path: string, sessionId: string): ImportedSession[] {
    return isDatabase(path, readHead(path, 16)) ? readOpencodeDatabase(path, [sessionId]) : this.read(path);
  },
  read(path: string): ImportedSession[] {
    if (isDatabase(path, readHead(path, 16))) return readOpencodeDatabase(path);
    const text = readFileSync(path, 'utf8');
    if (isEventStream(text)) return readOpencodeEvents(text, path);
    if (detectStorageSession(path, text.slice(0, 4096))) return readStorageSession(path);
    const doc = rec(parseJsonTolerant(text));
    const self = doc ? fromExport(doc) : undefined;
    if (!self) return readOpencodeEvents(text, path);
    let beside: ReturnType<typeof exportFilesBeside> | undefined;
    const besideFiles = () => (beside ??= exportFilesBeside(path).filter((f) => f.file !== path));
    // A child session whose parent's export sits in the same folder is imported with its parent.
    const parentID = nonEmpty(self.info.parentID);
    if (parentID && besideFiles().some((f) => f.id === parentID)) return [];
    const hasTasks = [...self.messages.values()].some((m) => [...m.parts.values()].some((p) => p.type === 'tool' && p.tool === 'task' && childSessionOf(p)));
    const siblings = hasTasks
      ? (id: string): OcSession | undefined => {
          const match = besideFiles().find((f) => f.id === id);
          if (!match) return undefined;
          try {
            if (statSync(match.file).size > 256 * 1024 * 1024) return undefined;
            const child = rec(parseJsonTolerant(readFileSync(match.file, 'utf8')));
            return child ? fromExport(child) : undefined;
          } catch {
            return undefined;
          }
        }
      : undefined;
    return readOpencodeExport(text, path, siblings).map((s) => ({ ...s, source: path }));
  },
};

