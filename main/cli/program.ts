// The `cvat-sync` command line: the root command, its help, and the command groups
// (program-sync.ts, program-app.ts, program-tasks.ts); usage errors exit 2.
import { Command, CommanderError } from 'commander';
import { addGlobalOptions } from './context.js';
import { EXIT, EXIT_CODES_HELP } from './exit-codes.js';
import { packageVersion } from './paths.js';
import { CONNECTION_HELP, examples } from './program-kit.js';
import { addAppCommands } from './program-app.js';
import { addSyncCommands } from './program-sync.js';
import { addTaskCommands } from './program-tasks.js';

export function buildProgram(): Command {
  const program = addGlobalOptions(new Command('cvat-sync'))
    .description('Turn local folders into CVAT tasks, resumably, and bring the results back.')
    .version(packageVersion(), '-V, --version')
    .showSuggestionAfterError(true)
    .addHelpText('after', `\n${CONNECTION_HELP}\n\n${EXIT_CODES_HELP}\n`)
    .addHelpText(
      'after',
      examples([
        'export CVAT_SERVER=http://localhost:8080 CVAT_ACCESS_TOKEN=…',
        'cvat-sync login',
        'cvat-sync sync ~/captures --once --labels labels.json',
        'cvat-sync tasks ls',
        'cvat-sync export 12 --format "COCO 1.0" -o coco.zip',
        'cvat-sync daemon --open',
      ]),
    );

  addSyncCommands(program);
  addAppCommands(program);
  addTaskCommands(program);

  // Usage errors exit 2 with one line and a hint, like every other error.
  const configure = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.configureOutput({
      outputError: (str, write) => write(str.replace(/^error: /, 'error: ')),
    });
    for (const c of cmd.commands) configure(c);
  };
  configure(program);
  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === 'commander.helpDisplayed' ||
        e.code === 'commander.version' ||
        e.code === 'commander.help'
      )
        return EXIT.ok;
      process.stderr.write('hint: see `cvat-sync --help` (or `cvat-sync <command> --help`).\n');
      return EXIT.usage;
    }
    throw e;
  }
  return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
}
