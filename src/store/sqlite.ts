import { createRequire } from 'node:module';
import type * as Sqlite from 'node:sqlite';

let loaded: typeof Sqlite | undefined;

/**
 * Node's built-in SQLite (`node:sqlite`, unflagged since 22.13, with FTS5 compiled in). Node 22 prints an
 * ExperimentalWarning on first load; a command's stderr is for the user, so that one warning is dropped.
 */
export function sqlite(): typeof Sqlite {
  if (loaded) return loaded;
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (/SQLite/i.test(text)) return;
    (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    loaded = createRequire(import.meta.url)('node:sqlite') as typeof Sqlite;
  } finally {
    process.emitWarning = emit;
  }
  return loaded;
}
