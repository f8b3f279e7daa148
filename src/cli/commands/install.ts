import { CliError } from '../errors.js';

export async function runInstall(..._args: unknown[]): Promise<void> {
  throw new CliError('`install` is not available in this build yet');
}
