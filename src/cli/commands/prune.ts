import { applyRetention } from '../../store/retention.js';
import { cliContext } from '../context.js';
import { CliError } from '../errors.js';
import type { GlobalOptions } from '../options.js';

function positive(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new CliError(`${flag} takes a number ≥ 0, got "${value}"`, 2);
  return n;
}

function fromConfig(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new CliError(`"${field}" in the config file must be a number ≥ 0, got ${JSON.stringify(value)}`);
  }
  return value;
}

export async function runPrune(options: GlobalOptions & { maxAgeDays?: string; maxSessions?: string; dryRun?: boolean; json?: boolean }): Promise<void> {
  const { store, config } = cliContext(options);
  const maxAgeDays = positive(options.maxAgeDays, '--max-age-days') ?? fromConfig(config.retention?.maxAgeDays, 'retention.maxAgeDays');
  const maxSessions = positive(options.maxSessions, '--max-sessions') ?? fromConfig(config.retention?.maxSessions, 'retention.maxSessions');
  if (maxAgeDays === undefined && maxSessions === undefined) {
    throw new CliError('nothing to prune by: pass --max-age-days or --max-sessions, or set "retention" in the config file');
  }
  const result = applyRetention(store, {
    maxAgeDays,
    maxSessions,
    dryRun: options.dryRun,
    onProblem: (problem) => process.stderr.write(`agent-trace: ${problem}\n`),
  });
  if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    for (const id of result.removed) process.stdout.write(`${options.dryRun ? 'would remove' : 'removed'} ${id}\n`);
    process.stdout.write(`${options.dryRun ? 'would remove' : 'removed'} ${result.removed.length} session(s), kept ${result.kept}\n`);
  }
}
