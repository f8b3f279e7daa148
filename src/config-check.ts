import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { CONFIG_SCHEMA } from './config-schema.js';

/**
 * Checks a config value against the one schema (config-schema.ts) with ajv. ajv and the compiled schema load
 * on first use (tens of milliseconds), so paths that never check — the hook's — never pay for them.
 */

/** One problem, as one line: `otlp.timeoutMs in FILE must be a positive number …, not "abc"`. */
export interface ConfigProblem {
  /** The key, dotted (`otlp.headers.x-n`), or '' for the whole file. */
  key: string;
  message: string;
}

type Ajv = { compile(schema: unknown): ValidateFunction; addKeyword(definition: unknown): void };

const requireHere = createRequire(import.meta.url);
let validators: { whole: ValidateFunction; otlp: ValidateFunction } | undefined;

function compiled(): { whole: ValidateFunction; otlp: ValidateFunction } {
  if (validators) return validators;
  const AjvClass = (requireHere('ajv') as { default: new (options: object) => Ajv }).default;
  const ajv = new AjvClass({ allErrors: false, verbose: true, strict: true });
  // `expected`: what a field must be, quoted by messages; `regexp`: a string that compiles as a RegExp.
  ajv.addKeyword({ keyword: 'expected', schemaType: 'string' });
  ajv.addKeyword({
    keyword: 'regexp',
    type: 'string',
    schemaType: 'boolean',
    validate: (on: boolean, value: string) => {
      if (!on) return true;
      try {
        new RegExp(value);
        return true;
      } catch {
        return false;
      }
    },
  });
  validators = { whole: ajv.compile(CONFIG_SCHEMA), otlp: ajv.compile(CONFIG_SCHEMA.properties.otlp) };
  return validators;
}

/** The first problem of a config file's content, or undefined when it follows the schema. */
export function checkConfig(value: unknown, where: string): ConfigProblem | undefined {
  const validate = compiled().whole;
  return validate(value) ? undefined : describe(validate.errors?.[0], '', where);
}

/** The same check for the `otlp` section alone (what the in-process tracer reads). */
export function checkOtlpSection(value: unknown, where: string): ConfigProblem | undefined {
  const validate = compiled().otlp;
  return validate(value) ? undefined : describe(validate.errors?.[0], 'otlp', where);
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

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
