import type { AgentEvent } from '../events/types.js';
import { noteTime, type BuilderState } from './builder-state.js';
import { otelSpan } from './reduce-otel.js';
import { sessionCrash, sessionEnd, sessionInterrupted, sessionMeta, sessionStart, turnEnd, turnStart } from './reduce-session.js';
import { compaction, generation, mark, subagent, text, tool } from './reduce-work.js';

type Handler<T extends AgentEvent['type']> = (state: BuilderState, event: Extract<AgentEvent, { type: T }>) => void;

/** One handler per event kind: the whole reducer (a kind missing here does not compile). */
const HANDLERS: { [T in AgentEvent['type']]: Handler<T> } = {
  'session.start': sessionStart,
  'session.meta': sessionMeta,
  'session.end': sessionEnd,
  'session.interrupted': sessionInterrupted,
  'session.crash': sessionCrash,
  'turn.start': turnStart,
  'turn.end': turnEnd,
  'generation.start': generation,
  'generation.end': generation,
  'tool.start': tool,
  'tool.end': tool,
  'subagent.start': subagent,
  'subagent.end': subagent,
  'compaction.start': compaction,
  'compaction.end': compaction,
  text,
  notification: mark,
  permission: mark,
  'api.error': mark,
  interrupt: mark,
  'otel.span': otelSpan,
};

/** Applies one event to the state: the revision moves on, the session's time range widens, the kind's handler runs. */
export function reduce(state: BuilderState, event: AgentEvent): void {
  state.eventCount++;
  if (event.type !== 'otel.span') state.native = true;
  noteTime(state, event.time);
  (HANDLERS[event.type] as (state: BuilderState, event: AgentEvent) => void)(state, event);
}
