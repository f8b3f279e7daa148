import { readFileSync } from 'node:fs';
import type { ImportAdapter, ImportedSession } from '../types.js';
import { readRolloutFile } from './rollout-file.js';
import { readRolloutSince } from './rollout-tail.js';
import { firstLine, parseJsonLines } from './util.js';

/** `agent-trace import` of Codex CLI rollouts: which files are rollouts, and a rollout with its subagents' threads. */

export { readCodexRollout, type CodexReadOptions } from './rollout-fold.js';
export { codexToolFailure, codexUsage, isSyntheticPrompt, parentThreadOf } from './rollout-values.js';

/** Does this head (the first bytes of a file) look like a Codex rollout? */
export function detectCodex(path: string, head: string): boolean {
  const line = firstLine(head);
  if (!line.startsWith('{')) return false;
  // Current layout: the first line is the session_meta envelope (it can be longer than the head: match text).
  if (/^\{\s*"timestamp"\s*:\s*"[^"]*"\s*,\s*"type"\s*:\s*"session_meta"/.test(line)) return true;
  if (/"type"\s*:\s*"session_meta"\s*,\s*"payload"\s*:\s*\{/.test(line.slice(0, 400))) return true;
  const rolloutName = /rollout-[^/\\]*\.jsonl$/i.test(path);
  if (rolloutName && /"type"\s*:\s*"(response_item|event_msg|turn_context|compacted)"\s*,\s*"payload"/.test(line.slice(0, 400))) return true;
  // Legacy layout: a bare header followed by {"record_type":"state"}.
  if (/^\{\s*"id"\s*:\s*"[^"]+"\s*,\s*"timestamp"\s*:\s*"[^"]+"/.test(line)) {
    return head.includes('{"record_type":"state"}') || /"instructions"\s*:/.test(line) || rolloutName;
  }
  return false;
}

export const codexImporter: ImportAdapter = {
  agent: 'codex',
  detect(path: string, head: string): boolean {
    try {
      return detectCodex(path, head);
    } catch {
      return false;
    }
  },
  read(path: string): ImportedSession[] {
    return readRolloutFile(path, parseJsonLines(readFileSync(path, 'utf8'))).sessions;
  },
  readSince: readRolloutSince,
};
