import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'vitest';
import { repoRoot } from './paths.js';

/**
 * The real recorded sessions (`../shared/fixtures`, beside the clone; never copied into the repository).
 * `AGENT_TRACE_FIXTURES` points elsewhere (or at nothing, to see what a fresh clone does).
 *
 * Without them the suites over real sessions are skipped, and say so: the suite's name carries the reason,
 * and the global setup prints it once at the top of the run. In CI (CI=true) they must be there: a missing
 * folder fails the suite instead, since CI runs every test.
 */
export const fixturesDir = resolve(process.env.AGENT_TRACE_FIXTURES ?? join(repoRoot, '../shared/fixtures'));

/** A path under the fixtures folder. */
export function fixturePath(...parts: string[]): string {
  return join(fixturesDir, ...parts);
}

/** Whether every named fixture folder or file exists. */
export function haveFixtures(...paths: string[]): boolean {
  return paths.every((p) => existsSync(fixturePath(p)));
}

/** The files of a fixture folder (full paths, sorted); none when it is absent, so collection never crashes. */
export function fixtureFiles(folder: string, filter: (name: string) => boolean = () => true): string[] {
  const dir = fixturePath(folder);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter(filter).sort().map((name) => join(dir, name));
}

/**
 * `describe` for a suite over real recorded sessions in `needs` (folders or files under the fixtures folder).
 * The body runs only when they are all there.
 */
export function describeWithFixtures(needs: string[], name: string, body: () => void): void {
  if (haveFixtures(...needs)) {
    describe(name, body);
    return;
  }
  const missing = needs.filter((p) => !haveFixtures(p)).map((p) => fixturePath(p));
  const reason = `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} absent`;
  if (process.env.CI) {
    describe(name, () => {
      it('has the recorded sessions it reads', () => {
        throw new Error(`${reason}: CI must run this suite (lay ../shared beside the clone)`);
      });
    });
    return;
  }
  describe.skip(`${name} — skipped: ${reason}`, body);
}
