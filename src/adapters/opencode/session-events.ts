import type { AgentEvent } from '../../events/types.js';
import { nonEmpty, rec, str } from '../codex/util.js';
import { emitMessages } from './message-events.js';
import { firstMessage, timeOf, type OcSession } from './session-model.js';
import type { EmitContext } from './tool-events.js';

/** The titles opencode gives a session it has not named yet: not worth showing. */
const DEFAULT_TITLE = /^(New session|Child session) - \d{4}-\d{2}-\d{2}T[\d:.]+Z$/;

/** Builds the events of one root session (and the child sessions it spawned). */
export function sessionEvents(root: OcSession, sessions: Map<string, OcSession>): AgentEvent[] {
  const events: AgentEvent[] = [];
  const ctx: EmitContext = {
    sessionId: root.id,
    sessions,
    events,
    nested: new Set([root.id]),
    emitChild: (child, agentKey) => emitMessages(ctx, child, agentKey),
  };
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
