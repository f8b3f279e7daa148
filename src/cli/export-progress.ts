import { paint, useColor } from './format.js';

/**
 * The export progress bar: one self-rewriting line on stderr, only on a TTY (never in pipes, CI logs or
 * `--json` runs), redrawn at most ten times a second and erased when the export ends.
 */
export interface ExportProgress {
  /** Position within the sessions: `session` (0-based) of `sessions`, `done` of `total` spans of that one. */
  update(state: { session: number; sessions: number; sessionSpans: number; sessionDone: number; spans: number; bytes: number }): void;
  note(text: string): void;
  done(): void;
}

const WIDTH = 24;

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GB`;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr, enabled = Boolean(stream.isTTY)): ExportProgress {
  if (!enabled) return { update() {}, note() {}, done() {} };
  const color = useColor(stream);
  const started = performance.now();
  let last = 0;
  let drawn = false;
  let noteText = '';
  let state = { session: 0, sessions: 1, sessionSpans: 0, sessionDone: 0, spans: 0, bytes: 0 };
  const draw = (force = false): void => {
    const now = performance.now();
    if (!force && now - last < 100) return;
    last = now;
    const within = state.sessionSpans > 0 ? state.sessionDone / state.sessionSpans : 0;
    const fraction = Math.min(1, (state.session + within) / Math.max(1, state.sessions));
    const filled = Math.round(fraction * WIDTH);
    const bar = paint('█'.repeat(filled), 'cyan', color) + paint('░'.repeat(WIDTH - filled), 'gray', color);
    const seconds = ((now - started) / 1000).toFixed(1);
    const sessions = state.sessions > 1 ? ` · session ${Math.min(state.session + 1, state.sessions)}/${state.sessions}` : '';
    const line = `exporting ${bar} ${String(Math.round(fraction * 100)).padStart(3)}% · ${state.spans.toLocaleString('en-US')} spans · ${formatBytes(state.bytes)}${sessions} · ${seconds}s${noteText ? ` · ${noteText}` : ''}`;
    stream.write(`\r\u001b[2K${line}`);
    drawn = true;
  };
  return {
    update(next) {
      state = next;
      draw();
    },
    note(text) {
      noteText = text;
      draw(true);
    },
    done() {
      if (drawn) stream.write('\r\u001b[2K');
    },
  };
}
