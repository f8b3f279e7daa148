import { CommanderError } from 'commander';
import { OtlpSettingsError } from '../../exporters/otlp/settings.js';

/** The process's exit status: 0 success, 1 failure, 2 usage error (SPEC §2). */
export type ExitCode = 0 | 1 | 2;

/** A failure the user can act on: printed as one line on stderr, exit code 1 (2 for usage errors). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A command line agent-trace cannot run: exit code 2. */
export function usageError(message: string): CliError {
  return new CliError(message, 2);
}

/**
 * The one place where an error becomes an exit code and a line on stderr. Commands throw; they never set
 * exit codes or print errors themselves. Errors of the layers below (a session not found, a bad config file,
 * a collector that refused) already carry a one-line message naming what to do: it is printed as it is.
 */
export function exitCodeFor(error: unknown, stderr: { write(text: string): unknown } = process.stderr): ExitCode {
  if (error instanceof CommanderError) {
    // commander has printed the usage problem (or the help, or the version) itself.
    return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0 ? 0 : 2;
  }
  const code: 1 | 2 = error instanceof CliError ? error.exitCode : error instanceof OtlpSettingsError && error.source === 'flag' ? 2 : 1;
  stderr.write(`agent-trace: ${oneLine(error)}\n`);
  return code;
}

function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s*\n\s*/g, '; ').trim() || 'unknown error';
}
