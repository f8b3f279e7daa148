import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ImportedSession } from '../types.js';
import { nonEmpty, parseJsonTolerant, rec } from '../codex/util.js';
import { sessionEvents } from './session-events.js';
import { fromExport, pullChildren, taskChildOf, type OcSession } from './session-model.js';

/**
 * `opencode export <session>` files: `{info: Session, messages: [{info: Message, parts: Part[]}]}`. A `task`
 * subagent's own export in the same folder nests under the tool that ran it.
 */

/**
 * Reads an export file's text. `siblings` finds other export files of the same folder by session id, so a
 * `task` subagent's own export nests under the tool that ran it. Exposed for tests.
 */
export function readOpencodeExport(text: string, path = 'export.json', siblings?: (id: string) => OcSession | undefined): ImportedSession[] {
  const doc = rec(parseJsonTolerant(text));
  if (!doc) return [];
  const root = fromExport(doc);
  if (!root) return [];
  const sessions = new Map<string, OcSession>([[root.id, root]]);
  // Pull in the child sessions (recursively) that this session's task tools name.
  if (siblings) pullChildren(root, sessions, siblings);
  return [{ sessionId: root.id, events: sessionEvents(root, sessions), source: path }];
}

/**
 * An export file (`self`, read from `text`) with the exports beside it: nothing when its parent's export is
 * there (it is imported with its parent), else its session with the subagents' exports nested.
 */
export function readExportFile(path: string, text: string, self: OcSession): ImportedSession[] {
  let beside: ReturnType<typeof exportFilesBeside> | undefined;
  const besideFiles = () => (beside ??= exportFilesBeside(path).filter((f) => f.file !== path));
  // A child session whose parent's export sits in the same folder is imported with its parent.
  const parentID = nonEmpty(self.info.parentID);
  if (parentID && besideFiles().some((f) => f.id === parentID)) return [];
  const hasTasks = [...self.messages.values()].some((m) => [...m.parts.values()].some((p) => taskChildOf(p)));
  const siblings = hasTasks
    ? (id: string): OcSession | undefined => {
        const match = besideFiles().find((f) => f.id === id);
        if (!match) return undefined;
        try {
          if (statSync(match.file).size > 256 * 1024 * 1024) return undefined;
          const child = rec(parseJsonTolerant(readFileSync(match.file, 'utf8')));
          return child ? fromExport(child) : undefined;
        } catch {
          return undefined;
        }
      }
    : undefined;
  return readOpencodeExport(text, path, siblings).map((s) => ({ ...s, source: path }));
}

/** How many export files of a folder are looked at for a subagent's or a parent's session. */
const SIBLING_LIMIT = 200;

/** The session id an export file holds, from its first bytes (the `info` object comes first). */
function exportIdOf(file: string): { id?: string; parentID?: string } {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(8192);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const head = buf.subarray(0, n).toString('utf8');
    if (!detectOpencodeExport(head)) return {};
    const info = head.slice(head.indexOf('"info"'));
    const id = /"id"\s*:\s*"([^"]+)"/.exec(info)?.[1];
    const parentID = /"parentID"\s*:\s*"([^"]+)"/.exec(info)?.[1];
    return { ...(id ? { id } : {}), ...(parentID ? { parentID } : {}) };
  } catch {
    return {};
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function exportFilesBeside(path: string): Array<{ file: string; id?: string; parentID?: string }> {
  let names: string[];
  try {
    names = readdirSync(dirname(path)).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  names.sort();
  return names.slice(0, SIBLING_LIMIT).map((n) => ({ file: join(dirname(path), n), ...exportIdOf(join(dirname(path), n)) }));
}

export function detectOpencodeExport(head: string): boolean {
  const begin = head.search(/\{/);
  if (begin === -1 || begin > 200) return false;
  const t = head.slice(begin);
  if (!/^\{\s*"info"\s*:\s*\{/.test(t)) return false;
  return /"messages"\s*:/.test(t) || /"id"\s*:\s*"ses_/.test(t) || /"projectID"\s*:/.test(t);
}
