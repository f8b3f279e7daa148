/**
 * The `agent-trace` entry point. The hook runs on every agent event, so its path is kept apart: it loads
 * neither commander nor any other command's code.
 */
const argv = process.argv.slice(2);

if (argv[0] === 'hook' && !argv.includes('--help') && !argv.includes('-h')) {
  const { runHookCommand } = await import('./commands/hook.js');
  await runHookCommand(argv.slice(1));
} else {
  // `agent-trace list | head`: a reader that stops reading is not an error; leave quietly, as other tools do.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  const { runCli } = await import('./program.js');
  process.exitCode = await runCli(argv);
}
