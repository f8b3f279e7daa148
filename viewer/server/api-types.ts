import type { TraceHeader } from '../../src/store/trace-file.js';

/** The shapes the viewer's JSON API sends that the front end reads (imported there as types only). */

export type { TraceHeader };

/** A row of the session list (`GET /api/sessions`). */
export interface SessionListEntry {
  sessionId: string;
  title: string | null;
  agent: TraceHeader['agent'];
  status: TraceHeader['status'];
  startTime: number;
  endTime: number | null;
  lastActivity: number;
  cwd: string | null;
  gitBranch: string | null;
  models: string[];
  firstPrompt: string | null;
  summary: Omit<TraceHeader['summary'], 'filesTouched'> & { filesTouched: number };
  /** What is wrong with the session's files (unreadable journal lines, a future date), in words. */
  problems?: string[];
}
