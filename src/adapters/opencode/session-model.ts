import type { AgentEvent } from '../../events/types.js';
import { arr, nonEmpty, rec, toMillis, type Rec } from '../codex/util.js';

/**
 * What every opencode file is reduced to before it becomes events: sessions → messages → parts, each keyed by
 * opencode's time-ordered ids. The export document's shape (`{info, messages: [{info, parts}]}`) is the common
 * input: the storage folder and the database rows are read into it too.
 */

export interface OcMessage {
  info: Rec;
  parts: Map<string, Rec>;
  /** First and last time a line mentioned the message (event streams only). */
  seen?: number;
}

export interface OcSession {
  id: string;
  info: Rec;
  messages: Map<string, OcMessage>;
  marks: AgentEvent[];
  firstSeen?: number;
  /** When each part was first and last updated (event streams only). */
  partSeen: Map<string, { first: number; last: number }>;
}

export function newSession(id: string): OcSession {
  return { id, info: {}, messages: new Map(), marks: [], partSeen: new Map() };
}

export function messageOf(session: OcSession, id: string): OcMessage {
  let m = session.messages.get(id);
  if (!m) {
    m = { info: { id }, parts: new Map() };
    session.messages.set(id, m);
  }
  return m;
}

/** The export file's session (and its messages). */
export function fromExport(doc: Rec): OcSession | undefined {
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

/** Orders `[id, value]` entries by id: opencode's ids sort in the order they were made. */
export function byId(a: [string, unknown], b: [string, unknown]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

export function timeOf(value: unknown, key: 'start' | 'end' | 'created' | 'completed'): number | undefined {
  return toMillis(rec(value)?.[key]);
}

export function firstMessage(s: OcSession): OcMessage | undefined {
  return [...s.messages].sort(byId)[0]?.[1];
}

/** The child session a `task` tool ran, when its metadata names it. */
export function childSessionOf(part: Rec): string | undefined {
  const meta = rec(rec(part.state)?.metadata);
  return nonEmpty(meta?.sessionId) ?? nonEmpty(meta?.sessionID);
}

/** The child session a part names when it is a `task` tool that ran one. */
export function taskChildOf(part: Rec): string | undefined {
  return part.type === 'tool' && part.tool === 'task' ? childSessionOf(part) : undefined;
}

/** The sessions that are another one's child (a task's subagent, or naming a known parent): they nest, never stand alone. */
export function childIds(sessions: Map<string, OcSession>): Set<string> {
  const children = new Set<string>();
  for (const s of sessions.values()) {
    for (const m of s.messages.values()) {
      for (const p of m.parts.values()) {
        const child = taskChildOf(p);
        if (child && child !== s.id && sessions.has(child)) children.add(child);
      }
    }
    const parent = nonEmpty(s.info.parentID);
    if (parent && parent !== s.id && sessions.has(parent)) children.add(s.id);
  }
  return children;
}

/**
 * Adds to `sessions` (recursively) the child sessions that its task tools name and `find` can supply, so a
 * subagent's own file nests under the tool that ran it.
 */
export function pullChildren(root: OcSession, sessions: Map<string, OcSession>, find: (id: string) => OcSession | undefined): void {
  const queue = [root];
  while (queue.length) {
    const s = queue.shift()!;
    for (const m of s.messages.values()) {
      for (const part of m.parts.values()) {
        const child = taskChildOf(part);
        if (!child || sessions.has(child)) continue;
        const found = find(child);
        if (found) {
          sessions.set(child, found);
          queue.push(found);
        }
      }
    }
  }
}
