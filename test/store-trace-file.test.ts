import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTraceHead, spanEntries, spanTextAt, spanTexts, TraceFileError } from '../src/store/trace-file.js';
import { forEachJsonLine } from '../src/store/jsonl.js';
import { tempDir } from './helpers/env.js';

describe('streamed trace.json reads', () => {
  it('yield each span exactly, whatever its strings hold and wherever the chunks cut', () => {
    const spans: Array<{ spanId: string; input: string; output: unknown }> = [];
    for (let i = 0; i < 3000; i++) {
      spans.push({
        spanId: String(i).padStart(16, '0'),
        input: `${'a\\"b\\\\'.repeat(i % 7)}"{}[],{"spanId":${'\\'.repeat(i % 5)}${'é日本'.repeat(i % 300)}`,
        output: { x: [1, { y: '}]' }] },
      });
    }
    const header = { schemaVersion: 1, traceId: 'a'.repeat(32), sessionId: 'x', agent: { name: 't' }, status: 'completed', startTime: 1, title: ',"spans":[ tricky', models: [], summary: { tokens: {} } };
    const path = join(tempDir(), 'trace.json');
    writeFileSync(path, JSON.stringify({ ...header, spans }));
    const got = [...spanTexts(path)];
    expect(got.length).toBe(spans.length);
    got.forEach((text, i) => expect(text).toBe(JSON.stringify(spans[i])));
    // Each span can be read back alone from where it starts (the export's look-up of tool results).
    const entries = [...spanEntries(path)];
    for (const i of [0, 1, 299, 1500, 2999]) expect(spanTextAt(path, entries[i]!.offset)).toBe(got[i]);
    expect(() => spanTextAt(path, entries[5]!.offset + 1)).toThrow(TraceFileError);
    const head = readTraceHead(path);
    expect(head.header.title).toBe(header.title);
    expect(head.root?.spanId).toBe(spans[0]!.spanId);
  });

  it('name the file when it is not a trace document', () => {
    const dir = tempDir();
    const cases: Array<[string, string]> = [['empty.json', '{}'], ['array.json', '[]'], ['torn.json', '{"schemaVersion":1,"spans":[{"spanId"']];
    for (const [name, text] of cases) {
      writeFileSync(join(dir, name), text);
      expect(() => readTraceHead(join(dir, name))).toThrow(TraceFileError);
      expect(() => readTraceHead(join(dir, name))).toThrow(name);
    }
    expect(() => [...spanTexts(join(dir, 'torn.json'))]).toThrow(/not complete/);
  });
});

describe('forEachJsonLine (the journal and transcripts read by offset)', () => {
  it('reads complete lines only, from an offset up to a bound, counting lines that are not JSON', () => {
    const path = join(tempDir(), 'lines.jsonl');
    const text = '{"a":1}\n\nnot json\n{"b":"é\\n"}\n{"torn":';
    writeFileSync(path, text);
    const fd = openSync(path, 'r');
    try {
      const size = Buffer.byteLength(text);
      const seen: unknown[] = [];
      const all = forEachJsonLine(fd, 0, size, (v) => seen.push(v));
      expect(seen).toEqual([{ a: 1 }, { b: 'é\n' }]);
      expect(all.skipped).toBe(1);
      expect(all.end).toBe(size - '{"torn":'.length); // the torn tail waits for its newline
      // from the end of the first line, up to the middle of the fourth: only what is complete within the bound
      const part: unknown[] = [];
      const mid = forEachJsonLine(fd, '{"a":1}\n'.length, size - 12, (v) => part.push(v));
      expect(part).toEqual([]);
      expect(mid.end).toBe('{"a":1}\n\nnot json\n'.length);
    } finally {
      closeSync(fd);
    }
  });
});
