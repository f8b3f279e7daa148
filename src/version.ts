import { readFileSync } from 'node:fs';
import { packagePath } from './package-root.js';

/**
 * agent-trace's own version (`agent-trace --version`, `service.version` of exported spans, the viewer's API),
 * read once from package.json. The build (scripts/build.mjs) writes it into the bundles; code run from source
 * (the tests) reads the package's package.json.
 */
declare const __AGENT_TRACE_VERSION__: string | undefined;

export const version: string = typeof __AGENT_TRACE_VERSION__ === 'string' ? __AGENT_TRACE_VERSION__ : fromPackageJson();

function fromPackageJson(): string {
  const pkg = JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string };
  return pkg.version;
}
