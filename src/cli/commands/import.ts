import { CliError } from '../errors.js';

export async function runImport(..._args: unknown[]): Promise<void> {
  throw new CliError('`import` is not available in this build yet');
}
