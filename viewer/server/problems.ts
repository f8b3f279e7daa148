import type { SessionSummary } from '../../src/store/summary.js';

/** What is wrong with a session's files, in words: shown in the list's rows and the session's header. */

export function skippedLinesProblem(skipped: number): string[] {
  return skipped ? [`${skipped} unreadable journal line${skipped === 1 ? '' : 's'} skipped`] : [];
}

export function summaryProblems(summary: SessionSummary): string[] {
  const out = skippedLinesProblem(summary.journal?.skippedLines ?? 0);
  if (summary.futureDated) out.push('an event is dated in the future; its time is not trusted');
  return out;
}
