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
  /**
   * Catch-up by offset, for a file the agent only appends to: reads what was appended since the read that gave
   * `cursor` (undefined or unusable: the whole file). Undefined when the file holds nothing of the session.
   */
  readSince?(path: string, sessionId: string, cursor: unknown): IncrementalRead | undefined;
}

/** The events of one session after the first `keepFirst` the previous read produced (0: all of them). */
export interface IncrementalRead {
  events: AgentEvent[];
  keepFirst: number;
  /** Where the next read can go on from (undefined: it reads the whole file). */
  cursor?: unknown;
}
