import type { AgentEvent, AgentInfo } from '../events/types.js';
import { turnKeyFor } from './ids.js';
import { compact } from './builder-content.js';
import { insertTurn, turnAt } from './builder-placement.js';
import {
  addEvent,
  closeOpenSpans,
  createSpan,
  lastTimeBefore,
  nextOrdinal,
  noteModel,
  reopen,
  setLifecycle,
  spanOf,
  touch,
  type BuilderState,
} from './builder-state.js';
import { byStart, type SpanState } from './span-state.js';

/** The session's own events and its turns. */

type Event<T extends AgentEvent['type']> = Extract<AgentEvent, { type: T }>;

export function sessionStart(s: BuilderState, e: Event<'session.start'>): void {
  // The same start seen by a second source (the hook's SessionStart beside an imported transcript's start) is
  // not a new process picking the session up: no resume, nothing closed.
  const source = e.source ?? '';
  const hadStart = s.startSources.size > 0;
  const sameStart = hadStart && !s.startSources.has(source) && e.reason !== 'resume' && s.lifecycle === 'running';
  s.startSources.add(source);
  if (sameStart) {
    if (e.agentPid !== undefined) s.agentPid = e.agentPid;
    sessionMeta(s, e);
    touch(s, s.root);
    return;
  }
  // Continuing: a start seen before, or a resume. A first start journaled after events that a transcript
  // catch-up read first (the same drain) is the session's start, not a new process picking it up.
  const continuing = hadStart || (e.reason === 'resume' && s.eventCount > 1);
  const sameProcess = e.reason === 'compact' || e.reason === 'clear';
  if (continuing && !sameProcess && (e.reason === 'resume' || s.lifecycle !== 'running' || e.source === 'sdk')) {
    // A new process picked the session up: whatever the previous one left open will never finish — but what
    // started after this start (read from the transcript first) is the new process's own work.
    closeOpenSpans(s, lastTimeBefore(s, e.time), true, e.time);
  }
  if (continuing) addEvent(s, s.root, 'session.resume', e.time, e.reason ? { reason: e.reason } : undefined);
  reopen(s);
  if (e.agentPid !== undefined) s.agentPid = e.agentPid;
  sessionMeta(s, e);
  touch(s, s.root);
}

/** What a start or a meta event says about the session: agent, folder, branch, title, model, provider. */
export function sessionMeta(
  s: BuilderState,
  e: { agent?: AgentInfo; cwd?: string; gitBranch?: string; title?: string; model?: string; provider?: string },
): void {
  if (e.agent?.name) {
    // A start that names the agent without its version (a resume, /compact, /clear) keeps the version known.
    const version = e.agent.version ?? (e.agent.name === s.agent.name ? s.agent.version : undefined);
    s.agent = { name: e.agent.name, ...(version ? { version } : {}) };
  } else if (e.agent?.version) s.agent = { ...s.agent, version: e.agent.version };
  if (e.cwd) s.cwd = e.cwd;
  if (e.gitBranch) s.gitBranch = e.gitBranch;
  if (e.title) s.title = e.title;
  if (e.provider) s.provider = e.provider;
  if (e.model) noteModel(s, e.model);
  touch(s, s.root);
}

export function sessionEnd(s: BuilderState, e: Event<'session.end'>): void {
  closeOpenSpans(s, e.time, false);
  setLifecycle(s, e.status === 'error' ? 'error' : 'completed', e.time, e.reason);
}

export function sessionInterrupted(s: BuilderState, e: Event<'session.interrupted'>): void {
  closeOpenSpans(s, e.time, true);
  setLifecycle(s, 'interrupted', e.time, e.reason);
  addEvent(s, s.root, 'interrupted', e.time, e.reason ? { reason: e.reason } : undefined);
}

export function sessionCrash(s: BuilderState, e: Event<'session.crash'>): void {
  closeOpenSpans(s, e.time, true);
  setLifecycle(s, 'crashed', e.time, e.reason ?? e.error);
  addEvent(s, s.root, 'crash', e.time, compact({ reason: e.reason, 'exception.message': e.error }));
}

export function turnStart(s: BuilderState, e: Event<'turn.start'>): void {
  const { prompt, time, attributes: attrs } = e;
  // Without an explicit key, the nth time a source reports a prompt text identifies the turn.
  const turnKey = e.key ?? turnKeyFor(prompt, nextOrdinal(s, `turn|${e.source ?? ''}|${prompt}`));
  let turn = spanOf(s, 'turn', turnKey);
  if (s.lifecycle === 'interrupted' && time > (s.endTime ?? 0)) {
    // A new prompt after the session was presumed gone (idle past the limit): the agent is alive after all.
    reopen(s);
    touch(s, s.root);
  }
  const notice = attrs?.['agent_trace.notice'];
  if (!turn) {
    for (const open of s.turns) {
      if (open.endTime === undefined) endTurnQuietly(s, open, time);
    }
    turn = createSpan(s, 'turn', turnKey, s.root.id, time);
    if (typeof notice === 'string' && notice) turn.notice = notice;
    else turn.ordinal = s.turns.filter((t) => !t.notice).length + 1;
    turn.input = prompt;
    insertTurn(s, turn);
    if (s.firstPrompt === undefined && !turn.notice) s.firstPrompt = prompt;
  } else if (time < turn.startTime) {
    turn.startTime = time;
    s.turns.sort(byStart);
  }
  if (attrs) turn.extra = { ...turn.extra, ...attrs };
  touch(s, turn);
}

export function turnEnd(s: BuilderState, e: Event<'turn.end'>): void {
  const turn = e.key ? spanOf(s, 'turn', e.key) : turnAt(s, e.time, true);
  if (!turn) return;
  turn.endTime = Math.max(turn.endTime ?? 0, e.time, turn.startTime);
  if (e.status === 'error') {
    turn.status = 'error';
    if (e.reason) turn.statusMessage = e.reason;
  } else if (turn.status !== 'error') {
    turn.status = 'ok';
  }
  if (e.output !== undefined) turn.output = e.output;
  // An interrupted turn (Esc, Ctrl-C) is not the agent's error, nor a normal end.
  if (turn.interrupted && turn.status === 'ok') turn.status = 'unset';
  touch(s, turn);
}

/** A turn superseded by a new prompt without a Stop (the person interrupted): it ends where its work ended. */
function endTurnQuietly(s: BuilderState, turn: SpanState, before: number): void {
  const end = Math.max(turn.activity ?? turn.startTime, turn.startTime);
  turn.endTime = Math.min(Math.max(end, turn.startTime), Math.max(before, turn.startTime));
  touch(s, turn);
}
