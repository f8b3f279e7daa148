import type { ImportAdapter } from '../types.js';

/** Placeholder: replaced by the real opencode reader. */
export const opencodeImporter: ImportAdapter = {
  agent: 'opencode',
  detect: () => false,
  read: () => [],
};
