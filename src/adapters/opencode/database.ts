import { createRequire } from 'node:module';
import type { DatabaseSync } from 'node:sqlite';
import { nonEmpty, num, parseJsonTolerant, rec, type Rec } from '../codex/util.js';

/**
 * opencode's SQLite database (`~/.local/share/opencode/opencode.db`, opencode 1.2 and later): tables `session`,
 * `message` and `part`, each row's `data` the JSON opencode used to keep in its storage folder, without the ids
 * (those are columns). Read with Node's built-in `node:sqlite` (no native build), opened read-only — never
 * writes, never takes a write lock — so reading while opencode writes is safe: SQLite's WAL gives a reader a
 * consistent snapshot, and a busy database is waited on briefly.
 */

export const SQLITE_MAGIC = 'SQLite format 3\u0000';

/** The rows of one session, shaped like an `opencode export` document: `{info, messages: [{info, parts}]}`. */
export interface StoredSession {
  info: Rec;
  messages: Array<{ info: Rec; parts: Rec[] }>;
}

let sqlite: typeof import('node:sqlite') | undefined;

/** Loads `node:sqlite` without Node 22's one-time "experimental" warning on the user's terminal. */
function loadSqlite(): typeof import('node:sqlite') {
  if (sqlite) return sqlite;
  const original = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning?.message;
    if (typeof text === 'string' && text.includes('SQLite is an experimental feature')) return;
    return (original as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    sqlite = createRequire(import.meta.url)('node:sqlite') as typeof import('node:sqlite');
  } finally {
    process.emitWarning = original;
  }
  return sqlite;
}

function open(path: string): DatabaseSync {
  const { DatabaseSync } = loadSqlite();
  return new DatabaseSync(path, { readOnly: true, timeout: 2_000 } as ConstructorParameters<typeof DatabaseSync>[1]);
}

function tableColumns(db: DatabaseSync, table: string): Set<string> {
  return new Set(db.prepare(`PRAGMA table_info(${table})`).all().map((r) => String((r as Rec).name)));
}

/** A session row → opencode's Session info object (the camelCase fields its storage and export use). */
function sessionInfo(row: Rec): Rec {
  const info: Rec = {};
  const data = typeof row.data === 'string' ? rec(parseJsonTolerant(row.data)) : undefined;
  if (data) Object.assign(info, data);
  const map: Record<string, string> = { id: 'id', project_id: 'projectID', parent_id: 'parentID', slug: 'slug', directory: 'directory', title: 'title', version: 'version' };
  for (const [column, field] of Object.entries(map)) if (row[column] !== undefined && row[column] !== null) info[field] = row[column];
  const created = num(row.time_created);
  const updated = num(row.time_updated);
  if (created !== undefined || updated !== undefined) info.time = { ...(rec(info.time) ?? {}), ...(created !== undefined ? { created } : {}), ...(updated !== undefined ? { updated } : {}) };
  return info;
}

function dataOf(row: Rec): Rec {
  return (typeof row.data === 'string' ? rec(parseJsonTolerant(row.data)) : undefined) ?? {};
}

/**
 * Reads sessions from the database: all of them, or only `ids`. Messages and parts come in id order (opencode's
 * ids sort by time). A database that is not opencode's (no `session` table) gives nothing.
 */
export function readDatabase(path: string, ids?: readonly string[]): StoredSession[] {
  const db = open(path);
  try {
    const tables = new Set(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all().map((r) => String((r as Rec).name)));
    if (!tables.has('session') || !tables.has('message') || !tables.has('part')) return [];
    const sessionColumns = tableColumns(db, 'session');
    const wanted = ['id', 'project_id', 'parent_id', 'slug', 'directory', 'title', 'version', 'time_created', 'time_updated', 'data'].filter((c) => sessionColumns.has(c));
    let rows: Rec[];
    if (ids) {
      // The sessions asked for and, level by level, their children (a task's subagent session names its parent).
      const byId = db.prepare(`SELECT ${wanted.join(', ')} FROM session WHERE id = ?`);
      const childrenOf = sessionColumns.has('parent_id') ? db.prepare(`SELECT ${wanted.join(', ')} FROM session WHERE parent_id = ? ORDER BY id`) : undefined;
      rows = ids.map((id) => byId.get(id) as Rec | undefined).filter((r): r is Rec => !!r);
      const seen = new Set(rows.map((r) => String(r.id)));
      for (let i = 0; i < rows.length && childrenOf && rows.length < 10_000; i++) {
        for (const child of childrenOf.all(String(rows[i]!.id)) as Rec[]) {
          if (seen.has(String(child.id))) continue;
          seen.add(String(child.id));
          rows.push(child);
        }
      }
    } else rows = db.prepare(`SELECT ${wanted.join(', ')} FROM session ORDER BY id`).all() as Rec[];
    // One read transaction: messages and parts of a session from the same snapshot, even while opencode writes.
    db.exec('BEGIN');
    try {
      const messagesOf = db.prepare('SELECT id, session_id, data FROM message WHERE session_id = ? ORDER BY id');
      const partsOf = db.prepare('SELECT id, message_id, session_id, data FROM part WHERE session_id = ? ORDER BY id');
      return rows.map((row) => {
        const info = sessionInfo(row);
        const id = nonEmpty(info.id)!;
        const byMessage = new Map<string, Rec[]>();
        for (const p of partsOf.all(id) as Rec[]) {
          const messageID = String(p.message_id);
          const list = byMessage.get(messageID) ?? [];
          list.push({ ...dataOf(p), id: p.id, messageID, sessionID: id });
          byMessage.set(messageID, list);
        }
        const messages = (messagesOf.all(id) as Rec[]).map((m) => ({ info: { ...dataOf(m), id: m.id, sessionID: id }, parts: byMessage.get(String(m.id)) ?? [] }));
        return { info, messages };
      });
    } finally {
      db.exec('COMMIT');
    }
  } finally {
    db.close();
  }
}
