import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder of agent-trace's own package.json, found once by walking up from this module: the same answer
 * from the sources (`src/`), the bundled CLI (`dist/bin/…`) and the library bundle (`dist/lib/`). Everything
 * that needs a file of the package (the bin to start a background export, the viewer's front end) asks here.
 */
let root: string | undefined;

export function packageRoot(): string {
  root ??= find();
  return root;
}

/** A path inside the package, e.g. `packagePath('dist', 'bin', 'agent-trace.js')`. */
export function packagePath(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}

function find(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && isOurs(pkg)) return dir;
    if (dirname(dir) === dir) return join(start, '..');
  }
}

function isOurs(path: string): boolean {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { name?: string }).name === 'agent-trace';
  } catch {
    return false;
  }
}
