import type { ErrorObject } from 'ajv';
import { ConfigError, loadConfig, type AgentTraceConfig } from './config.js';
import { otlp, whole } from './config-validators.js';
import { defaultConfigPath } from './store/paths.js';

/**
 * Checks the config file against the one schema (config-schema.ts). The hook and the in-process tracer read the
 * file without this check (config.ts: they must never drop the user's redaction rules over an unrelated bad
 * value); every command checks it.
 */

/** One problem, as one line: `otlp.timeoutMs in FILE must be a positive number …, not "abc"`. */
export interface ConfigProblem {
  /** The key, dotted (`otlp.headers.x-n`), or '' for the whole file. */
  key: string;
  message: string;
}

/** The first problem of a config file's content, or undefined when it follows the schema. */
export function checkConfig(value: unknown, where: string): ConfigProblem | undefined {
  if (!whole(value)) return describe(whole.errors?.[0], '', where);
  return badPattern(value as AgentTraceConfig, where);
}

/**
 * Reads the config file and checks it against the schema (config-schema.ts): a missing file is an empty config;
 * unreadable JSON or a value of the wrong type is a ConfigError naming the file, the key and what it must be.
 */
export function loadCheckedConfig(path = defaultConfigPath()): AgentTraceConfig {
  const config = loadConfig(path);
  const problem = checkConfig(config, path);
  if (problem) throw new ConfigError(problem.message, path, problem.key);
  return config;
}

/** The same check for the `otlp` section alone (what the in-process tracer reads). */
export function checkOtlpSection(value: unknown, where: string): ConfigProblem | undefined {
  return otlp(value) ? undefined : describe(otlp.errors?.[0], 'otlp', where);
}

function describe(error: ErrorObject | undefined, prefix: string, where: string): ConfigProblem {
  if (!error) return { key: prefix, message: `${prefix || 'the config'} in ${where} is not valid` };
  const parts = error.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'required') parts.push(String((error.params as { missingProperty: string }).missingProperty));
  const key = [prefix, ...parts].filter(Boolean).join('.');
  // The schema node the value failed: its `expected` says what it must be. A missing property is described
  // by its own schema when it has one.
  let schema = error.parentSchema as { expected?: string; properties?: Record<string, { expected?: string }> } | undefined;
  if (error.keyword === 'required') schema = schema?.properties?.[parts.at(-1)!] ?? schema;
  const expected = schema?.expected ?? error.message ?? 'valid';
  const shownKey = key || 'the config file';
  const got = error.keyword === 'required' ? 'missing' : `not ${shown(error.data)}`;
  return { key, message: `${shownKey} in ${where} must be ${expected}, ${got}` };
}

/** A redaction pattern that JavaScript cannot compile (JSON Schema cannot say so). */
function badPattern(config: AgentTraceConfig, where: string): ConfigProblem | undefined {
  const patterns = config.redaction?.patterns ?? [];
  for (let i = 0; i < patterns.length; i++) {
    const { pattern, flags } = patterns[i]!;
    try {
      new RegExp(pattern, flags);
    } catch (error) {
      const key = `redaction.patterns.${i}.pattern`;
      return { key, message: `${key} in ${where} must be a regular expression (JavaScript syntax) as a string: ${(error as Error).message}` };
    }
  }
  return undefined;
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
