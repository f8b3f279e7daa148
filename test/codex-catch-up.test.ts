import { appendFileSync, closeSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catchUpFromAgentFile, rememberAgentFile } from '../src/adapters/catch-up.js';
import { lastRolloutBytesRead } from '../src/adapters/codex/rollout-tail.js';
import { SessionStore } from '../src/store/session-store.js';
import { ROLLOUT_SESSION, rolloutTurns } from './helpers/codex-rollout.js';
import { tempDir } from './helpers/env.js';

// Catch-up by offset: a Codex rollout only grows, so each catch-up reads what was appended since the last one.
// Ground truth: a store that read the final file once, whole (what `agent-trace import` gives).

const text = (lines: string[]) => `${lines.join('\n')}\n`;

function storeFor(rollout: string): { store: SessionStore; catchUp: () => boolean; journal: () => string } {
  const store = new SessionStore(join(tempDir('agent-trace-codex-catchup-'), 'data'));
  // What the SessionStart hook recorded, before the rollout's first line.
  store.append([{ sessionId: ROLLOUT_SESSION, type: 'session.start', time: Date.parse('2026-11-29T12:59:59Z'), source: 'hook', agent: { name: 'codex' }, agentPid: 4242 }]);
  rememberAgentFile(store.folder(ROLLOUT_SESSION), 'codex', rollout);
  return { store, catchUp: () => catchUpFromAgentFile(store, ROLLOUT_SESSION, 'codex'), journal: () => readFileSync(store.journalPath(ROLLOUT_SESSION), 'utf8') };
}

function wholeRead(content: string): string {
  const file = join(tempDir('agent-trace-codex-whole-'), 'rollout.jsonl');
  writeFileSync(file, content);
  const s = storeFor(file);
  expect(s.catchUp()).toBe(true);
  return s.journal();
}

describe('Codex rollout catch-up by offset', () => {
  it('reads only the appended bytes (the earlier ones made unreadable), and the journal equals a whole read', () => {
    const turns = rolloutTurns(12);
    const file = join(tempDir('agent-trace-codex-rollout-'), 'rollout.jsonl');
    // Turn 1 and half of turn 2 (the last line cut short, as while Codex writes it).
    const half = turns[1]!.slice(0, 6);
    writeFileSync(file, text(turns[0]!) + text(half).slice(0, -40));
    const s = storeFor(file);
    expect(s.catchUp()).toBe(true);
    expect(lastRolloutBytesRead).toBe(readFileSync(file).length);
    let written = readFileSync(file, 'utf8');

    // The rest of turn 2 and turns 3–12, a few at a time; each catch-up reads from the last turn end on.
    appendFileSync(file, text(half).slice(-40) + text(turns[1]!.slice(6)));
    for (let i = 2; i < turns.length; i += 3) {
      const before = readFileSync(file).length;
      // Everything before the last turn end read so far is blanked: only a read from the offset still sees the session.
      const fd = openSync(file, 'r+');
      writeSync(fd, ' '.repeat(turns[0]!.join('\n').length), 0);
      closeSync(fd);
      const added = text(turns.slice(i, i + 3).flat());
      appendFileSync(file, added);
      expect(s.catchUp()).toBe(true);
      // From the previous checkpoint (the last turn end before `before`) to the end: never the whole file.
      expect(lastRolloutBytesRead).toBeGreaterThanOrEqual(Buffer.byteLength(added));
      expect(lastRolloutBytesRead).toBeLessThan(before - turns[0]!.join('\n').length + Buffer.byteLength(added));
    }
    expect(s.catchUp()).toBe(false); // unchanged: nothing read
    written = text(turns.flat());
    expect(s.journal()).toBe(wholeRead(written));
    const events = s.journal().trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(events.filter((e) => e.type === 'generation.end')).toHaveLength(24);
    expect(events.filter((e) => e.type === 'turn.end')).toHaveLength(12);
  });

  it('reads the whole file again when it was rewritten, truncated or replaced', () => {
    const turns = rolloutTurns(6);
    const dir = tempDir('agent-trace-codex-rewrite-');
    const file = join(dir, 'rollout.jsonl');
    writeFileSync(file, text(turns.slice(0, 3).flat()));
    const s = storeFor(file);
    expect(s.catchUp()).toBe(true);

    // Rewritten in place, same length, different bytes just before the checkpoint (the last turn's end).
    const edited = text(turns.slice(0, 3).flat()).replace('"last_agent_message":"Module 3 is tidy."', '"last_agent_message":"Module 3 IS TIDY."');
    expect(edited).not.toBe(text(turns.slice(0, 3).flat()));
    writeFileSync(file, edited + text(turns[3]!));
    expect(s.catchUp()).toBe(true);
    expect(lastRolloutBytesRead).toBe(readFileSync(file).length);
    expect(s.journal()).toBe(wholeRead(edited + text(turns[3]!)));

    // Truncated to fewer bytes than the checkpoint.
    writeFileSync(file, text(turns[0]!));
    expect(s.catchUp()).toBe(true);
    expect(s.journal()).toBe(wholeRead(text(turns[0]!)));

    // Replaced by another file (another inode) that happens to start the same way.
    const other = join(dir, 'other.jsonl');
    writeFileSync(other, text(turns.slice(0, 5).flat()));
    renameSync(other, file);
    expect(s.catchUp()).toBe(true);
    expect(lastRolloutBytesRead).toBe(readFileSync(file).length);
    expect(s.journal()).toBe(wholeRead(text(turns.slice(0, 5).flat())));
  });
});
