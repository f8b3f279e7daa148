import type { SessionListEntry, TraceHeader } from './api-types.js';

const MAX_PROMPT_IN_LIST = 600;

/** A session's row in the list: its header's fields, the first prompt (cut), files touched as a count. */
export function listRow(header: TraceHeader, prompt: string | null, lastActivity: number, problems: string[]): SessionListEntry {
  const { filesTouched, ...summary } = header.summary;
  return {
    sessionId: header.sessionId,
    title: header.title ?? null,
    agent: header.agent,
    status: header.status,
    startTime: header.startTime,
    endTime: header.endTime ?? null,
    lastActivity,
    cwd: header.cwd ?? null,
    gitBranch: header.gitBranch ?? null,
    models: header.models ?? [],
    firstPrompt: prompt && prompt.length > MAX_PROMPT_IN_LIST ? `${prompt.slice(0, MAX_PROMPT_IN_LIST)}…` : prompt,
    summary: { ...summary, filesTouched: filesTouched?.length ?? 0 },
    ...(problems.length ? { problems } : {}),
  };
}
