import { describe, expect, it } from 'vitest';
import { TraceBuilder } from '../src/model/trace-builder.js';
import { LiveSessions } from '../viewer/server/live-sessions.js';
import { SpanTable } from '../viewer/server/span-table.js';
import { append, tempStore } from './viewer-helpers.js';

const span = (id: string, name: string) => JSON.stringify({ spanId: id, name });

describe('SpanTable: versions and epochs', () => {
  it('gives a span a new version only when its JSON changes, and a delta holds only those spans', () => {
    const table = new SpanTable();
    expect(table.apply({ reset: false, headerJson: '{"h":1}', spans: [{ id: 'a', json: span('a', 'root') }, { id: 'b', json: span('b', 'x') }] })).toBe(true);
    const v1 = table.version;
    // b unchanged (no JSON), a brought again with the same text, c new
    expect(table.apply({ reset: false, headerJson: '{"h":1}', spans: [{ id: 'a', json: span('a', 'root') }, { id: 'b', json: undefined }, { id: 'c', json: span('c', 'y') }] })).toBe(true);
    const delta = JSON.parse(table.delta(v1)) as { version: number; total: number; spans: Array<{ spanId: string }> };
    expect(delta.spans.map((s) => s.spanId)).toEqual(['c']);
    expect(delta.total).toBe(3);
    // nothing new: no new version
    const v2 = table.version;
    expect(table.apply({ reset: false, headerJson: '{"h":1}', spans: [{ id: 'a', json: span('a', 'root') }, { id: 'b', json: undefined }, { id: 'c', json: undefined }] })).toBe(false);
    expect(table.version).toBe(v2);
    // a span gone is a change; a span id seen twice counts once
    expect(table.apply({ reset: false, headerJson: '{"h":1}', spans: [{ id: 'a', json: undefined }, { id: 'a', json: span('a', 'dup') }] })).toBe(true);
    expect(table.spanCount).toBe(1);
    expect(table.spanJson('a')).toBe(span('a', 'root'));
    expect(JSON.parse([...table.documentParts()].join(''))).toEqual({ h: 1, spans: [{ spanId: 'a', name: 'root' }] });
  });

  it('starts a new epoch on reset, and refuses an unchanged mark for a span it never had', () => {
    const table = new SpanTable();
    table.apply({ reset: false, headerJson: '{}', spans: [{ id: 'a', json: span('a', 'r') }] });
    const epoch = table.epoch;
    table.apply({ reset: true, headerJson: '{"n":2}', spans: [{ id: 'z', json: span('z', 'r2') }] });
    expect(table.epoch).not.toBe(epoch);
    expect(table.version).toBe(1);
    expect(table.spanJson('a')).toBeUndefined();
    expect(() => table.apply({ reset: false, headerJson: '{}', spans: [{ id: 'q', json: undefined }] })).toThrow(/never had/);
  });
});

describe('TraceBuilder.changesSince', () => {
  it('gives the JSON of the spans changed after a revision (the root always), in document order', () => {
    const b = new TraceBuilder('s');
    const t = 1_700_000_000_000;
    b.apply({ type: 'session.start', sessionId: 's', time: t, agent: { name: 'claude-code' } });
    b.apply({ type: 'turn.start', sessionId: 's', time: t + 1, key: 'k', prompt: 'p' });
    b.apply({ type: 'tool.start', sessionId: 's', time: t + 2, key: 't1', name: 'Bash' });
    const all = b.changesSince(0);
    expect(all.revision).toBe(3);
    expect(all.spans.every((s) => s.json !== undefined)).toBe(true);
    expect(JSON.parse(`${all.headerJson.slice(0, -1)},"spans":[${all.spans.map((s) => s.json).join(',')}]}`)).toEqual(b.toDocument());
    b.apply({ type: 'tool.start', sessionId: 's', time: t + 3, key: 't2', name: 'Read' });
    const next = b.changesSince(all.revision);
    const changed = next.spans.filter((s) => s.json !== undefined).map((s) => JSON.parse(s.json!) as { name: string });
    // the root (always) and the new tool; the turn and the first tool did not change
    expect(changed.map((s) => s.name)).toEqual(['invoke_agent claude-code', 'execute_tool Read']);
    expect(next.spans.map((s) => s.id)).toEqual(b.toDocument().spans.map((s) => s.spanId));
  });
});

describe('LiveSessions', () => {
  it('keeps the most recently used sessions, and watched ones whatever their use', () => {
    const { store, cleanup } = tempStore();
    try {
      for (const id of ['a', 'b', 'c']) append(store, id, [{ type: 'session.start' }]);
      const sessions = new LiveSessions(store, 1);
      const a = sessions.get('a');
      sessions.setWatched(new Set(['a']));
      sessions.get('b');
      sessions.get('c'); // pushes b out; a is watched
      expect(sessions.get('a')).toBe(a);
      expect(sessions.has('b')).toBe(false);
      sessions.setWatched(new Set());
      sessions.get('b'); // a is back in the LRU, and now the least recently used
      expect(sessions.has('a')).toBe(false);
    } finally {
      cleanup();
    }
  });
});
