import { ConfigError, loadCheckedConfig, resolveDataDir, type AgentTraceConfig } from '../config.js';
import { RECONCILE_SOURCES } from '../adapters/sources.js';
import { Redactor } from '../redact.js';
import { SessionStore } from '../store/session-store.js';
import { CliError } from './errors.js';

export interface CliContext {
  config: AgentTraceConfig;
  dir: string;
  store: SessionStore;
}

/** Config and data dir as every command sees them: flag beats env beats config file beats default. */
export function cliContext(options: { dir?: string }): CliContext {
  let config: AgentTraceConfig;
  try {
    config = loadCheckedConfig();
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
  const dir = resolveDataDir(options.dir, config);
  const store = new SessionStore(dir, {
    redactor: new Redactor(config.redaction),
    prices: config.prices,
    inactivityMinutes: config.inactivityMinutes,
    sources: RECONCILE_SOURCES,
  });
  return { config, dir, store };
}
