/**
 * The one schema of the config file (`config.json`), as JSON Schema (draft-07), checked by ajv in
 * config-check.ts (compiled ahead of time by the build: config-validators.ts). Each field says, in `expected`, what it must be — the error message quotes it, so a bad
 * value is reported as `otlp.timeoutMs in ~/.config/agent-trace/config.json must be a positive number of
 * milliseconds such as 10000, not "abc"`. Fields agent-trace does not know are allowed (and ignored), so an
 * older agent-trace reads a newer config file.
 */

const stringMap = (example: string) => ({
  type: 'object',
  expected: `an object of string values such as ${example}`,
  additionalProperties: { type: 'string', expected: 'a string' },
});

const count = (expected: string) => ({ type: 'number', minimum: 0, expected });

const perMillion = { type: 'number', minimum: 0, expected: 'a price in USD per million tokens, a number ≥ 0' };

const price = {
  type: 'object',
  expected: 'prices per million tokens such as {"input": 3, "output": 15, "cacheRead": 0.3}',
  required: ['input', 'output'],
  properties: { input: perMillion, output: perMillion },
  additionalProperties: perMillion,
};

export const CONFIG_SCHEMA = {
  type: 'object',
  expected: 'a JSON object such as {"otlp": {"endpoint": "http://localhost:4318"}}',
  properties: {
    dir: { type: 'string', pattern: '\\S', expected: 'the path of the data directory, a string' },
    otlp: {
      type: 'object',
      expected: 'an object such as {"endpoint": "http://localhost:4318"}',
      properties: {
        endpoint: { type: 'string', expected: 'a URL string such as "http://localhost:4318"' },
        protocol: { type: 'string', enum: ['http/protobuf', 'http/json'], expected: '"http/protobuf" or "http/json"' },
        headers: stringMap('{"Authorization": "Bearer <token>"}'),
        timeoutMs: { type: 'number', exclusiveMinimum: 0, expected: 'a positive number of milliseconds such as 10000' },
        compression: { type: 'string', enum: ['gzip', 'none'], expected: '"gzip" or "none"' },
        serviceName: { type: 'string', expected: 'a string' },
        resourceAttributes: stringMap('{"deployment.environment": "dev"}'),
        auto: { type: 'boolean', expected: 'true or false' },
        traceMode: { type: 'string', enum: ['session', 'turn'], expected: '"session" or "turn"' },
      },
    },
    redaction: {
      type: 'object',
      expected: 'an object such as {"patterns": [{"name": "ticket", "pattern": "TICKET-[0-9]+"}], "disable": ["jwt"]}',
      properties: {
        patterns: {
          type: 'array',
          expected: 'a list of rules such as [{"name": "ticket", "pattern": "TICKET-[0-9]+"}]',
          items: {
            type: 'object',
            expected: 'a rule such as {"name": "ticket", "pattern": "TICKET-[0-9]+", "flags": "i"}',
            required: ['name', 'pattern'],
            properties: {
              name: { type: 'string', pattern: '\\S', expected: 'the rule\'s name, a string' },
              pattern: { type: 'string', expected: 'a regular expression (JavaScript syntax) as a string' },
              flags: { type: 'string', pattern: '^[gimsuyd]*$', expected: 'regular expression flags such as "i"' },
            },
          },
        },
        disable: { type: 'array', items: { type: 'string', expected: 'a rule name' }, expected: 'a list of built-in rule names such as ["jwt"]' },
        maxStringLength: { type: 'integer', minimum: 1, expected: 'a positive whole number of characters' },
      },
    },
    retention: {
      type: 'object',
      expected: 'an object such as {"maxAgeDays": 30, "maxSessions": 500}',
      properties: {
        maxAgeDays: count('a number ≥ 0 of days'),
        maxSessions: count('a number ≥ 0 of sessions'),
      },
    },
    prices: { type: 'object', expected: 'an object of model names to prices', additionalProperties: price },
    inactivityMinutes: { type: 'number', exclusiveMinimum: 0, expected: 'a positive number of minutes such as 30' },
  },
} as const;

/** How ajv compiles the schema, here (config-validators.ts) and ahead of time in the build alike. */
export const AJV_OPTIONS = { verbose: true, strict: true, allErrors: false };
/** `expected`: what a field must be, quoted by error messages (an annotation: no validation code). */
export const ANNOTATIONS = [{ keyword: 'expected', schemaType: 'string' }];
