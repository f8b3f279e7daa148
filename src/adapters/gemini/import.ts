import type { ImportAdapter } from '../types.js';

/** Placeholder: replaced by the real gemini reader. */
export const geminiImporter: ImportAdapter = {
  agent: 'gemini',
  detect: () => false,
  read: () => [],
};
