import { closeSync, openSync, readSync } from 'node:fs';

/** Helpers more than one importer needs. */

/** The first bytes of a file, as text (a format is recognised from them). */
export function readHead(path: string, bytes = 16_384): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    return buf.toString('utf8', 0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether a user message is text the agent injected rather than the person's words: empty, or matching one
 * of the agent's own patterns (each agent has its list).
 */
export function isSyntheticText(text: string, patterns: readonly RegExp[]): boolean {
  const t = text.trim();
  return !t || patterns.some((re) => re.test(t));
}
