import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the repository and its build are, for every test. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const binPath = join(repoRoot, 'dist/bin/agent-trace.js');
export const libPath = join(repoRoot, 'dist/lib/index.js');
