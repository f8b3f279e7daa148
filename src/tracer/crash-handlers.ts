/**
 * One set of process handlers for every tracer that asked for crash handling. They never change how the
 * process dies: uncaught exceptions are observed through 'uncaughtExceptionMonitor' (Node's own handling
 * still runs), and a signal is re-raised after the crash is recorded when nobody else listens for it. A signal
 * is taken as the end of the process: the crash is recorded even when the host also handles the signal.
 */
export interface CrashAware {
  flushSync(reason: string): void;
  finishOnExit(code: number): void;
}

const tracers = new Set<CrashAware>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let installed = false;

function onUncaught(error: unknown, origin: string): void {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  for (const t of tracers) t.flushSync(`${origin}: ${message}`);
}

function onExit(code: number): void {
  for (const t of tracers) t.finishOnExit(code);
}

function onSignal(signal: NodeJS.Signals): void {
  for (const t of tracers) t.flushSync(`signal ${signal}`);
  // Step aside before the other listeners run: libraries such as signal-exit re-raise the signal only when
  // they are the last ones listening, and must not see us as a reason to keep the process alive.
  uninstall();
  if (process.listenerCount(signal) === 0) {
    // Nobody else handles it: re-raise once Node has dropped its handler, so the process dies as it would have.
    setImmediate(() => process.kill(process.pid, signal));
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('uncaughtExceptionMonitor', onUncaught);
  process.on('exit', onExit);
  for (const s of SIGNALS) process.prependListener(s, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('uncaughtExceptionMonitor', onUncaught);
  process.off('exit', onExit);
  for (const s of SIGNALS) process.off(s, onSignal);
}

export function registerCrashHandling(tracer: CrashAware): void {
  tracers.add(tracer);
  install();
}

export function unregisterCrashHandling(tracer: CrashAware): void {
  tracers.delete(tracer);
  if (tracers.size === 0) uninstall();
}
