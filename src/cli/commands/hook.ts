import type { GlobalOptions } from '../program.js';

/** Placeholder until the Claude Code hook lands: reads stdin and exits 0, as a hook must. */
export async function runHookCommand(_argv: string[], _globals: GlobalOptions = {}): Promise<void> {
  process.stdin.resume();
  for await (const _ of process.stdin) {
    // drain
  }
}
