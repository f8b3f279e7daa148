/** The JSON values of a transcript: one per JSONL line, or the elements of a JSON array. */
export function* transcriptLines(text: string): Generator<unknown> {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    try {
      const arr = JSON.parse(trimmed) as unknown;
      if (Array.isArray(arr)) {
        yield* arr;
        return;
      }
    } catch {
      // not one JSON array: read it as lines
    }
  }
  let start = 0;
  while (start < text.length) {
    let nl = text.indexOf('\n', start);
    if (nl < 0) nl = text.length;
    if (nl > start) {
      const raw = text.slice(start, nl);
      if (raw.trim()) {
        try {
          yield JSON.parse(raw);
        } catch {
          // a torn or foreign line
        }
      }
    }
    start = nl + 1;
  }
}
