import { spawnSync } from 'node:child_process';

/** An agent CLI's version from `<bin> --version` (first x.y.z), or undefined when it is not on PATH. */
export function versionOf(bin: string, env: NodeJS.ProcessEnv): string | undefined {
  try {
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 8_000, stdio: ['ignore', 'pipe', 'ignore'], env });
    return /(\d+\.\d+\.\d+)/.exec(r.stdout ?? '')?.[1];
  } catch {
    return undefined;
  }
}
