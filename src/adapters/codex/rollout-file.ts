import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { foldCodexRollout, readCodexRollout, type RolloutFold, type RolloutLine } from './rollout-fold.js';
import { parentThreadOf } from './rollout-values.js';
import { rec } from './util.js';

/**
 * One rollout file read whole, as `agent-trace import` reads it: with the rollouts of the subagent threads it
 * spawned (found beside it) nested inside, and nothing for a subagent thread whose parent's rollout is there
 * (the parent's trace holds it).
 */
export function readRolloutFile(path: string, lines: readonly RolloutLine[]): RolloutFold {
  const findThread = threadFinder(path);
  const fold = foldCodexRollout(lines, path, { findThread })!;
  const first = lines[0]?.value;
  const parent = parentThreadOf(first?.type === 'session_meta' ? rec(first.payload) : undefined);
  const own = fold.sessions[0]?.sessionId;
  if (parent && own) {
    const parentFile = findThread(parent);
    if (parentFile) {
      let spawned = false;
      readCodexRollout(parentFile.text, parentFile.path, { onSpawn: (id) => (spawned ||= id === own) });
      if (spawned) return { sessions: [] };
    }
  }
  return fold;
}

/** Finds rollouts of other threads among the files beside this one (`rollout-<time>-<thread id>.jsonl`). */
function threadFinder(path: string): (threadId: string) => { path: string; text: string } | undefined {
  let names: string[] | undefined;
  return (threadId) => {
    try {
      names ??= readdirSync(dirname(path)).filter((n) => n.endsWith('.jsonl')).sort();
      const name = names.find((n) => n.endsWith(`${threadId}.jsonl`));
      if (!name) return undefined;
      const file = join(dirname(path), name);
      if (file === path) return undefined;
      return { path: file, text: readFileSync(file, 'utf8') };
    } catch {
      return undefined;
    }
  };
}
