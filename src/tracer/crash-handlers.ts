/**
 * One set of process handlers for every tracer that asked for crash handling. They never change how the
 * process dies: uncaught exceptions are observed through 'uncaughtExceptionMonitor' (Node's own handling
 * still runs), and a signal is re-raised after the crash is recorded when nobody else listens for it.
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
  const othersListen = process.listenerCount(signal) > 1;
  if (!othersListen) {
    uninstall();
    process.kill(process.pid, signal);
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('uncaughtExceptionMonitor', onUncaught);
  process.on('exit', onExit);
  for (const s of SIGNALS) process.on(s, onSignal);
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
