// Real agents (SPEC §8): each agent CLI's scripted session (its own model API on 127.0.0.1), median wall with
// agent-trace installed (`agent-trace install --agent X`) against the same session without it. Each side has its
// own HOME, set up once and warmed by one unmeasured session (opencode installs its plugin SDK into its config
// folder the first time it sees a plugin: a one-time cost per machine, not per session); then the measured runs
// alternate between the sides so both see the same machine. The scripted sessions are the conformance suites'
// (test/helpers/*-session.ts), bundled here with esbuild. AGENT_TRACE_BENCH_RUNS sets the runs per side
// (default 5); AGENT_TRACE_BENCH_AGENTS limits the agents (comma-separated).
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
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

export async function rows(ctx) {
  const { scriptedSession } = await loadSessions(ctx.root);
  const { installAgent } = await import(pathToFileURL(join(ctx.root, 'test/agents/install.mjs')).href);
  const runs = Number(process.env.AGENT_TRACE_BENCH_RUNS) || 5;
  const agents = (process.env.AGENT_TRACE_BENCH_AGENTS || 'codex,gemini,opencode').split(',');
  const result = [];
  for (const agent of agents) {
    const bin = installAgent(agent);
    const sides = {};
    for (const side of ['without', 'with']) {
      const home = join(ctx.work, `${agent}-${side}`);
      mkdirSync(home, { recursive: true });
      const session = await scriptedSession(agent, home);
      if (side === 'with') {
        const r = spawnSync(process.execPath, [ctx.bin, '--dir', join(home, 'trace'), 'install', '--agent', agent], { env: { ...session.env, PATH: `${dirname(bin)}:${session.env.PATH}` }, encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`install --agent ${agent}: ${r.stderr}`);
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
      await once('without');
      await once('with');
      for (let i = 0; i < runs * 2; i++) {
        const side = i % 2 === 0 ? 'without' : 'with';
        sides[side].times.push(await once(side));
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
  }
  return result;
}
