import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ImportedSession } from '../types.js';
import { nonEmpty, parseJsonTolerant, rec, type Rec } from '../codex/util.js';
import { sessionEvents } from './session-events.js';
import { fromExport, pullChildren, type OcSession } from './session-model.js';

/** `<storage>/session/<projectID>/ses_….json`: a session record of opencode's own storage folder. */
const STORAGE_SESSION = /[\\/]session[\\/][^\\/]+[\\/](ses_[^\\/]+)\.json$/;

export function detectStorageSession(path: string, head: string): boolean {
  const m = STORAGE_SESSION.exec(path);
  if (!m) return false;
  const t = head.trimStart();
  return t.startsWith('{') && !/^\{\s*"info"\s*:/.test(t) && t.includes(`"${m[1]}"`) && /"(projectID|directory|version)"\s*:/.test(t);
}

function readJsonFile(file: string): Rec | undefined {
  try {
    return rec(parseJsonTolerant(readFileSync(file, 'utf8')));
  } catch {
    return undefined;
  }
}

function jsonFilesIn(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((n) => n.endsWith('.json'))
      .sort()
      .map((n) => join(dir, n));
  } catch {
    return [];
  }
}

/**
 * A session from opencode's storage folder (`~/.local/share/opencode/storage`): the session record, its
 * messages in `message/<sessionID>/`, each message's parts in `part/<messageID>/`.
 */
function fromStorage(sessionFile: string): OcSession | undefined {
  const info = readJsonFile(sessionFile);
  const id = nonEmpty(info?.id);
  if (!info || !id) return undefined;
  const root = dirname(dirname(dirname(sessionFile)));
  const messages = jsonFilesIn(join(root, 'message', id)).map(readJsonFile).filter((m): m is Rec => !!m && typeof m.id === 'string');
  return fromExport({
    info,
    messages: messages.map((m) => ({ info: m, parts: jsonFilesIn(join(root, 'part', m.id as string)).map(readJsonFile).filter(Boolean) })),
  });
}

export function readStorageSession(path: string): ImportedSession[] {
  const root = fromStorage(path);
  if (!root) return [];
  // A child session (a task's subagent) is imported inside its parent's trace when the parent is stored too.
  const parentID = nonEmpty(root.info.parentID);
  if (parentID && parentID !== root.id && jsonFilesIn(dirname(path)).includes(join(dirname(path), `${parentID}.json`))) return [];
  const sessions = new Map<string, OcSession>([[root.id, root]]);
  pullChildren(root, sessions, (child) => fromStorage(join(dirname(path), `${child}.json`)));
  return [{ sessionId: root.id, events: sessionEvents(root, sessions), source: path }];
}
