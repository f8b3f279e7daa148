import { Command, Option } from 'commander';
import { exitCodeFor, type ExitCode } from './errors.js';
import type { GlobalOptions } from './options.js';
import { version } from '../version.js';


/** Commands load their code only when they run, so `agent-trace list` does not pay for the viewer. */
function buildProgram(): Command {
  const program = new Command('agent-trace')
    .description('Trace AI coding-agent sessions as OpenTelemetry spans: local traces, a live viewer, OTLP export.')
    .version(version)
    .option('--dir <dir>', 'data directory (env AGENT_TRACE_DIR; default ${XDG_DATA_HOME:-~/.local/share}/agent-trace)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const globals = (cmd: Command): GlobalOptions => cmd.optsWithGlobals() as GlobalOptions;

  program
    .command('hook')
    .description('record one agent hook payload read from stdin (always exits 0, prints nothing)')
    .addOption(new Option('--agent <agent>', 'the agent sending the payload').choices(['claude-code', 'codex', 'gemini']).default('claude-code'))
    .action(async (_opts, cmd: Command) => {
      const { runHookCommand } = await import('./commands/hook.js');
      await runHookCommand(process.argv.slice(3).filter((a) => a !== '--help'), globals(cmd));
    });

  program
    .command('reconcile', { hidden: true })
    .description('bring the store up to date: drain the hooks\' spool, catch up transcripts, rewrite stale traces')
    .option('--worker', 'run as the detached worker the hook recorder starts (exits when idle)')
    .option('--json', 'print the result as JSON')
    .action(async (opts, cmd: Command) => {
      const { runReconcile } = await import('./commands/reconcile.js');
      await runReconcile({ ...globals(cmd), ...opts });
    });

  program
    .command('install')
    .description('register agent-trace hooks in the agent settings (idempotent, keeps your hooks)')
    .addOption(new Option('--agent <agent>', 'agent to install for (default: every agent found on this machine)').choices(['claude-code', 'codex', 'gemini', 'opencode', 'all']))
    .addOption(new Option('--scope <scope>', 'settings file to change').choices(['user', 'project', 'local']).default('user'))
    .option('--dry-run', 'print the change without writing it')
    .option('--tool-events', 'Claude Code, Codex: also hook every tool call (the transcript or rollout has them; each hook costs the agent a process start, ~5 ms)')
    .action(async (opts, cmd: Command) => {
      const { runInstall } = await import('./commands/install.js');
      await runInstall({ ...globals(cmd), ...opts, uninstall: false });
    });

  program
    .command('uninstall')
    .description('remove exactly the hooks that install added')
    .addOption(new Option('--agent <agent>', 'agent to uninstall from (default: every agent found on this machine)').choices(['claude-code', 'codex', 'gemini', 'opencode', 'all']))
    .addOption(new Option('--scope <scope>', 'settings file to change').choices(['user', 'project', 'local']).default('user'))
    .option('--dry-run', 'print the change without writing it')
    .action(async (opts, cmd: Command) => {
      const { runInstall } = await import('./commands/install.js');
      await runInstall({ ...globals(cmd), ...opts, uninstall: true });
    });

  program
    .command('doctor')
    .description('per agent: installed where, whether each hook fired and when last, what blocks it, recent errors')
    .option('--json', 'print the report as JSON')
    .action(async (opts, cmd: Command) => {
      const { runDoctor } = await import('./commands/doctor.js');
      await runDoctor({ ...globals(cmd), ...opts });
    });

  program
    .command('import')
    .description('turn saved transcripts, rollouts or exports (files or folders) into traces')
    .argument('<path...>', 'files or folders to import')
    .addOption(new Option('--agent <agent>', 'format of the input').choices(['auto', 'claude-code', 'codex', 'gemini', 'opencode']).default('auto'))
    .option('--json', 'print [{sessionId, traceFile, spans}]')
    .action(async (paths: string[], opts, cmd: Command) => {
      const { runImport } = await import('./commands/import.js');
      await runImport(paths, { ...globals(cmd), ...opts });
    });

  program
    .command('list')
    .description('sessions, newest first')
    .option('--json', 'print an array of {sessionId, title, agent, status, startTime, endTime, summary}')
    .action(async (opts, cmd: Command) => {
      const { runList } = await import('./commands/list.js');
      await runList({ ...globals(cmd), ...opts });
    });

  program
    .command('show')
    .description('a summary of one session (SESSION may be a unique prefix of its id)')
    .argument('<session>', 'session id or unique prefix')
    .option('--json', 'print the trace document')
    .action(async (session: string, opts, cmd: Command) => {
      const { runShow } = await import('./commands/show.js');
      await runShow(session, { ...globals(cmd), ...opts });
    });

  program
    .command('view')
    .description('start the local trace viewer')
    .argument('[session]', 'open this session directly')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '7600')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--no-open', 'do not open a browser')
    .option('--allow-remote', 'allow binding an address other than loopback (prints a warning)')
    .option('--demo-if-empty', 'add a demo session when the data directory has none')
    .action(async (session: string | undefined, opts, cmd: Command) => {
      const { runView } = await import('./commands/view.js');
      await runView(session, { ...globals(cmd), ...opts });
    });

  program
    .command('share')
    .description('write one self-contained HTML file of a session (opens offline, redacted by the configured rules)')
    .argument('<session>', 'session id or unique prefix')
    .option('-o, --output <file>', 'the HTML file to write (default: SESSION-ID.html)')
    .action(async (session: string, opts, cmd: Command) => {
      const { runShare } = await import('./commands/share.js');
      await runShare(session, { ...globals(cmd), ...opts });
    });

  program
    .command('export')
    .description('send spans to an OTLP collector; each finished span is sent once')
    .argument('[session...]', 'session ids or unique prefixes')
    .option('--all', 'export every session')
    .option('--endpoint <url>', 'OTLP endpoint (env OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT)')
    .addOption(new Option('--protocol <protocol>', 'OTLP protocol').choices(['http/protobuf', 'http/json']))
    .option('--header <k=v>', 'extra header (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--timeout <ms>', 'request timeout in milliseconds')
    .addOption(new Option('--compression <c>', 'request compression').choices(['gzip', 'none']))
    .addOption(new Option('--trace-mode <mode>', 'one trace per session or per turn').choices(['session', 'turn']))
    .option('--dry-run', 'print what would be sent without sending')
    .option('--json', 'print the result as JSON')
    .action(async (sessions: string[], opts, cmd: Command) => {
      const { runExport } = await import('./commands/export.js');
      await runExport(sessions, { ...globals(cmd), ...opts });
    });

  program
    .command('stats')
    .description('usage across sessions: tokens, cost, sessions, turns, model and tool calls, failures')
    .addOption(new Option('--by <grouping>', 'group by').choices(['day', 'week', 'month', 'session', 'project', 'agent', 'model', 'branch', 'tool']).default('day'))
    .option('--since <date>', 'sessions started on or after this local date (YYYY-MM-DD, YYYYMMDD, Nd for N days ago)')
    .option('--until <date>', 'sessions started on or before this local date (inclusive)')
    .option('--json', 'print {by, since, until, timeZone, rows, totals}')
    .option('--csv', 'print CSV, one line per group and a total line')
    .action(async (opts, cmd: Command) => {
      const { runStats } = await import('./commands/stats.js');
      await runStats({ ...globals(cmd), ...opts });
    });

  program
    .command('search')
    .description('full-text search through every session: prompts, answers, tool inputs and outputs, paths, errors')
    .argument('<words...>', 'words to find (each as a word start; "quoted words" together)')
    .option('--project <folder>', 'only sessions run in this folder')
    .option('--branch <branch>', 'only sessions on this git branch')
    .option('--agent <agent>', 'only sessions of this agent')
    .option('--model <model>', 'only sessions that used this model')
    .addOption(new Option('--status <status>', 'only sessions with this status').choices(['running', 'completed', 'crashed', 'interrupted', 'error']))
    .option('--errors', 'only sessions with a failed tool call or an error')
    .option('--tool <tool>', 'only sessions that called this tool')
    .option('--since <date>', 'sessions started on or after this local date')
    .option('--until <date>', 'sessions started on or before this local date (inclusive)')
    .option('--limit <n>', 'hits to print', '20')
    .option('--json', 'print {q, sessions, hits, totalHits, totals}')
    .action(async (words: string[], opts, cmd: Command) => {
      const { runSearch } = await import('./commands/search.js');
      await runSearch(words, { ...globals(cmd), ...opts });
    });

  program
    .command('prune')
    .description('apply retention: remove the oldest finished sessions by age and count (never a live one)')
    .option('--max-age-days <days>', 'remove sessions inactive for longer than this')
    .option('--max-sessions <n>', 'keep at most this many sessions')
    .option('--dry-run', 'print what would be removed')
    .option('--json', 'print the removed session ids as JSON')
    .action(async (opts, cmd: Command) => {
      const { runPrune } = await import('./commands/prune.js');
      await runPrune({ ...globals(cmd), ...opts });
    });

  return program;
}

/** Runs the CLI and returns the exit code: 0 success, 1 failure (one line on stderr), 2 usage error. */
export async function runCli(argv: string[]): Promise<ExitCode> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    return exitCodeFor(error);
  }
}
