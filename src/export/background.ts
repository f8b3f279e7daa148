/**
 * Starts an export of one session in a detached background process, so the caller (the hook) returns at
 * once. Placeholder: the OTLP work replaces the body; the signature is what the hook calls.
 */
export function spawnBackgroundExport(_options: { dir: string; sessionId: string }): void {
  // no-op until OTLP export lands
}
