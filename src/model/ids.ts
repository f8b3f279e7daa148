/**
 * Ids are derived, never random: the same session and key always give the same id, so a rebuild from the
 * journal, a re-import, or hook data merged with transcript data land on the same spans.
 *
 * `node:crypto` is loaded on first use rather than imported: the hook's hot path (which derives no id)
 * starts on every tool call and should not pay for it.
 */
let crypto: typeof import('node:crypto') | undefined;
function digest(text: string): string {
  crypto ??= process.getBuiltinModule('node:crypto');
  return crypto.createHash('sha256').update(text).digest('hex');
}

/** An all-zero id is invalid in OpenTelemetry; nudge it (vanishingly unlikely, but cheap to rule out). */
function nonZero(hex: string): string {
  return /^0+$/.test(hex) ? hex.slice(0, -1) + '1' : hex;
}

export function traceIdFor(sessionId: string): string {
  return nonZero(digest(`trace\u0000${sessionId}`).slice(0, 32));
}

export function spanIdFor(sessionId: string, kind: string, key: string): string {
  return nonZero(digest(`span\u0000${sessionId}\u0000${kind}\u0000${key}`).slice(0, 16));
}

export function shortHash(text: string, length = 8): string {
  return digest(text).slice(0, length);
}

/**
 * The one turn-key rule: a turn without an explicit key is named by its prompt text and how many times that
 * text was typed before (the nth occurrence), so a hook's UserPromptSubmit and the transcript's user line of
 * the same prompt meet on one span.
 */
export function turnKeyFor(prompt: string, occurrence: number): string {
  return `p:${shortHash(prompt, 12)}:${occurrence}`;
}
