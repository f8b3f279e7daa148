import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir } from './helpers/fixtures.js';
import { repoRoot } from './helpers/paths.js';

/**
 * Runs once before any test file (vitest `globalSetup`), so `npm test` and a bare `vitest run` alike test
 * what the package ships: the tests spawn `dist/bin/agent-trace.js` and import `dist/lib`, which are rebuilt
 * here from the sources (esbuild, about a second).
 */
export default function setup(): void {
  execFileSync(process.execPath, [join(repoRoot, 'scripts/build.mjs'), '--no-types'], { cwd: repoRoot, stdio: 'inherit' });
  if (!existsSync(fixturesDir)) {
    process.stderr.write(
      `\n  NOTE: ${fixturesDir} is absent: the suites over real recorded sessions are skipped (their names say so).\n\n`,
    );
  }
}
