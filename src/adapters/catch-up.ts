import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { replaceSessionEvents } from '../store/import-writer.js';
import type { SessionStore } from '../store/session-store.js';
import { importerFor } from './registry.js';

/** Where a session remembers the agent file it is caught up from, and that file's size and time at the last read. */
const STATE_FILE = 'agent-file.json';

interface AgentFileState {
  agent: string;
  path: string;
  size: number;
  mtimeMs: number;
  /** Where an incremental read goes on from (the importer's own, see ImportAdapter.readSince). */
  cursor?: unknown;
}

function readState(folder: string): AgentFileState | undefined {
  try {
    const s = JSON.parse(readFileSync(join(folder, STATE_FILE), 'utf8')) as AgentFileState;
    return typeof s.path === 'string' && typeof s.agent === 'string' ? s : undefined;
  } catch {
    return undefined;
  }
}

function writeState(folder: string, state: AgentFileState): void {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  writeFileSync(join(folder, STATE_FILE), JSON.stringify(state), { mode: 0o600 });
}

/** Notes the agent file a hook named (`transcript_path`), so the next catch-up reads it. */
export function rememberAgentFile(folder: string, agent: string, path: string): void {
  const state = readState(folder);
  if (state?.path === path && state.agent === agent) return;
  writeState(folder, { agent, path, size: -1, mtimeMs: -1 });
}

/**
 * Brings a hook-recorded session up to date with the agent's own file (a Codex rollout, a Gemini chat file):
 * when the file changed since the last catch-up, it is read by the agent's importer — the very reader
 * `agent-trace import` uses — and its events replace the previous import's in the journal, beside the hooks'
 * own. A hook-captured session and an import of the same file therefore give the same spans, ids and names.
 * A file the agent only appends to (a Codex rollout) is read from where the previous catch-up left off
 * (`readSince`); others whole. The size-and-time check keeps an unchanged file free. Returns whether it read anything.
 */
export function catchUpFromAgentFile(store: SessionStore, sessionId: string, agent: string): boolean {
  const folder = store.folder(sessionId);
  const state = readState(folder);
  if (!state || state.agent !== agent) return false;
  let size: number;
  let mtimeMs: number;
  try {
    const st = statSync(state.path);
    if (!st.isFile()) return false;
    size = st.size;
    mtimeMs = st.mtimeMs;
  } catch {
    return false; // gone or unreadable: what the hooks recorded stays
  }
  try {
    // A SQLite database in WAL mode (opencode's) grows its `-wal` file, not the database, between checkpoints.
    const wal = statSync(`${state.path}-wal`);
    size += wal.size;
    mtimeMs = Math.max(mtimeMs, wal.mtimeMs);
  } catch {
    // no write-ahead log
  }
  if (state.size === size && state.mtimeMs === mtimeMs) return false;
  const importer = importerFor(agent);
  if (!importer) return false;
  if (importer.readSince) {
    let read = importer.readSince(state.path, sessionId, state.cursor);
    if (!read || read.keepFirst + read.events.length === 0) return false;
    // The journal changed in between (an import of another copy, say): read the whole file again.
    if (read.keepFirst && replaceSessionEvents(store, sessionId, read.events, { keepFirst: read.keepFirst }).stale) {
      read = importer.readSince(state.path, sessionId, undefined);
      if (!read || read.events.length === 0) return false;
      replaceSessionEvents(store, sessionId, read.events);
    } else if (!read.keepFirst) replaceSessionEvents(store, sessionId, read.events);
    writeState(folder, { agent, path: state.path, size, mtimeMs, ...(read.cursor !== undefined ? { cursor: read.cursor } : {}) });
    return true;
  }
  const own = (importer.readSession ? importer.readSession(state.path, sessionId) : importer.read(state.path)).find((s) => s.sessionId === sessionId);
  // A file that holds no messages of this session (Gemini's `--resume` stub) never replaces what is known.
  if (!own || own.events.length === 0) return false;
  replaceSessionEvents(store, sessionId, own.events);
  writeState(folder, { agent, path: state.path, size, mtimeMs });
  return true;
}
