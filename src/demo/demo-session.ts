import type { EventInput } from '../events/types.js';
import type { SessionStore } from '../store/session-store.js';

/** The id of the demo session `agent-trace view --demo-if-empty` adds to an empty store. */
export const DEMO_SESSION_ID = 'demo-session';

const CWD = '/home/dev/acme-api';
const MAIN_MODEL = 'claude-sonnet-4-5-20250929';
const SUB_MODEL = 'claude-haiku-4-5-20251001';

const DURATION_TS_BEFORE = `export function parseDuration(text: string): number {
  const match = /^(\\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) throw new Error(\`invalid duration: \${text}\`);
  const n = Number(match[1]);
  switch (match[2]) {
    case 'ms': return n;
    case 's': return n * 1000;
    case 'm': return n * 60_000;
    case 'h': return n * 3_600_000;
    case 'd': {
      const start = new Date(2024, 2, 30);
      const end = new Date(start);
      end.setDate(start.getDate() + n);
      return end.getTime() - start.getTime();
    }
  }
  return n;
}
`;

const DAY_BEFORE = `    case 'd': {
      const start = new Date(2024, 2, 30);
      const end = new Date(start);
      end.setDate(start.getDate() + n);
      return end.getTime() - start.getTime();
    }`;
const DAY_AFTER = `    case 'd': return n * DAY_MS;`;

/**
 * A realistic Claude Code session (four prompts, parallel tools, a failing test run, an Explore subagent, a
 * lint error, an API retry, a compaction, an interrupted tool) used by `npm start` on an empty store, by the
 * README screenshots and by the viewer's tests. Times are relative to `end`, so the session looks recent.
 */
export function demoEvents(options: { sessionId?: string; end?: number } = {}): EventInput[] {
  const sessionId = options.sessionId ?? DEMO_SESSION_ID;
  const total = 372_000;
  const base = (options.end ?? Date.now()) - total;
  const at = (seconds: number) => Math.round(base + seconds * 1000);
  const out: EventInput[] = [];
  const push = (time: number, event: Record<string, unknown>) => out.push({ ...event, sessionId, time } as unknown as EventInput);
  const usage = (input: number, output: number, cacheRead: number, cacheWrite: number) => ({ input, output, cacheRead, cacheWrite });
  const gen = (
    key: string,
    from: number,
    to: number,
    result: { text?: string; thinking?: string; tools?: Array<[string, string]>; usage: ReturnType<typeof usage>; agentKey?: string; model?: string },
  ) => {
    const model = result.model ?? MAIN_MODEL;
    push(at(from), { type: 'generation.start', key, model, provider: 'anthropic', ...(result.agentKey ? { agentKey: result.agentKey } : {}) });
    push(at(to), {
      type: 'generation.end',
      key,
      model,
      responseId: `msg_demo_${key}`,
      finishReasons: [result.tools?.length ? 'tool_use' : 'end_turn'],
      usage: result.usage,
      output: {
        ...(result.text ? { text: result.text } : {}),
        ...(result.thinking ? { thinking: result.thinking } : {}),
        ...(result.tools ? { toolCalls: result.tools.map(([id, name]) => ({ id, name })) } : {}),
      },
      ...(result.agentKey ? { agentKey: result.agentKey } : {}),
    });
  };
  const tool = (
    key: string,
    name: string,
    from: number,
    to: number,
    input: unknown,
    result: { output?: unknown; error?: string; agentKey?: string; attributes?: Record<string, unknown> },
  ) => {
    const placement = result.agentKey ? { agentKey: result.agentKey } : {};
    push(at(from), { type: 'tool.start', key, name, input, ...placement });
    push(at(to), {
      type: 'tool.end',
      key,
      ...(result.output !== undefined ? { output: result.output } : {}),
      ...(result.error !== undefined ? { error: result.error, errorType: 'tool_error' } : {}),
      ...(result.attributes ? { attributes: result.attributes } : {}),
      ...placement,
    });
  };

  push(at(0), {
    type: 'session.start',
    reason: 'startup',
    agent: { name: 'claude-code', version: '2.1.38' },
    cwd: CWD,
    gitBranch: 'fix/parse-duration',
    title: 'Demo session: fix the flaky parseDuration test',
    model: MAIN_MODEL,
    provider: 'anthropic',
  });

  // ——— turn 1: find and fix the bug ———
  push(at(0.2), {
    type: 'turn.start',
    key: 'turn-1',
    prompt: 'The `parseDuration` tests fail on CI but pass on my machine. Find out why and fix it.',
  });
  gen('g1', 0.6, 4.2, {
    thinking:
      'Tests that pass locally and fail on CI usually depend on the environment: time zone, locale, or the current date. ' +
      'parseDuration deals with days, so daylight saving time is the first suspect. Let me find the implementation and the test.',
    text: "I'll look at the implementation and the failing test first.",
    tools: [['t1', 'Grep'], ['t2', 'Read']],
    usage: usage(12, 184, 14_210, 2_304),
  });
  tool('t1', 'Grep', 4.3, 4.5, { pattern: 'parseDuration', path: 'src', output_mode: 'content' }, {
    output: 'src/time/duration.ts:1:export function parseDuration(text: string): number {\nsrc/time/duration.test.ts:3:import { parseDuration } from "./duration";\nsrc/jobs/schedule.ts:7:  const every = parseDuration(job.every);',
  });
  tool('t2', 'Read', 4.3, 4.6, { file_path: `${CWD}/src/time/duration.ts` }, { output: DURATION_TS_BEFORE });
  gen('g2', 4.7, 9.8, {
    text: 'The `d` case measures a day with `Date` arithmetic, which depends on the local time zone. Let me run the tests the way CI does, in UTC and in a zone with daylight saving time.',
    tools: [['t3', 'Bash']],
    usage: usage(8, 231, 16_514, 1_120),
  });
  tool('t3', 'Bash', 9.9, 16.2, { command: 'TZ=Europe/Paris npx vitest run src/time', description: 'Run the duration tests in a DST time zone' }, {
    error:
      'Exit code 1\n FAIL  src/time/duration.test.ts > parseDuration > parses days\nAssertionError: expected 82800000 to be 86400000 // Object.is equality\n\n- Expected   86400000\n+ Received   82800000\n\n ❯ src/time/duration.test.ts:9:33\n\n Test Files  1 failed (1)\n      Tests  1 failed | 6 passed (7)',
  });
  gen('g3', 16.3, 24.0, {
    thinking:
      '82800000 is 23 hours. 2024-03-31 is the night clocks go forward in Europe, so adding one calendar day from March 30 yields 23h. ' +
      'On CI the runner happens to use a DST zone; locally the developer is in UTC. A duration should be a fixed number of milliseconds.',
    text:
      'Found it: `parseDuration("1d")` counts the milliseconds between two calendar dates that straddle the daylight-saving change of **31 March 2024**, so in a DST time zone a "day" is 23 hours. A duration is a fixed length; I will use a constant.',
    tools: [['t4', 'Edit']],
    usage: usage(9, 402, 18_060, 1_487),
  });
  tool('t4', 'Edit', 24.1, 24.4, { file_path: `${CWD}/src/time/duration.ts`, old_string: DAY_BEFORE, new_string: DAY_AFTER }, {
    output: `The file ${CWD}/src/time/duration.ts has been updated.`,
  });
  tool('t5', 'Bash', 24.5, 31.0, { command: 'TZ=Europe/Paris npx vitest run', description: 'Run the whole suite in a DST zone' }, {
    output: ' ✓ src/time/duration.test.ts (7 tests) 4ms\n ✓ src/jobs/schedule.test.ts (12 tests) 9ms\n ✓ src/billing/period.test.ts (9 tests) 6ms\n\n Test Files  14 passed (14)\n      Tests  212 passed (212)\n   Duration  1.93s',
  });
  push(at(24.6), { type: 'permission', message: 'Claude needs your permission to use Bash', toolKey: 't5', toolName: 'Bash' });
  const final1 =
    '## Fixed\n\nThe test failed on CI because the runner uses a time zone with daylight saving time, and `parseDuration` measured a day as the distance between two calendar dates: across the **31 March 2024** change that distance is 23 hours.\n\n' +
    '- `src/time/duration.ts`: a day is now `DAY_MS` milliseconds, whatever the zone\n- all **212 tests** pass with `TZ=Europe/Paris`\n\n```ts\nconst DAY_MS = 24 * 60 * 60 * 1000;\n```';
  gen('g4', 31.2, 36.0, { text: final1, usage: usage(11, 611, 19_870, 902) });
  push(at(36.1), { type: 'turn.end', key: 'turn-1', output: final1 });
  push(at(62), { type: 'notification', message: 'Claude is waiting for your input' });

  // ——— turn 2: a test, and an audit by a subagent ———
  push(at(95), {
    type: 'turn.start',
    key: 'turn-2',
    prompt: 'Great. Add a test for negative durations, and check whether anything else in the codebase makes the same DST mistake.',
  });
  gen('g5', 95.3, 96.9, {
    text: "I'll add the test myself and send an agent to audit the other date arithmetic in parallel.",
    tools: [['t6', 'Task'], ['t7', 'MultiEdit']],
    usage: usage(14, 356, 20_950, 1_644),
  });
  const auditPrompt =
    'Search the codebase for date arithmetic that assumes a day always has 24 hours, or that adds calendar days where a fixed duration is meant (setDate, 86400000, 24 * 60 * 60). Report file, line and whether it is a bug.';
  const auditReport =
    'Two places make the same assumption:\n\n| file | line | verdict |\n|---|---|---|\n| `src/billing/period.ts` | 44 | **bug**: a billing period of `n` days is computed with `setDate`, 23 h or 25 h around DST |\n| `src/jobs/schedule.ts` | 18 | fine: it schedules by calendar day on purpose |\n\n`src/time/format.ts` uses `86400000` only for display.';
  tool('t6', 'Task', 97.0, 140.0, { description: 'Audit date arithmetic', prompt: auditPrompt, subagent_type: 'Explore' }, { output: auditReport });
  push(at(97.1), { type: 'subagent.start', key: 'a1', agentType: 'Explore', parentToolKey: 't6', prompt: auditPrompt });
  gen('sg1', 97.5, 99.0, {
    agentKey: 'a1',
    model: SUB_MODEL,
    text: 'Searching for calendar-day arithmetic and hard-coded day lengths.',
    tools: [['st1', 'Grep'], ['st2', 'Grep']],
    usage: usage(3_410, 142, 0, 0),
  });
  tool('st1', 'Grep', 99.1, 99.4, { pattern: 'setDate\\(|getDate\\(\\) \\+', path: 'src', output_mode: 'content' }, {
    agentKey: 'a1',
    output: 'src/billing/period.ts:44:  end.setDate(end.getDate() + days);\nsrc/jobs/schedule.ts:18:  next.setDate(next.getDate() + 1);',
  });
  tool('st2', 'Grep', 99.1, 99.5, { pattern: '86400000|24 \\* 60 \\* 60', path: 'src', output_mode: 'content' }, {
    agentKey: 'a1',
    output: 'src/time/format.ts:12:  if (ms >= 86400000) return `${Math.round(ms / 86400000)}d`;',
  });
  gen('sg2', 99.6, 102.0, { agentKey: 'a1', model: SUB_MODEL, tools: [['st3', 'Read'], ['st4', 'Read']], usage: usage(3_980, 121, 0, 0) });
  tool('st3', 'Read', 102.1, 102.3, { file_path: `${CWD}/src/billing/period.ts`, offset: 30, limit: 30 }, {
    agentKey: 'a1',
    output: '40  export function periodEnd(start: Date, days: number): Date {\n41    // the period ends `days` days after it starts\n42    const end = new Date(start);\n43    // TODO: month boundaries\n44    end.setDate(end.getDate() + days);\n45    return end;\n46  }',
  });
  tool('st4', 'Read', 102.1, 102.4, { file_path: `${CWD}/src/jobs/schedule.ts`, offset: 1, limit: 40 }, {
    agentKey: 'a1',
    output: '15  /** Runs a daily job at the same wall-clock time every day, DST included. */\n16  export function nextDailyRun(last: Date): Date {\n17    const next = new Date(last);\n18    next.setDate(next.getDate() + 1);\n19    return next;\n20  }',
  });
  gen('sg3', 102.6, 139.2, { agentKey: 'a1', model: SUB_MODEL, text: auditReport, usage: usage(5_122, 874, 0, 0) });
  push(at(139.5), { type: 'subagent.end', key: 'a1', status: 'ok', output: auditReport });
  tool('t7', 'MultiEdit', 97.0, 97.4, {
    file_path: `${CWD}/src/time/duration.test.ts`,
    edits: [
      {
        old_string: "  it('parses days', () => {\n    expect(parseDuration('1d')).toBe(86_400_000);\n  });",
        new_string:
          "  it('parses days', () => {\n    expect(parseDuration('1d')).toBe(86_400_000);\n  });\n\n  it('rejects negative durations', () => {\n    const neg = '-5m';\n    expect(() => parseDuration('-5m')).toThrow(/invalid duration/);\n  });",
      },
      { old_string: "import { describe, expect, it } from 'vitest';", new_string: "import { describe, expect, it } from 'vitest';\n// a day is DAY_MS long in every time zone" },
    ],
  }, { output: `Applied 2 edits to ${CWD}/src/time/duration.test.ts` });
  gen('g6', 140.2, 141.0, { text: 'The audit is back. Let me lint before touching anything else.', tools: [['t8', 'Bash']], usage: usage(6, 97, 22_840, 2_015) });
  tool('t8', 'Bash', 141.1, 147.2, { command: 'npm run lint', description: 'Lint the project' }, {
    error: "Exit code 1\n\n/home/dev/acme-api/src/time/duration.test.ts\n  31:11  error  'neg' is assigned a value but never used  @typescript-eslint/no-unused-vars\n\n✖ 1 problem (1 error, 0 warnings)",
  });
  push(at(147.6), { type: 'api.error', message: 'overloaded_error: Overloaded (529), retrying in 1.2 s (attempt 1 of 10)' });
  gen('g7', 148.9, 152.4, { text: 'Lint caught an unused variable in the new test; removing it.', tools: [['t9', 'Edit']], usage: usage(7, 188, 23_310, 640) });
  tool('t9', 'Edit', 152.5, 152.7, {
    file_path: `${CWD}/src/time/duration.test.ts`,
    old_string: "    const neg = '-5m';\n    expect(() => parseDuration('-5m')).toThrow(/invalid duration/);",
    new_string: "    expect(() => parseDuration('-5m')).toThrow(/invalid duration/);",
  }, { output: `The file ${CWD}/src/time/duration.test.ts has been updated.` });
  push(at(160), { type: 'compaction.start', key: 'c1', trigger: 'auto', tokensBefore: 158_412 });
  push(at(168.4), {
    type: 'compaction.end',
    key: 'c1',
    trigger: 'auto',
    tokensAfter: 31_207,
    summary: 'Fixed parseDuration (fixed DAY_MS), added a negative-duration test, lint clean. Audit found a DST bug in src/billing/period.ts:44; src/jobs/schedule.ts:18 is intended.',
  });
  const final2 =
    'Done:\n\n1. **New test** `rejects negative durations` in `src/time/duration.test.ts` (lint clean).\n2. **Audit**: one more DST bug, in `src/billing/period.ts:44`: a billing period of *n* days is built with `setDate`, so it is 23 or 25 hours off around the clock change. `src/jobs/schedule.ts` adds calendar days on purpose (a daily job at the same wall-clock time) and is right as it is.\n\nShall I fix the billing period too?';
  gen('g8', 168.6, 175.1, { text: final2, usage: usage(2_310, 540, 0, 31_207) });
  push(at(175.2), { type: 'turn.end', key: 'turn-2', output: final2 });

  // ——— turn 3: interrupted by the person ———
  push(at(300), { type: 'turn.start', key: 'turn-3', prompt: 'Yes, fix the billing period and add a CHANGELOG entry.' });
  gen('g9', 300.4, 304.8, {
    text: 'Fixing `periodEnd` to add a fixed number of days in UTC, and adding the changelog entry.',
    tools: [['t10', 'Edit'], ['t11', 'Write']],
    usage: usage(12, 702, 32_104, 1_322),
  });
  tool('t10', 'Edit', 304.9, 305.2, {
    file_path: `${CWD}/src/billing/period.ts`,
    old_string: '  const end = new Date(start);\n  // TODO: month boundaries\n  end.setDate(end.getDate() + days);\n  return end;',
    new_string: '  return new Date(start.getTime() + days * DAY_MS);',
  }, { output: `The file ${CWD}/src/billing/period.ts has been updated.` });
  tool('t11', 'Write', 304.9, 305.1, {
    file_path: `${CWD}/CHANGELOG.md`,
    content: '# Changelog\n\n## Unreleased\n\n### Fixed\n\n- `parseDuration("1d")` and billing periods are 24 hours long in every time zone (they were 23 or 25 hours around daylight-saving changes).\n',
  }, { output: `File created successfully at: ${CWD}/CHANGELOG.md` });
  gen('g10', 305.3, 306.9, { tools: [['t12', 'Bash']], usage: usage(5, 88, 34_002, 410) });
  tool('t12', 'Bash', 307.0, 318.4, { command: 'npx vitest run', description: 'Run the test suite' }, {
    output: '[Request interrupted by user for tool use]',
    attributes: { 'agent_trace.interrupted': true },
  });
  push(at(318.4), { type: 'interrupt', message: 'Interrupted by user (Esc)' });
  push(at(318.5), { type: 'turn.end', key: 'turn-3' });

  // ——— turn 4 ———
  push(at(340), { type: 'turn.start', key: 'turn-4', prompt: 'Sorry, only run the billing tests, the full suite is slow.' });
  gen('g11', 340.3, 342.1, { tools: [['t13', 'Bash']], usage: usage(9, 76, 34_710, 380) });
  tool('t13', 'Bash', 342.2, 348.9, { command: 'npx vitest run src/billing', description: 'Run the billing tests' }, {
    output: ' ✓ src/billing/period.test.ts (9 tests) 5ms\n ✓ src/billing/invoice.test.ts (21 tests) 14ms\n\n Test Files  2 passed (2)\n      Tests  30 passed (30)',
  });
  const final4 = 'The billing tests pass (30 of 30). `periodEnd` now adds `days * DAY_MS` milliseconds, and `CHANGELOG.md` has an entry under **Unreleased**.';
  gen('g12', 349.0, 352.6, { text: final4, usage: usage(10, 214, 35_090, 260) });
  push(at(352.7), { type: 'turn.end', key: 'turn-4', output: final4 });
  push(at(372), { type: 'session.end', status: 'completed', reason: 'exit' });
  return out;
}

/** Writes the demo session into the store (meant for an empty store) and returns its id. */
export function writeDemoSession(store: SessionStore, options: { end?: number } = {}): string {
  store.append(demoEvents({ sessionId: DEMO_SESSION_ID, end: options.end }));
  store.materialize(DEMO_SESSION_ID);
  return DEMO_SESSION_ID;
}
