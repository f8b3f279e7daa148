import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../../store/atomic-write.js';
import type { ParserState } from './transcript.js';

/**
 * What the hook remembers between two reads of a session's transcripts, in `<session>/claude-transcripts.json`
 * (read and written only under the session's `transcript.lock`): for each transcript file, the byte offset
 * read so far and the parser state at that offset; plus the key of a compaction announced by PreCompact.
 */
export const INGEST_STATE_FILE = 'claude-transcripts.json';
export const TRANSCRIPT_LOCK = 'transcript.lock';

export interface FileCursor {
  offset: number;
  /** Inode and size at the last read: a smaller or different file was rewritten, so it is read again. */
  ino?: number;
  agentKey?: string;
  parser: ParserState;
}

export interface IngestState {
  v: 1;
  files: Record<string, FileCursor>;
  /** The compaction a PreCompact hook opened, for its PostCompact. */
  pendingCompaction?: string;
  /** The session's main transcript (from the hooks' `transcript_path`): what a reconcile catches up. */
  transcript?: string;
  /** mtime of the subagents folder at the last read (a new subagent file makes it newer). */
  subagentsSeen?: number;
}

export function loadIngestState(folder: string): IngestState {
  try {
    const parsed = JSON.parse(readFileSync(join(folder, INGEST_STATE_FILE), 'utf8')) as IngestState;
    if (parsed && parsed.v === 1 && parsed.files && typeof parsed.files === 'object') return parsed;
  } catch {
    // none yet, or unreadable: start over (events are keyed, so a re-read merges)
  }
  return { v: 1, files: {} };
}

export function saveIngestState(folder: string, state: IngestState): void {
  writeFileAtomicSync(join(folder, INGEST_STATE_FILE), JSON.stringify(state));
}
