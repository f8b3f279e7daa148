import type { Usage } from '../../events/types.js';
import { num, rec } from '../codex/util.js';

/**
 * Tokens: opencode's `input` already excludes cache reads/writes. Whether `output` includes `reasoning`
 * depends on the provider (OpenAI's does, Google's does not); the recorded `total` tells which, and without
 * a total a Google/Gemini provider is taken to report them apart.
 */
const SEPARATE_REASONING = /google|gemini|vertex/i;

/** opencode tokens → billed token kinds (output includes reasoning). */
export function opencodeUsage(tokens: unknown, providerID?: string, modelID?: string): Usage | undefined {
  const t = rec(tokens);
  if (!t) return undefined;
  const input = num(t.input) ?? 0;
  const output = num(t.output) ?? 0;
  const reasoning = num(t.reasoning) ?? 0;
  const cache = rec(t.cache);
  const cacheRead = num(cache?.read) ?? 0;
  const cacheWrite = num(cache?.write) ?? 0;
  const total = num(t.total);
  let separate: boolean;
  if (total !== undefined && reasoning > 0 && total === input + output + reasoning + cacheRead + cacheWrite) separate = true;
  else if (total !== undefined && total === input + output + cacheRead + cacheWrite) separate = false;
  else separate = SEPARATE_REASONING.test(`${providerID ?? ''} ${modelID ?? ''}`);
  return { input, output: separate ? output + reasoning : output, cacheRead, cacheWrite, reasoning };
}

export function hasTokens(u: Usage): boolean {
  return Boolean(u.input || u.output || u.cacheRead || u.cacheWrite || u.reasoning);
}
