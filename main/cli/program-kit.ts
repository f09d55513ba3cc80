// What every command group of the CLI shares: the action wrapper (context, errors -> exit code),
// the help texts repeated on many commands, and small option helpers.
import type { Command } from 'commander';
import { CliContext, addGlobalOptions } from './context.js';
import { EXIT } from './exit-codes.js';
import type { ExitCode } from './exit-codes.js';

export const CONNECTION_HELP = `Connection (on every command, before or after its name):
  The server comes from --server or CVAT_SERVER; credentials from CVAT_ACCESS_TOKEN (a personal
  access token), --token-file FILE, --auth USER[:PASS], or the profile saved by \`cvat-sync login\`.
  Headless, the profile is a file readable only by you in the data folder (the OS keychain is
  only reachable from the desktop app). The data folder is shared with the desktop app:
  Linux ~/.config/CVAT Sync, macOS ~/Library/Application Support/CVAT Sync,
  Windows %APPDATA%\\CVAT Sync (override: --data-dir or CVAT_SYNC_HOME).`;

export const ENGINE_HELP = `
While \`cvat-sync daemon\` runs on the data folder, this command acts on that running engine
(through its loopback RPC, found in daemon.json in the data folder) with the daemon's own
connection. Otherwise it works on the data folder directly, and the next engine run follows.`;

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Runs a command body with its context: errors become one line + hint and an exit code. */
export function action<A extends unknown[]>(
  body: (ctx: CliContext, ...args: A) => Promise<ExitCode>,
) {
  return async (...args: unknown[]): Promise<void> => {
    const cmd = args[args.length - 1] as Command;
    const ctx = new CliContext(cmd);
    let code: ExitCode = EXIT.ok;
    try {
      code = await body(ctx, ...(args.slice(0, -1) as A));
    } catch (e) {
      code = ctx.fail(e);
    } finally {
      await ctx.close().catch((e: unknown) => {
        code = code || ctx.fail(e);
      });
    }
    process.exitCode = code;
  };
}

export function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

/** A command directly under `parent`, with the connection options every command takes. */
export function subcommand(parent: Command, name: string, description: string): Command {
  return addGlobalOptions(parent.command(name)).description(description);
}
