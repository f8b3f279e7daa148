import { RECONCILE_SOURCES } from '../adapters/sources.js';
import { loadCheckedConfig } from '../config-check.js';
import { resolveDataDir, type AgentTraceConfig } from '../config.js';
import { Redactor } from '../redact.js';
import { SessionStore } from '../store/session-store.js';

export interface CliContext {
  config: AgentTraceConfig;
  dir: string;
  store: SessionStore;
}

/**
 * Config and data dir as every command sees them: flag beats env beats config file beats default. A config
 * file that does not follow the schema stops the command with one line naming the key (a ConfigError).
 */
export function cliContext(options: { dir?: string }): CliContext {
  const config = loadCheckedConfig();
  const dir = resolveDataDir(options.dir, config);
  const store = new SessionStore(dir, {
    redactor: new Redactor(config.redaction),
    prices: config.prices,
    inactivityMinutes: config.inactivityMinutes,
    sources: RECONCILE_SOURCES,
  });
  return { config, dir, store };
}
