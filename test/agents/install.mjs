// Installs the real agent CLIs the conformance suites drive, pinned (versions.json), into a cache folder
// outside the project: a user's `npm install` stays light and the CLIs are never dependencies of the package.
// Idempotent; prints one `name<TAB>bin` line per agent. Used by test/helpers/agents.ts and by .ci/run.
//   node test/agents/install.mjs [name...]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const agentVersions = JSON.parse(readFileSync(join(here, 'versions.json'), 'utf8'));

export function agentCacheDir() {
  return join(process.env.AGENT_TRACE_CACHE ?? join(homedir(), '.cache', 'agent-trace'), 'agents');
}

/** Installs one agent CLI if it is not there yet and returns the path of its executable. */
export function installAgent(name) {
  const spec = agentVersions[name];
  if (!spec) throw new Error(`unknown agent ${name}; known: ${Object.keys(agentVersions).join(', ')}`);
  const prefix = join(agentCacheDir(), `${name}-${spec.version}`);
  const bin = join(prefix, 'node_modules', '.bin', spec.bin);
  if (!existsSync(bin)) {
    mkdirSync(prefix, { recursive: true });
    execFileSync('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--no-save', '--silent', `${spec.package}@${spec.version}`], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (!existsSync(bin)) throw new Error(`installing ${spec.package}@${spec.version} left no ${bin}`);
  }
  return bin;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(agentVersions);
  for (const name of names) console.log(`${name}\t${installAgent(name)}`);
}
