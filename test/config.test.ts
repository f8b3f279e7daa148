import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../src/config-check.js';
import { cli, tempDir } from './helpers/env.js';

describe('the config file: one schema, one line per problem', () => {
  it('names the key, the file and what the value must be', () => {
    const where = '/cfg/config.json';
    const cases: Array<[unknown, RegExp]> = [
      [[], /^the config file in \/cfg\/config\.json must be a JSON object such as/],
      [{ dir: 5 }, /^dir in \/cfg\/config\.json must be the path of the data directory, a string, not 5$/],
      [{ inactivityMinutes: 0 }, /^inactivityMinutes in .* must be a positive number of minutes such as 30, not 0$/],
      [{ retention: { maxAgeDays: -1 } }, /^retention\.maxAgeDays in .* must be a number ≥ 0 of days, not -1$/],
      [{ redaction: { patterns: [{ name: 'x', pattern: '([' }] } }, /^redaction\.patterns\.0\.pattern in .* must be a regular expression \(JavaScript syntax\) as a string: Invalid regular expression/],
      [{ redaction: { patterns: [{ pattern: 'a' }] } }, /^redaction\.patterns\.0\.name in .* must be the rule's name, a string, missing$/],
      [{ prices: { 'my-model': { input: 1 } } }, /^prices\.my-model\.output in .* must be a price in USD per million tokens, a number ≥ 0, missing$/],
      [{ otlp: { headers: { 'x-n': 5 } } }, /^otlp\.headers\.x-n in .* must be a string, not 5$/],
    ];
    for (const [config, pattern] of cases) expect(checkConfig(config, where)?.message).toMatch(pattern);
  });

  it('accepts the documented example and fields it does not know', () => {
    const example = {
      dir: '/data/agent-trace',
      otlp: { endpoint: 'http://localhost:4318', headers: { 'x-api-key': 'k' }, protocol: 'http/protobuf', serviceName: 'agent-trace', auto: true, traceMode: 'turn' },
      redaction: { patterns: [{ name: 'ticket', pattern: 'TICKET-[0-9]+', flags: 'i' }], disable: ['jwt'] },
      retention: { maxAgeDays: 30, maxSessions: 500 },
      prices: { 'my-model': { input: 1.0, output: 4.0, cacheRead: 0.1 } },
      inactivityMinutes: 30,
      somethingNewer: { any: 'thing' },
    };
    expect(checkConfig(example, 'config.json')).toBeUndefined();
  });

  it('every command reports a bad config in one line and exits 1', async () => {
    const home = tempDir();
    const config = join(home, 'config.json');
    writeFileSync(config, JSON.stringify({ retention: { maxSessions: 'many' } }));
    const env = { ...process.env, AGENT_TRACE_CONFIG: config, NO_COLOR: '1' };
    for (const args of [['list'], ['show', 'x'], ['export', '--all'], ['prune']]) {
      const r = await cli([...args, '--dir', home], { env });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toBe(`agent-trace: retention.maxSessions in ${config} must be a number ≥ 0 of sessions, not "many"\n`);
    }
  });
});
