import type { TraceDocument } from '../../src/model/trace.js';
import type { ViewerInfo } from './host.js';

/** A shared session file (`agent-trace share`): the data travels inside the page, nothing is fetched. */
export interface EmbeddedSession {
  info: ViewerInfo;
  doc: TraceDocument;
}

export const EMBEDDED_DATA_ID = 'agent-trace-data';

let cached: EmbeddedSession | null | undefined;

/** The session embedded in this page, if the page is a shared file (read once). */
export function embeddedSession(): EmbeddedSession | undefined {
  if (cached === undefined) {
    const el = document.getElementById(EMBEDDED_DATA_ID);
    cached = null;
    if (el?.textContent) {
      try {
        cached = JSON.parse(el.textContent) as EmbeddedSession;
      } catch {
        cached = null;
      }
    }
  }
  return cached ?? undefined;
}
