import { readFileSync } from 'node:fs';

/**
 * agent-trace's own version (`agent-trace --version`, `service.version` of exported spans, the viewer's API),
 * read once from package.json. The build (scripts/build.mjs) writes it into the bundles; code run from source
 * (the tests) reads the package.json one folder up from here.
 */
declare const __AGENT_TRACE_VERSION__: string | undefined;

export const version: string = typeof __AGENT_TRACE_VERSION__ === 'string' ? __AGENT_TRACE_VERSION__ : fromPackageJson();

function fromPackageJson(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
