/** Options every command accepts (`--dir`), apart from program.ts so that commands need not import the program. */
export interface GlobalOptions {
  dir?: string;
}
