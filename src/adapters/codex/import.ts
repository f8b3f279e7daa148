import type { ImportAdapter } from '../types.js';

/** Placeholder: replaced by the real codex reader. */
export const codexImporter: ImportAdapter = {
  agent: 'codex',
  detect: () => false,
  read: () => [],
};
