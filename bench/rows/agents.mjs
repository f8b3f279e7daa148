// Real agents (SPEC §8): each agent CLI's scripted session (its own model API on 127.0.0.1), median wall with
// agent-trace installed (`agent-trace install --agent X`) against the same session without it, runs alternating so
// both see the same machine. The scripted sessions are the conformance suites' (test/helpers/*-session.ts),
// bundled here with esbuild. AGENT_TRACE_BENCH_RUNS sets the runs per side (default 5); AGENT_TRACE_BENCH_AGENTS
// limits the agents (comma-separated).
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function rows(ctx) {
  // Written beside the helpers (and removed at once) so that the pinned-agent installer they import keeps its path.
  const out = join(ctx.root, 'test/helpers', `.agent-sessions-${process.pid}.mjs`);
  let scriptedSession;
  try {
    await build({ entryPoints: [join(ctx.root, 'test/helpers/agent-sessions.ts')], bundle: true, platform: 'node', format: 'esm', packages: 'external', external: ['*/agents/install.mjs'], outfile: out, logLevel: 'warning' });
    ({ scriptedSession } = await import(pathToFileURL(out).href));
  } finally {
    rmSync(out, { force: true });
  }
  const { agentBin } = await import(pathToFileURL(join(ctx.root, 'test/agents/install.mjs')).href).then((m) => ({ agentBin: m.installAgent }));
  const runs = Number(process.env.AGENT_TRACE_BENCH_RUNS) || 5;
  const agents = (process.env.AGENT_TRACE_BENCH_AGENTS || 'codex,gemini,opencode').split(',');
  const result = [];
  for (const agent of agents) {
    const bin = agentBin(agent);
    const times = { with: [], without: [] };
    for (let i = 0; i < runs * 2; i++) {
      const side = i % 2 === 0 ? 'without' : 'with';
      const home = join(ctx.work, `${agent}-${i}`);
      mkdirSync(home, { recursive: true });
      const session = await scriptedSession(agent, home);
      try {
        if (side === 'with') {
          const r = spawnSync(process.execPath, [ctx.bin, '--dir', join(home, 'trace'), 'install', '--agent', agent], { env: { ...session.env, PATH: `${dirname(bin)}:${session.env.PATH}` }, encoding: 'utf8' });
          if (r.status !== 0) throw new Error(`install --agent ${agent}: ${r.stderr}`);
        }
        const run = await session.run();
        if (run.code !== 0 || session.answered() === 0) throw new Error(`${agent} run failed (${run.code}): ${run.stderr.slice(-500)}`);
        times[side].push(run.wallMs);
      } finally {
        await session.stop();
        rmSync(home, { recursive: true, force: true });
      }
    }
    const w = median(times.with);
    const wo = median(times.without);
    const ratio = w / wo;
    result.push({ name: `${agent}: scripted session, agent-trace installed (median of ${runs})`, value: w, unit: 'ms', baseline: wo, baselineName: 'without', ratio, target: '≤ 1.10×', pass: ratio <= 1.1 });
  }
  return result;
}
