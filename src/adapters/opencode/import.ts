import { readFileSync } from 'node:fs';
import { readHead } from '../import-util.js';
import type { ImportAdapter, ImportedSession } from '../types.js';
import { parseJsonTolerant, rec } from '../codex/util.js';
import { isEventStream, readOpencodeEvents } from './read-events.js';
import { detectOpencodeExport, readExportFile } from './read-export.js';
import { isDatabase, readOpencodeDatabase } from './read-database.js';
import { detectStorageSession, readStorageSession } from './read-storage.js';
import { fromExport } from './session-model.js';

export { opencodeUsage } from './usage.js';
export { readOpencodeEvents } from './read-events.js';
export { readOpencodeExport } from './read-export.js';
export { readOpencodeDatabase } from './read-database.js';

/**
 * The opencode importer: which reader a file goes to. opencode sessions come from four kinds of files:
 *
 * - `opencode export <session>` JSON (read-export.ts);
 * - plugin bus event streams, JSON Lines (read-events.ts);
 * - a session of opencode's storage folder, `storage/session/<project>/ses_….json` (read-storage.ts);
 * - opencode's SQLite database, `opencode.db` (read-database.ts over database.ts).
 *
 * All are reduced to the same model (session-model.ts: sessions → messages → parts, ordered by their
 * time-ordered ids) and turned into events the same way (session-events.ts, message-events.ts,
 * tool-events.ts). A `task` tool runs a subagent in a child session whose id is in the tool's metadata; the
 * child's model calls and tools are nested under that tool when the child is known (same event stream, same
 * database, or the child's file in the same folder).
 */

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
    return readExportFile(path, text, self);
  },
};
