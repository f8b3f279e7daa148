import { readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentEvent, SessionEndEvent, SessionInterruptedEvent, TurnStartEvent } from '../events/types.js';
import type { TraceDocument } from '../model/trace.js';
import { FILE_MODE } from './fs-util.js';
import { acquireSync } from './lock.js';
import { isMissing, logErrorLimited } from './log.js';
import { isPidAlive, procInfo } from './process-info.js';
import type { LivenessStore } from './store-api.js';

/**
 * Status truth for sessions whose end may never be reported (SessionEnd does not fire on a killed terminal,
 * and not always on Ctrl-C): a running session is interrupted once its agent process is gone — recorded at
 * SessionStart from the hook's parent chain, with the process start time so a reused pid is not mistaken
 * for the agent — or, when no process could be recorded, once it has been inactive past a configurable time.
 * The interruption is recorded as a `session.interrupted` event at the session's last activity, so every
 * reader agrees; a later SessionStart (`--resume`) or prompt continues the same trace.
 *
 * Imported sessions (saved transcripts, rollouts, chat files) are different: no process was ever recorded and
 * their files do not record an end, but they show how the last turn ended. Once idle, such a session is
 * completed when that turn finished normally and interrupted only when it visibly did not (`importedEnding`).
 */

export const AGENT_FILE = 'agent.json';
export const DEFAULT_INACTIVITY_MINUTES = 30;
const LIVENESS_LOCK = 'liveness.lock';

export interface AgentProcess {
  pid: number;
  /** Process start time as the OS reports it (Linux: clock ticks since boot), to tell a reused pid apart. */
  start?: string;
  command?: string;
}

const WRAPPERS = /^(sh|bash|dash|zsh|fish|ksh|mksh|tcsh|csh|busybox|env|nice|nohup|timeout|stdbuf|sudo|doas|script|cmd\.exe|powershell|pwsh|npm|npx|node-gyp)$/i;

/**
 * The agent that ran this hook: the first ancestor that is not a shell or a wrapper (Claude Code runs hook
 * commands through a shell). Undefined when the chain cannot be read.
 */
export function findAgentProcess(fromPid: number = process.ppid): AgentProcess | undefined {
  let pid = fromPid;
  for (let depth = 0; depth < 8 && pid > 1; depth++) {
    const info = procInfo(pid);
    // Unreadable (another OS): the parent itself, while it lives; a gone parent tells nothing.
    if (!info) return depth === 0 && isPidAlive(pid) ? { pid } : undefined;
    if (info.zombie) return undefined;
    if (!WRAPPERS.test(info.command)) return { pid, ...(info.start ? { start: info.start } : {}), command: info.command };
    pid = info.ppid;
  }
  return undefined;
}

export function recordAgentProcess(folder: string, agent: AgentProcess): void {
  writeFileSync(join(folder, AGENT_FILE), JSON.stringify({ ...agent, recordedAt: Date.now() }), { mode: FILE_MODE });
}

export function readAgentProcess(folder: string): AgentProcess | undefined {
  try {
    const rec = JSON.parse(readFileSync(join(folder, AGENT_FILE), 'utf8')) as AgentProcess;
    return typeof rec.pid === 'number' && rec.pid > 0 ? rec : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a recorded process still runs (a zombie, or a pid now used by another process, does not). */
export function isProcessAlive(agent: AgentProcess): boolean {
  return isPidAlive(agent.pid, agent.start);
}

/** The last moment a trace shows activity. */
export function lastActivityOf(doc: TraceDocument): number {
  return doc.startTime + Math.max(0, doc.summary.durationMs);
}

/** Sources whose events an import writes (and replaces when it runs again). */
export const IMPORT_SOURCES: ReadonlySet<string> = new Set(['import', 'transcript']);
export const IMPORT_ENDED_REASON = 'imported: transcript ended';

/**
 * How an imported session ended, from its events: saved transcripts record no session end, so a session whose
 * last turn finished normally is completed (at its last activity), and one whose last turn visibly did not —
 * an interrupt mark (`[Request interrupted by user]`, an aborted turn), a tool or model call never answered,
 * a turn never closed — is interrupted. Undefined when the events already end the session (or hold nothing).
 * Deterministic: the same events give the same event, so re-importing changes nothing.
 */
export function importedEnding(sessionId: string, events: readonly AgentEvent[]): SessionEndEvent | SessionInterruptedEvent | undefined {
  let last = Number.NEGATIVE_INFINITY;
  let lastStart = Number.NEGATIVE_INFINITY;
  let lastEnd = Number.NEGATIVE_INFINITY;
  let lastTurn: TurnStartEvent | undefined;
  const toolsAnswered = new Set<string>();
  const callsAnswered = new Set<string>();
  for (const e of events) {
    if (e.time > last) last = e.time;
    if (e.type === 'session.start' && e.time > lastStart) lastStart = e.time;
    else if ((e.type === 'session.end' || e.type === 'session.crash' || e.type === 'session.interrupted') && e.time > lastEnd) lastEnd = e.time;
    else if (e.type === 'turn.start' && (!lastTurn || e.time >= lastTurn.time)) lastTurn = e;
    else if (e.type === 'tool.end') toolsAnswered.add(e.key);
    else if (e.type === 'generation.end') callsAnswered.add(e.key);
  }
  if (!Number.isFinite(last) || (Number.isFinite(lastEnd) && lastEnd >= lastStart)) return undefined;
  const from = lastTurn?.time ?? Number.NEGATIVE_INFINITY;
  const interrupted = (reason: string): SessionInterruptedEvent => ({ type: 'session.interrupted', sessionId, time: last, source: 'import', reason: `imported: ${reason}` });
  // Only the main thread counts: a subagent's loose end is not how the session ended.
  const main = events.filter((e) => e.time >= from && !(e as { agentKey?: string }).agentKey);
  const mark = main.find((e) => e.type === 'interrupt');
  if (mark) {
    const message = mark.type === 'interrupt' && mark.message ? ` (${mark.message.slice(0, 120)})` : '';
    return interrupted(`the last turn was interrupted${message}`);
  }
  const tool = main.find((e) => e.type === 'tool.start' && !toolsAnswered.has(e.key));
  if (tool?.type === 'tool.start') return interrupted(`the last turn left tool call ${tool.name} unanswered`);
  if (main.some((e) => e.type === 'generation.start' && !callsAnswered.has(e.key))) return interrupted('the last turn left a model call unfinished');
  if (lastTurn) {
    const start = lastTurn;
    const closed = events.some((e) => e.type === 'turn.end' && e.time >= start.time && (e.key === undefined || start.key === undefined || e.key === start.key));
    if (!closed) return interrupted('the last turn never finished');
  }
  return { type: 'session.end', sessionId, time: last, source: 'import', status: 'completed', reason: IMPORT_ENDED_REASON };
}

export interface LivenessOptions {
  now?: number;
  inactivityMs?: number;
  /** When the session was last active (default: the journal's modification time). */
  lastActivity?: number;
}

/**
 * Why a session that claims to be running is not (its agent process is gone, or it has been idle past the
 * limit), or undefined while it lives. Reads only; never throws.
 */
export function whyNotRunning(store: LivenessStore, sessionId: string, doc: TraceDocument, options: LivenessOptions = {}): { reason: string; idle: boolean } | undefined {
  if (doc.status !== 'running') return undefined;
  try {
    return deadReason(store, sessionId, doc, options);
  } catch {
    return undefined;
  }
}

/**
 * Records the interruption of a session found not running (part of the store's reconcile step, never of a
 * read). Returns the trace as it now is. Never throws: status truth must not break a reader.
 */
export function recordNotRunning(store: LivenessStore, sessionId: string, doc: TraceDocument, dead: { reason: string; idle: boolean }): TraceDocument {
  try {
    return markInterrupted(store, sessionId, doc, dead.reason, dead.idle);
  } catch (error) {
    logErrorLimited(store.dir, `session ${sessionId}: interruption not recorded`, error);
    return doc;
  }
}

/** Both steps at once, for callers that have nothing to catch up in between (import). */
export function checkLiveness(store: LivenessStore, sessionId: string, doc: TraceDocument, options: LivenessOptions = {}): TraceDocument {
  const dead = whyNotRunning(store, sessionId, doc, options);
  return dead ? recordNotRunning(store, sessionId, doc, dead) : doc;
}

function deadReason(store: LivenessStore, sessionId: string, doc: TraceDocument, options: LivenessOptions): { reason: string; idle: boolean } | undefined {
  const folder = store.folder(sessionId);
  const root = doc.spans.find((s) => s.parentSpanId === null && s.kind === 'session');
  const pidAttr = root?.attributes['agent_trace.agent_pid'];
  const recorded = readAgentProcess(folder);
  const agent = recorded ?? (typeof pidAttr === 'number' && pidAttr > 0 ? { pid: pidAttr } : undefined);
  if (agent) return isProcessAlive(agent) ? undefined : { reason: `agent process ${agent.pid} exited without ending the session`, idle: false };
  const now = options.now ?? Date.now();
  const inactivityMs = options.inactivityMs ?? DEFAULT_INACTIVITY_MINUTES * 60_000;
  const last = options.lastActivity ?? store.lastActivity(sessionId);
  if (last > 0 && now - last > inactivityMs) return { reason: `no activity for ${Math.round(inactivityMs / 60_000)} minutes`, idle: true };
  return undefined;
}

/** For a session only an import wrote (no hook, no tracer), the end its transcript shows; else undefined. */
function importedSessionEnding(store: LivenessStore, sessionId: string): AgentEvent | undefined {
  const events = store.readEvents(sessionId);
  if (!events.length || !events.every((e) => IMPORT_SOURCES.has(e.source ?? ''))) return undefined;
  return importedEnding(sessionId, events);
}

function markInterrupted(store: LivenessStore, sessionId: string, doc: TraceDocument, reason: string, idle: boolean): TraceDocument {
  const folder = store.folder(sessionId);
  const release = acquireSync(folder, { name: LIVENESS_LOCK, waitMs: 1_000 });
  if (!release) return doc;
  try {
    // Another reader may have recorded it while this one waited.
    const current = store.materialize(sessionId);
    if (current.status !== 'running') return current;
    const journal = store.journalPath(sessionId);
    const before = statSync(journal);
    const time = Math.min(Date.now(), Math.max(lastActivityOf(current), current.startTime));
    // An imported session gone idle ends the way its transcript shows, exactly as a later re-import would end it.
    const ending = idle ? importedSessionEnding(store, sessionId) : undefined;
    const [stored] = store.append([ending ?? { type: 'session.interrupted', sessionId, time, source: 'system', reason }]);
    // The journal's time is the session's last activity (retention sorts by it): an interruption noticed
    // now must not make a long-dead session look fresh.
    try {
      const after = statSync(journal);
      const added = Buffer.byteLength(`${JSON.stringify(stored)}\n`);
      if (after.size === before.size + added) utimesSync(journal, before.atime, before.mtime);
    } catch (error) {
      // the time stays as it is
      if (!isMissing(error)) logErrorLimited(store.dir, `session ${sessionId}: journal time not kept`, error);
    }
    return store.materialize(sessionId);
  } finally {
    release();
  }
}
