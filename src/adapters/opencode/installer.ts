import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { versionOf } from '../detect-util.js';
import { MARKER, opencodePluginPath } from '../hook-settings.js';
import type { AgentInstaller, InstallEnv, InstalledAt, InstallScope } from '../installer.js';

/**
 * opencode: its plugin folder (`${XDG_CONFIG_HOME:-~/.config}/opencode/plugins/` for the user,
 * `<project>/.opencode/plugins/` for a project) gets `agent-trace.js`, a two-line file that loads the plugin
 * shipped in this package (dist/plugins/opencode.js) with the Node.js and agent-trace paths baked in. The plugin
 * records in-process (no process per event) and never throws into opencode.
 */
const FILE = 'agent-trace.js';

function pluginPath(ie: InstallEnv, scope: InstallScope): string {
  const config = ie.env.XDG_CONFIG_HOME || join(ie.home, '.config');
  return scope === 'user' ? join(config, 'opencode', 'plugins', FILE) : join(ie.cwd, '.opencode', 'plugins', FILE);
}

export function pluginSource(ie: InstallEnv): string {
  const options = { node: ie.node, bin: ie.bin, dir: ie.dataDir ?? '' };
  return [
    `// ${MARKER.slice(2)}: written by \`agent-trace install\`, removed by \`agent-trace uninstall\`.`,
    `import { createAgentTracePlugin } from ${JSON.stringify(`file://${opencodePluginPath(ie)}`)};`,
    `export const AgentTrace = createAgentTracePlugin(${JSON.stringify(options)});`,
    '',
  ].join('\n');
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export const opencodeInstaller: AgentInstaller = {
  agent: 'opencode',
  label: 'opencode',
  scopes: ['user', 'project'],
  detect(ie) {
    const version = versionOf('opencode', ie.env);
    const where = join(ie.env.XDG_CONFIG_HOME || join(ie.home, '.config'), 'opencode');
    return { found: version !== undefined || existsSync(where), ...(version ? { version } : {}), where };
  },
  plan(ie, scope, { uninstall }) {
    const path = pluginPath(ie, scope);
    const before = read(path);
    if (before !== undefined && !before.includes(MARKER.slice(2))) {
      // Someone else's file of that name: never overwritten, never deleted.
      return { edits: [], notes: [`${path} exists and was not written by agent-trace; left as it is`] };
    }
    const after = uninstall ? undefined : pluginSource(ie);
    const note = uninstall
      ? before === undefined ? `opencode: no agent-trace plugin in ${path}` : `opencode: removed the agent-trace plugin ${path}`
      : after === before ? `opencode: the agent-trace plugin is already in ${path}` : `opencode: the agent-trace plugin in ${path}`;
    return { edits: after === before ? [] : [{ path, before, after }], notes: [note], memo: {} };
  },
  status(ie) {
    const out: InstalledAt[] = [];
    for (const scope of ['user', 'project'] as const) {
      const path = pluginPath(ie, scope);
      const text = read(path);
      if (text === undefined || !text.includes(MARKER.slice(2))) continue;
      const target = /file:\/\/([^"]+)"/.exec(text)?.[1];
      out.push({ scope, path, events: ['session.created', 'session.idle'], blockers: target && !existsSync(target) ? [`the plugin it loads (${target}) is gone: run agent-trace install again`] : [] });
    }
    return out;
  },
};
