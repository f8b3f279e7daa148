import type { AgentEvent } from '../events/types.js';

/** One session recovered from a saved file: its normalized events, in the order they happened. */
export interface ImportedSession {
  sessionId: string;
  events: AgentEvent[];
  /** The file the session came from (for messages and `--json`). */
  source: string;
}

/**
 * A reader of one agent's saved sessions (transcripts, rollouts, exports). `detect` decides from the path
 * and the first bytes whether a file is this agent's; `read` turns the file into sessions. Readers must
 * accept every field being absent: formats change between versions.
 */
export interface ImportAdapter {
  agent: 'claude-code' | 'codex' | 'gemini' | 'opencode';
  detect(path: string, head: string): boolean;
  read(path: string): ImportedSession[];
  /** Reads one session of a file that holds many (opencode's database), for a catch-up. */
  readSession?(path: string, sessionId: string): ImportedSession[];
}
