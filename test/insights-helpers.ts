// Generated sessions with planted content, shared by the insights suites (not a test file itself).
import { SessionStore } from '../src/store/session-store.js';

export const DAY = 86_400_000;
export const BASE = Date.UTC(2026, 10, 2, 10); // a Monday

/** A session on `day` (days after BASE) with one turn: model calls of `model`, tool calls, one failure. */
function session(store: SessionStore, id: string, o: { day: number; model: string; cwd: string; branch?: string; agent?: string; prompt: string; tool?: { name: string; input: unknown; output?: string; error?: string } }): void {
  let t = BASE + o.day * DAY;
  const e = (x: Record<string, unknown>) => ({ sessionId: id, time: t++, ...x });
  store.append([
    e({ type: 'session.start', agent: { name: o.agent ?? 'claude-code' }, cwd: o.cwd, ...(o.branch ? { gitBranch: o.branch } : {}) }),
    e({ type: 'turn.start', key: 'turn-1', prompt: o.prompt }),
    e({ type: 'generation.start', key: 'g1', model: o.model }),
    e({ type: 'generation.end', key: 'g1', model: o.model, usage: { input: 100, output: 200, cacheRead: 5_000, cacheWrite: 1_000 }, output: { text: `Looking into it (${id}).` } }),
    ...(o.tool
      ? [
          e({ type: 'tool.start', key: 'tool-1', name: o.tool.name, input: o.tool.input }),
          e({ type: 'tool.end', key: 'tool-1', ...(o.tool.error ? { error: o.tool.error } : { output: o.tool.output ?? 'ok' }) }),
        ]
      : []),
    e({ type: 'generation.start', key: 'g2', model: o.model }),
    e({ type: 'generation.end', key: 'g2', model: o.model, usage: { input: 10, output: 50, cacheRead: 6_000 }, output: { text: 'Done.' } }),
    e({ type: 'turn.end', key: 'turn-1' }),
    e({ type: 'session.end', status: 'completed' }),
  ]);
}

export function generated(dir: string): SessionStore {
  const store = new SessionStore(dir);
  session(store, 'alpha', { day: 0, model: 'claude-sonnet-4-5', cwd: '/work/shop', branch: 'main', prompt: 'Run the zebramigration on the orders table', tool: { name: 'Bash', input: { command: 'npm run migrate' }, output: 'migrated 12 tables, quokkasentinel done' } });
  session(store, 'beta', { day: 0, model: 'claude-opus-4-5', cwd: '/work/shop', branch: 'feature/cart', prompt: 'Fix the cart', tool: { name: 'Edit', input: { file_path: '/work/shop/src/planted/walrus-cart.ts', old_string: 'a', new_string: 'b' } } });
  session(store, 'gamma', { day: 1, model: 'gpt-5', agent: 'codex', cwd: '/work/blog', prompt: 'Deploy the blog', tool: { name: 'exec_command', input: { cmd: 'curl localhost' }, error: 'connect ECONNREFUSED flamingohost:5432' } });
  session(store, 'delta', { day: 9, model: 'some-unpriced-model', agent: 'opencode', cwd: '/work/blog', prompt: 'Write a post' });
  return store;
}

