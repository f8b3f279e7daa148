import { claudeCodeImporter } from './claude-code/import.js';
import { codexImporter } from './codex/import.js';
import { geminiImporter } from './gemini/import.js';
import { opencodeImporter } from './opencode/import.js';
import type { ImportAdapter } from './types.js';

/** Every importer, in the order `--agent auto` tries them. */
export const IMPORTERS: readonly ImportAdapter[] = [claudeCodeImporter, codexImporter, geminiImporter, opencodeImporter];

export function importerFor(agent: string): ImportAdapter | undefined {
  return IMPORTERS.find((i) => i.agent === agent);
}
