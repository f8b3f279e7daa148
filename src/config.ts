import { readFileSync } from 'node:fs';
import type { ModelPrice } from './model/pricing.js';
import type { RedactionConfig } from './redact.js';
import { defaultConfigPath, defaultDataDir } from './store/paths.js';

/**
 * `${XDG_CONFIG_HOME:-~/.config}/agent-trace/config.json`. Claude Code strips OTEL_* variables from hook
 * processes, so everything a hook needs (the OTLP endpoint above all) must be reachable from here.
 */
export interface OtlpConfig {
  endpoint?: string;
  headers?: Record<string, string>;
  protocol?: 'http/protobuf' | 'http/json';
  timeoutMs?: number;
  compression?: 'gzip' | 'none';
  serviceName?: string;
  resourceAttributes?: Record<string, string>;
  /** Export each finished turn from the hook, in the background (default true when an endpoint is set). */
  auto?: boolean;
  /** `session` (default): one trace per session; `turn`: one trace per turn linked by session.id. */
  traceMode?: 'session' | 'turn';
}

export interface RetentionConfig {
  maxAgeDays?: number;
  maxSessions?: number;
}

export interface AgentTraceConfig {
  dir?: string;
  otlp?: OtlpConfig;
  redaction?: RedactionConfig;
  retention?: RetentionConfig;
  prices?: Record<string, ModelPrice>;
  /** A running session with no event for this long, whose agent process cannot be checked, is interrupted. */
  inactivityMinutes?: number;
}

/** A config file agent-trace cannot use: `message` is one line naming the file (and the key) and what to do. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly path: string,
    /** The dotted key at fault, when one is. */
    readonly key?: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Reads the config file without the schema check, for the hook and the in-process tracer: they must never
 * drop the user's redaction rules over an unrelated bad value, and never pay for the checker. A missing file is
 * an empty config, a malformed one is a ConfigError naming the file.
 */
export function loadConfig(path = defaultConfigPath()): AgentTraceConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(`cannot read ${path}: ${(error as Error).message}`, path);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path} is not valid JSON (${(error as Error).message}); fix or remove it`, path);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`${path} must hold a JSON object such as {"otlp": {"endpoint": "http://localhost:4318"}}`, path);
  }
  return parsed as AgentTraceConfig;
}

/** Explicit flag beats env var beats config file beats the XDG default. */
export function resolveDataDir(flag: string | undefined, config: AgentTraceConfig, env: NodeJS.ProcessEnv = process.env): string {
  return flag || env.AGENT_TRACE_DIR || config.dir || defaultDataDir(env);
}
