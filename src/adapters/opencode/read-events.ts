import type { ImportedSession } from '../types.js';
import { arr, firstLine, nonEmpty, num, parseJsonLines, rec, str, toMillis, type Rec } from '../codex/util.js';
import { sessionEvents } from './session-events.js';
import { childIds, messageOf, newSession, type OcSession } from './session-model.js';

/**
 * Plugin bus event streams (JSON Lines, one `{timestamp, threadId?, projectDirectory?, event: {type,
 * properties}}` — or a bare `{type, properties}` — per line): session.created/updated, message.updated,
 * message.part.updated (the full part, again at each change: last state wins), message.part.delta
 * (streaming text appended to a part), permission.asked/replied, session.error, session.status …
 */

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

export function isEventStream(text: string): boolean {
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
