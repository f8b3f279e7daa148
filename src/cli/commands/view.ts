import { CliError } from '../errors.js';

export async function runView(..._args: unknown[]): Promise<void> {
  throw new CliError('`view` is not available in this build yet');
}
