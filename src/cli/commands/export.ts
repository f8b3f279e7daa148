import { CliError } from '../errors.js';

export async function runExport(..._args: unknown[]): Promise<void> {
  throw new CliError('`export` is not available in this build yet');
}
