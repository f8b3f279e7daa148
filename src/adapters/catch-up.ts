import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SessionStore } from '../store/session-store.js';
import { replaceSessionEvents } from '../store/replace-events.js';
import { importerFor } from './registry.js';

/** Where a session remembers the agent file it was last caught up from, and that file's size and time then. */
const STATE_FILE = 'agent-file.json';

interface AgentFileState {
  agent: string;
  path: string;
  size: number;
  mtimeMs: number;
}

/**
 * Brings a hook-recorded session up to date with the agent's own file (a Codex rollout, a Gemini chat file):
 * when the file changed since the last catch-up, it is read by the agent's importer — the very reader
 * `agent-trace import` uses — and its events replace the previous import's in the journal, beside the hooks'
 * own. A hook-captured session and an import of the same file therefore give the same spans, ids and names.
 * Returns whether anything was read. Never throws for a missing or unreadable file (the hooks' data stays).
 */
export function catchUpFromAgentFile(store: SessionStore, sessionId: string, agent: string, path: string | undefined): boolean {
  const folder = store.folder(sessionId);
  const statePath = join(folder, STATE_FILE);
  let state: AgentFileState | undefined;
  try {
    state = JSON.parse(readFileSync(statePath, 'utf8')) as AgentFileState;
  } catch {
    state = undefined;
  }
  const file = path ?? (state?.agent === agent ? state.path : undefined);
  if (!file) return false;
  let size: number;
  let mtimeMs: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) return false;
    size = st.size;
    mtimeMs = st.mtimeMs;
  } catch {
    return false;
  }
  if (state && state.path === file && state.size === size && state.mtimeMs === mtimeMs) return false;
  const importer = importerFor(agent);
  if (!importer) return false;
  const sessions = importer.read(file);
  const own = sessions.find((s) => s.sessionId === sessionId);
  // A file that holds no messages of this session (Gemini's `--resume` stub) must never replace what is known.
  if (!own || own.events.length === 0) return false;
  replaceSessionEvents(store, sessionId, own.events);
  store.ensureSession(sessionId);
  writeFileSync(statePath, JSON.stringify({ agent, path: file, size, mtimeMs } satisfies AgentFileState), { mode: 0o600 });
  return true;
}
