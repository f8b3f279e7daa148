import type { AgentEvent } from '../../events/types.js';
import { nonEmpty, rec, str, type Rec } from '../codex/util.js';
import { childSessionOf, timeOf, type OcSession } from './session-model.js';

/** Where the events of one root session are being collected. */
export interface EmitContext {
  sessionId: string;
  sessions: Map<string, OcSession>;
  events: AgentEvent[];
  /** Child sessions already nested (guards against cycles). */
  nested: Set<string>;
  /**
   * Emits a child session's messages under `agentKey`. Handed in by the caller (message-events.ts), so that
   * a tool can nest the subagent it ran without the two modules importing each other.
   */
  emitChild(session: OcSession, agentKey: string): void;
}

/** A tool part → tool.start/end; a `task` tool also starts (and ends) the subagent its child session holds. */
export function emitTool(ctx: EmitContext, session: OcSession, part: Rec, place: { agentKey?: string; turnKey?: string }, agentKey: string | undefined, fallback: number): void {
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
      ctx.emitChild(childSession, child);
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
