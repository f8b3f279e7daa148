import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** agent-trace's own version (`service.version` of exported spans): package.json found above this file. */
export function agentTraceVersion(): string {
  if (cached) return cached;
  cached = process.env.AGENT_TRACE_VERSION || findPackageVersion() || '0.1.0';
  return cached;
}

function findPackageVersion(): string | undefined {
  try {
    let dir = dirname(fileURLToPath(import.meta.url));
    for (let i = 0; i < 5; i++) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'agent-trace' && pkg.version) return pkg.version;
      } catch {
        // not here
      }
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  } catch {
    // no file URL (bundled elsewhere)
  }
  return undefined;
}
