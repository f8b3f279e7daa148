import type { ImportedSession } from '../types.js';
import type { Rec } from '../codex/util.js';
import { readDatabase, SQLITE_MAGIC } from './database.js';
import { sessionEvents } from './session-events.js';
import { childIds, fromExport, type OcSession } from './session-model.js';

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

/** opencode's database file (`opencode.db`, `opencode-<channel>.db`), from its name and first bytes. */
export function isDatabase(path: string, head: string): boolean {
  return head.startsWith(SQLITE_MAGIC) && /opencode[^/\\]*\.db$/i.test(path);
}
