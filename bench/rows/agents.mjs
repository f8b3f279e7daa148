// Real agents (SPEC §8): each agent CLI's scripted session (its own model API on 127.0.0.1), median wall with
// agent-trace installed (`agent-trace install --agent X`) against the same session without it. Each side has its
// own HOME, set up once and warmed by one unmeasured session (opencode installs its plugin SDK into its config
// folder the first time it sees a plugin: a one-time cost per machine, not per session); then the measured runs
// alternate between the sides so both see the same machine. The scripted sessions are the conformance suites'
// (test/helpers/*-session.ts), bundled here with esbuild. AGENT_TRACE_BENCH_RUNS sets the runs per side
// (default 15: on a shared 2-core machine 9 runs still moved a median by ±15%); AGENT_TRACE_BENCH_AGENTS limits the rows (comma-separated: catch-up, codex, gemini, opencode).
//
// The agent's own cost of running hooks shows in a third side, "floor": the same events installed, each running
// `cat >/dev/null` (Codex and Gemini CLI start a process per hook, whatever it does); opencode's plugin runs
// in-process, so it has no floor.
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function loadSessions(root) {
  // Written beside the helpers (and removed at once) so that the pinned-agent installer they import keeps its path.
  const out = join(root, 'test/helpers', `.agent-sessions-${process.pid}.mjs`);
  try {
    await build({ entryPoints: [join(root, 'test/helpers/agent-sessions.ts')], bundle: true, platform: 'node', format: 'esm', packages: 'external', external: ['*/agents/install.mjs'], outfile: out, logLevel: 'warning' });
    return await import(pathToFileURL(out).href);
  } finally {
    rmSync(out, { force: true });
  }
}

/**
 * A long Codex rollout (generated in Codex 0.171's layout) caught up the way hooks do it: its first read, then
 * the catch-up after one more turn was appended, which reads only from the last turn end on.
 */
async function catchUpRows(ctx) {
  const entry = join(ctx.root, 'test/helpers', `.catch-up-entry-${process.pid}.ts`);
  const out = join(ctx.root, 'test/helpers', `.catch-up-${process.pid}.mjs`);
  writeFileSync(entry, "export { rolloutTurns, ROLLOUT_SESSION } from './codex-rollout.js';\nexport { catchUpFromAgentFile, rememberAgentFile } from '../../src/adapters/catch-up.js';\nexport { lastRolloutBytesRead } from '../../src/adapters/codex/rollout-tail.js';\nexport { SessionStore } from '../../src/store/session-store.js';\n");
  let m;
  try {
    await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: out, logLevel: 'warning' });
    m = await import(pathToFileURL(out).href);
  } finally {
    rmSync(entry, { force: true });
    rmSync(out, { force: true });
  }
  const turns = m.rolloutTurns(260, { toolsPerTurn: 4, outputBytes: 1_500 });
  const firsts = [];
  const nexts = [];
  let size = 0;
  let nextBytes = 0;
  for (let i = 0; i < 7; i++) {
    const dir = join(ctx.work, `codex-catch-up-${i}`);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'rollout.jsonl');
    writeFileSync(file, `${turns.slice(0, 250).flat().join('\n')}\n`);
    size = statSync(file).size;
    const store = new m.SessionStore(join(dir, 'data'));
    store.append([{ sessionId: m.ROLLOUT_SESSION, type: 'session.start', time: Date.parse('2026-11-29T12:59:59Z'), source: 'hook', agent: { name: 'codex' } }]);
    m.rememberAgentFile(store.folder(m.ROLLOUT_SESSION), 'codex', file);
    let t0 = performance.now();
    if (!m.catchUpFromAgentFile(store, m.ROLLOUT_SESSION, 'codex')) throw new Error('first catch-up read nothing');
    firsts.push(performance.now() - t0);
    appendFileSync(file, `${turns[250 + i].join('\n')}\n`);
    t0 = performance.now();
    if (!m.catchUpFromAgentFile(store, m.ROLLOUT_SESSION, 'codex')) throw new Error('incremental catch-up read nothing');
    nexts.push(performance.now() - t0);
    nextBytes = m.lastRolloutBytesRead;
    rmSync(dir, { recursive: true, force: true });
  }
  const first = median(firsts);
  const next = median(nexts);
  return [
    { name: `codex catch-up: ${(size / 1024 / 1024).toFixed(1)} MB rollout, 250 turns, first read (median of 7)`, value: first, unit: 'ms', target: 'reported', pass: true },
    { name: `codex catch-up: +1 turn, reads ${(nextBytes / 1024).toFixed(0)} KB from the last turn end`, value: next, unit: 'ms', baseline: first, baselineName: 'first read', ratio: next / first, target: '≤ 0.50×', pass: next / first <= 0.5 },
  ];
}

export async function rows(ctx) {
  const { scriptedSession } = await loadSessions(ctx.root);
  const { installAgent } = await import(pathToFileURL(join(ctx.root, 'test/agents/install.mjs')).href);
  const runs = Number(process.env.AGENT_TRACE_BENCH_RUNS) || 15;
  const only = (process.env.AGENT_TRACE_BENCH_AGENTS || 'catch-up,codex,gemini,opencode').split(',');
  const catchUp = only.includes('catch-up') ? await catchUpRows(ctx) : [];
  const result = [];
  for (const agent of only.filter((a) => a !== 'catch-up')) {
    const bin = installAgent(agent);
    const sides = {};
    const sideNames = agent === 'opencode' ? ['without', 'with'] : ['without', 'with', 'floor'];
    for (const side of sideNames) {
      const home = join(ctx.work, `${agent}-${side}`);
      mkdirSync(home, { recursive: true });
      const session = await scriptedSession(agent, home);
      if (side !== 'without') {
        const r = spawnSync(process.execPath, [ctx.bin, '--dir', join(home, 'trace'), 'install', '--agent', agent], { env: { ...session.env, PATH: `${dirname(bin)}:${session.env.PATH}` }, encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`install --agent ${agent}: ${r.stderr}`);
      }
      if (side === 'floor') {
        const file = agent === 'codex' ? join(home, '.codex', 'hooks.json') : join(home, '.gemini', 'settings.json');
        const doc = JSON.parse(readFileSync(file, 'utf8'));
        // The same shape as agent-trace's command (`/bin/sh <script> …`): agents that run a command without a shell
        // would read `cat >/dev/null` as cat of a file named `>/dev/null`.
        const floor = join(home, 'floor.sh');
        writeFileSync(floor, 'cat >/dev/null\n');
        for (const groups of Object.values(doc.hooks)) for (const g of groups) for (const h of g.hooks) h.command = `/bin/sh ${floor}`;
        writeFileSync(file, JSON.stringify(doc, null, 2));
      }
      sides[side] = { session, home, times: [] };
    }
    const once = async (side) => {
      const { session } = sides[side];
      session.reset();
      const run = await session.run();
      if (run.code !== 0 || session.answered() === 0) throw new Error(`${agent} (${side}) run failed (${run.code}): ${run.stderr.slice(-500)}`);
      return run.wallMs;
    };
    try {
      for (const side of sideNames) await once(side);
      for (let i = 0; i < runs; i++) {
        // every round runs each side once, in an order that turns, so no side always follows the same one
        const order = sideNames.map((_, j) => sideNames[(i + j) % sideNames.length]);
        for (const side of order) sides[side].times.push(await once(side));
      }
    } finally {
      for (const s of Object.values(sides)) {
        await s.session.stop();
        rmSync(s.home, { recursive: true, force: true });
      }
    }
    const w = median(sides.with.times);
    const wo = median(sides.without.times);
    const ratio = w / wo;
    result.push({ name: `${agent}: scripted session, agent-trace installed (median of ${runs})`, value: w, unit: 'ms', baseline: wo, baselineName: 'without', ratio, target: '≤ 1.10×', pass: ratio <= 1.1 });
    if (sides.floor) {
      const f = median(sides.floor.times);
      result.push({ name: `${agent}: same events running \`cat >/dev/null\` (${agent}'s own hook cost)`, value: f, unit: 'ms', baseline: wo, baselineName: 'without', ratio: f / wo, target: 'reported (the floor)', pass: true });
      result.push({ name: `${agent}: agent-trace's hooks vs that floor`, value: w, unit: 'ms', baseline: f, baselineName: 'cat >/dev/null hooks', ratio: w / f, target: 'reported', pass: true });
    }
  }
  return [...catchUp, ...result];
}
