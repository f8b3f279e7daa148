// Shared set-up of the viewer tests (not a test file itself).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SessionStore } from '../src/store/session-store.js';
import { startViewer, type RunningViewer } from '../viewer/server/app.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export function tempStore(prefix = 'agent-trace-viewer-'): { dir: string; store: SessionStore; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, store: new SessionStore(dir), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export type Ev = Record<string, unknown> & { type: string };

/** Appends events to a session (time defaults to now, in order). */
export function append(store: SessionStore, sessionId: string, events: Ev[], base = Date.now()): void {
  let t = base;
  store.append(events.map((e) => ({ sessionId, time: (e.time as number | undefined) ?? t++, ...e })));
}

/** A session of `tools` tool calls (plus a model call every 10) spread over `turns` turns: about 1.1 × tools spans. */
export function bigSessionEvents(sessionId: string, tools: number, options: { turns?: number; start?: number; end?: boolean } = {}): Ev[] {
  const turns = options.turns ?? 20;
  const start = options.start ?? Date.now() - tools * 20;
  const out: Ev[] = [{ type: 'session.start', sessionId, time: start, agent: { name: 'claude-code', version: '2.1.0' }, title: `Big session of ${tools} tools`, cwd: '/work/big' }];
  const perTurn = Math.ceil(tools / turns);
  let t = start + 1;
  for (let i = 0; i < tools; i++) {
    if (i % perTurn === 0) out.push({ type: 'turn.start', sessionId, time: t++, key: `turn-${i / perTurn}`, prompt: `Prompt number ${i / perTurn}` });
    if (i % 10 === 0) {
      out.push({ type: 'generation.start', sessionId, time: t, key: `g${i}`, model: 'claude-sonnet-4-5' });
      out.push({ type: 'generation.end', sessionId, time: t + 5, key: `g${i}`, model: 'claude-sonnet-4-5', usage: { input: 10, output: 50, cacheRead: 1000 }, output: { text: `Working on item ${i}` } });
      t += 6;
    }
    out.push({ type: 'tool.start', sessionId, time: t, key: `t${i}`, name: i % 3 ? 'Read' : 'Bash', input: i % 3 ? { file_path: `/work/big/src/file${i}.ts` } : { command: `echo ${i}` } });
    out.push({ type: 'tool.end', sessionId, time: t + 3, key: `t${i}`, output: `output of tool call number ${i}` , ...(i % 97 === 5 ? { error: `failure ${i}` } : {}) });
    t += 4;
  }
  if (options.end !== false) out.push({ type: 'session.end', sessionId, time: t + 1, status: 'completed' });
  return out;
}

export async function startTestViewer(store: SessionStore, options: { pollMs?: number } = {}): Promise<RunningViewer> {
  return startViewer({ store, port: 0, pollMs: options.pollMs ?? 100 });
}

/** Reads Server-Sent Events from a fetch response body. */
export async function* sseEvents(res: Response): AsyncGenerator<{ event: string; data: string; id?: string }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let at: number;
    while ((at = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      let event = 'message';
      let data = '';
      let id: string | undefined;
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
        else if (line.startsWith('id: ')) id = line.slice(4);
      }
      if (data) yield id ? { event, data, id } : { event, data };
    }
  }
}
