import type { ImportAdapter } from '../types.js';

/** Placeholder: replaced by the real claude-code reader. */
export const claudeCodeImporter: ImportAdapter = {
  agent: 'claude-code',
  detect: () => false,
  read: () => [],
};
