// Commands about the app itself: settings, activity, organizations, debug archive, daemon, open.
import type { Command } from 'commander';
import { addGlobalOptions } from './context.js';
import { daemon, openGui } from './commands/sync.js';
import { orgsLs, orgsUse } from './commands/orgs.js';
import { activity, debugArchive, settingsGet, settingsSet } from './commands/settings.js';
import type { ActivityFlags } from './commands/settings.js';
import { SETTINGS_HELP } from './setting-values.js';
import { ENGINE_HELP, action, collect, examples, subcommand } from './program-kit.js';

export function addAppCommands(program: Command): void {
  const sub = (name: string, description: string): Command =>
    subcommand(program, name, description);

  const settings = program
    .command('settings')
    .description('show or change the settings shared with the desktop app (default: get)');
  addGlobalOptions(settings.command('get', { isDefault: true }))
    .description('show every setting, or the value of one')
    .argument('[key]', 'one setting, e.g. bandwidth')
    .addHelpText(
      'after',
      `\n${SETTINGS_HELP}\n` +
        examples([
          'cvat-sync settings',
          'cvat-sync settings get bandwidth',
          'cvat-sync settings --json',
        ]),
    )
    .action(action((ctx, key: string | undefined) => settingsGet(ctx, key)));
  addGlobalOptions(settings.command('set'))
    .description('change one setting')
    .argument('<key>')
    .argument('<value>')
    .addHelpText(
      'after',
      `\n${SETTINGS_HELP}\n${ENGINE_HELP}\n` +
        examples([
          'cvat-sync settings set bandwidth 5M',
          'cvat-sync settings set bandwidth off',
          'cvat-sync settings set concurrency 4',
          'cvat-sync settings set chunk-size 50',
          'cvat-sync settings set downloads-dir ~/cvat-results',
        ]),
    )
    .action(action((ctx, key: string, value: string) => settingsSet(ctx, key, value)));

  sub('activity', 'the activity log: what happened, newest first, with hints for errors')
    .option('--level <level>', 'only info, warn or error (repeatable, or comma-separated)', collect)
    .option('--kind <kind>', 'only this kind, e.g. upload, queue, auth')
    .option('--search <text>', 'messages containing this text')
    .option('--folder <id>', 'only this saved folder')
    .option('--limit <n>', 'at most this many entries, 1-1000 (default 50)')
    .option('--before <id>', 'entries older than this entry id (the next page)')
    .addHelpText(
      'after',
      examples([
        'cvat-sync activity',
        'cvat-sync activity --level warn,error --limit 20',
        'cvat-sync activity --search "task 12" --json',
      ]),
    )
    .action(action((ctx, o: ActivityFlags) => activity(ctx, o)));

  const orgs = program.command('orgs').description('organizations of the signed-in user');
  addGlobalOptions(orgs.command('ls'))
    .description('list your organizations; * marks the one in use')
    .addHelpText('after', examples(['cvat-sync orgs ls', 'cvat-sync orgs ls --json']))
    .action(action((ctx) => orgsLs(ctx)));
  addGlobalOptions(orgs.command('use'))
    .description('switch the organization (or the personal workspace) later commands use')
    .argument('[slug]', 'organization slug from `cvat-sync orgs ls`')
    .option('--personal', 'use the personal workspace')
    .addHelpText(
      'after',
      `\nWithout a daemon the choice is saved in the profile (\`cvat-sync login\`); --org on one command
overrides it for that command.${ENGINE_HELP}\n` +
        examples(['cvat-sync orgs use acme', 'cvat-sync orgs use --personal']),
    )
    .action(
      action((ctx, slug: string | undefined, o: { personal?: boolean }) => orgsUse(ctx, slug, o)),
    );

  sub('debug-archive', 'zip logs, settings and the journal for a bug report (credentials removed)')
    .option('-o, --output <file>', 'where to write it (default: the downloads folder)')
    .addHelpText(
      'after',
      examples(['cvat-sync debug-archive', 'cvat-sync debug-archive -o /tmp/cvat-sync-debug.zip']),
    )
    .action(action((ctx, o: { output?: string }) => debugArchive(ctx, o)));

  sub('daemon', 'run every saved folder and serve the web UI on 127.0.0.1')
    .option('--gui-port <port>', 'port of the web UI (default: a free one)')
    .option('--open', 'open the web UI in the browser')
    .option('--no-print-url', 'print no sign-in link (for services whose output is kept)')
    .addHelpText(
      'after',
      `\nThe web UI listens on 127.0.0.1 only. The printed link and the one opened in the browser
each sign in once, within a minute; \`cvat-sync open\` makes a new one.\n` +
        examples([
          'cvat-sync daemon',
          'cvat-sync daemon --gui-port 8384 --open',
          'cvat-sync daemon --no-print-url',
        ]),
    )
    .action(
      action((ctx, o: { guiPort?: string; open?: boolean; printUrl?: boolean }) => daemon(ctx, o)),
    );

  sub('open', "open the running daemon's web UI in the browser (a single-use sign-in link)")
    .option('--print', 'print the link instead of opening it')
    .addHelpText('after', examples(['cvat-sync open', 'cvat-sync open --print']))
    .action(action((ctx, o: { print?: boolean }) => openGui(ctx, o)));
}
