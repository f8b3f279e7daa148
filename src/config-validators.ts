import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import { AJV_OPTIONS, ANNOTATIONS, CONFIG_SCHEMA } from './config-schema.js';

/**
 * The config schema compiled by ajv: `whole` for the file, `otlp` for its `otlp` section. Compiling takes
 * ~80 ms of CPU, too much for every command: the build (scripts/build.mjs) replaces this module with the same
 * validators compiled ahead of time (ajv's standalone code), so only code run from source compiles here.
 */


const requireHere = createRequire(import.meta.url);
type Ajv = { compile(schema: unknown): ValidateFunction; addKeyword(definition: unknown): void };
const AjvClass = (requireHere('ajv') as { default: new (options: object) => Ajv }).default;
const ajv = new AjvClass(AJV_OPTIONS);
for (const keyword of ANNOTATIONS) ajv.addKeyword(keyword);

export const whole: ValidateFunction = ajv.compile(CONFIG_SCHEMA);
export const otlp: ValidateFunction = ajv.compile(CONFIG_SCHEMA.properties.otlp);
