// The `cvat-sync` command line: every command, its options and help with examples.
import { Command, CommanderError, Option } from 'commander';
import { CliContext, addGlobalOptions } from './context.js';
import { EXIT, EXIT_CODES_HELP } from './exit-codes.js';
import type { ExitCode } from './exit-codes.js';
import { doctor, formats, login, logout, status, tasksLs, tasksRm } from './commands/info.js';
import { backupCommand, exportCommand, importCommand, restoreCommand } from './commands/results.js';
import {
  daemon,
  foldersAdd,
  foldersChange,
  foldersLs,
  openGui,
  syncOnce,
  watch,
} from './commands/sync.js';
import { foldersIgnored, foldersPreview } from './commands/folders.js';
import { orgsLs, orgsUse } from './commands/orgs.js';
import { pauseAll, transferChange, transfersLs } from './commands/queue.js';
import type { TransferAction } from './commands/queue.js';
import { activity, debugArchive, settingsGet, settingsSet } from './commands/settings.js';
import { packageVersion } from './paths.js';
import {
  annotationsPull,
  annotationsPush,
  tasksEdit,
  tasksFrames,
  tasksValidation,
  verifyCommand,
} from './commands/task-api.js';
import type { EditFlags, FramesFlags } from './commands/task-api.js';
import { SETTINGS_HELP } from './setting-values.js';
import { addRuleOptions } from './rule-options.js';
import type { RuleFlags } from './rule-options.js';

const CONNECTION_HELP = `Connection (on every command, before or after its name):
  The server comes from --server or CVAT_SERVER; credentials from CVAT_ACCESS_TOKEN (a personal
  access token), --token-file FILE, --auth USER[:PASS], or the profile saved by \`cvat-sync login\`.
  Headless, the profile is a file readable only by you in the data folder (the OS keychain is
  only reachable from the desktop app). The data folder is shared with the desktop app:
  Linux ~/.config/CVAT Sync, macOS ~/Library/Application Support/CVAT Sync,
  Windows %APPDATA%\\CVAT Sync (override: --data-dir or CVAT_SYNC_HOME).`;

const ENGINE_HELP = `
While \`cvat-sync daemon\` runs on the data folder, this command acts on that running engine
(through its loopback RPC, found in daemon.json in the data folder) with the daemon's own
connection. Otherwise it works on the data folder directly, and the next engine run follows.`;

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Runs a command body with its context: errors become one line + hint and an exit code. */
function action<A extends unknown[]>(body: (ctx: CliContext, ...args: A) => Promise<ExitCode>) {
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

function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

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

  const sub = (name: string, description: string): Command => {
    const cmd = addGlobalOptions(program.command(name)).description(description);
    return cmd;
  };

  sub('login', 'check credentials and save them as the profile later commands use')
    .addHelpText(
      'after',
      `\n${CONNECTION_HELP}\n` +
        examples([
          'cvat-sync login --server https://cvat.example.com          # asks for a personal access token',
          'CVAT_ACCESS_TOKEN=… cvat-sync login --server http://localhost:8080 --org acme',
          'cvat-sync login --server http://localhost:8080 --auth alice   # asks for the password',
          'echo "$PASS" | cvat-sync login --server http://localhost:8080 --auth alice --password-stdin',
          'cvat-sync login --server https://cvat.lab --trust-fingerprint SHA256:AB:CD:…   # a self-signed certificate',
          'cvat-sync login --server https://cvat.lab --ca-file lab-ca.pem                 # an internal CA',
        ]),
    )
    .option(
      '--trust-fingerprint <sha256>',
      "trust this server certificate (SHA256:… as the first login attempt prints it; check it with the server's administrator)",
    )
    .action(action((ctx, o: { trustFingerprint?: string }) => login(ctx, o)));

  sub('logout', 'forget the saved profile (the server is not contacted, so shared keys stay valid)')
    .addHelpText('after', examples(['cvat-sync logout']))
    .action(action((ctx) => logout(ctx)));

  addRuleOptions(
    sub(
      'sync',
      'upload everything in DIR that is stable now, wait until CVAT has processed it, and exit',
    ),
  )
    .argument('<dir>', 'the folder to sync')
    .option('--once', 'run once and exit (required)')
    .addHelpText(
      'after',
      `\nFiles must be stable: each file waits until it has been unchanged for the settle window
(--settle, default 10 s) before it is planned. Re-running uploads only what is new. Exits 0
only if every file landed in CVAT.\n` +
        examples([
          'cvat-sync sync ~/captures --once --project 4',
          'cvat-sync sync ./frames --once --labels labels.json --split count:500 --name "{folder} part {index}"',
          'cvat-sync sync ./videos --once --project 4 --split file --include "*.mp4" --segment-size 300',
        ]),
    )
    .action(
      action((ctx, dir: string, flags: RuleFlags & { once?: boolean }) =>
        syncOnce(ctx, dir, flags),
      ),
    );

  addRuleOptions(
    sub('watch', 'keep DIR in sync until stopped (Ctrl-C or SIGTERM stop it gracefully)'),
  )
    .argument('<dir>', 'the folder to watch')
    .addHelpText('after', examples(['cvat-sync watch /mnt/camera --project 4 --settle 30']))
    .action(action((ctx, dir: string, flags: RuleFlags) => watch(ctx, dir, flags)));

  const folders = program
    .command('folders')
    .description('saved sync folders, run by `cvat-sync daemon` and the desktop app');
  const folderSub = (name: string, description: string): Command =>
    addGlobalOptions(folders.command(name)).description(description);
  addRuleOptions(folderSub('add', 'save DIR as a sync folder with a rule'))
    .argument('<dir>')
    .addHelpText(
      'after',
      examples(['cvat-sync folders add ~/captures --project 4 --split subfolder']),
    )
    .action(action((ctx, dir: string, flags: RuleFlags) => foldersAdd(ctx, dir, flags)));
  folderSub('ls', 'list saved sync folders')
    .addHelpText('after', examples(['cvat-sync folders ls', 'cvat-sync folders ls --json']))
    .action(action((ctx) => foldersLs(ctx)));
  for (const [name, text] of [
    ['rm', 'remove a saved folder (nothing is deleted on disk or in CVAT)'],
    ['pause', 'pause a saved folder'],
    ['resume', 'resume a saved folder'],
  ] as const) {
    folderSub(name, text)
      .argument('<id>', 'folder id from `cvat-sync folders ls`')
      .addHelpText('after', `${ENGINE_HELP}\n${examples([`cvat-sync folders ${name} 2`])}`)
      .action(action((ctx, id: string) => foldersChange(ctx, name, id)));
  }
  addRuleOptions(
    folderSub(
      'preview',
      'show the task names a rule would make of DIR, and the files it would ignore (nothing is saved or sent)',
    ),
  )
    .argument('<dir>')
    .addHelpText(
      'after',
      examples([
        'cvat-sync folders preview ~/captures --project 4',
        'cvat-sync folders preview ./frames --labels labels.json --split count:500 --name "{folder} part {index}"',
        'cvat-sync folders preview ./videos --project 4 --split file --include "*.mp4" --json',
      ]),
    )
    .action(action((ctx, dir: string, flags: RuleFlags) => foldersPreview(ctx, dir, flags)));
  folderSub('ignored', 'list the files a saved folder does not upload, each with the reason')
    .argument('<id>', 'folder id from `cvat-sync folders ls`')
    .option('--limit <n>', 'at most this many files (default 500)')
    .addHelpText(
      'after',
      examples(['cvat-sync folders ignored 2', 'cvat-sync folders ignored 2 --limit 50 --json']),
    )
    .action(action((ctx, id: string, o: { limit?: string }) => foldersIgnored(ctx, id, o)));

  sub('pause', 'pause all transfers (kept across restarts until `cvat-sync resume`)')
    .addHelpText(
      'after',
      `${ENGINE_HELP}\n${examples(['cvat-sync pause', 'cvat-sync pause --json'])}`,
    )
    .action(action((ctx) => pauseAll(ctx, true)));
  sub('resume', 'resume all transfers after `cvat-sync pause` (or Pause all in the app)')
    .addHelpText('after', `${ENGINE_HELP}\n${examples(['cvat-sync resume'])}`)
    .action(action((ctx) => pauseAll(ctx, false)));

  const transfers = program
    .command('transfers')
    .description(
      'uploads, downloads, restores and imports: list them, retry, cancel, pause, resume',
    );
  addGlobalOptions(transfers.command('ls'))
    .description('list transfers, newest first, with progress, speed, ETA and errors')
    .option('--state <state>', 'only these states (repeatable, or comma-separated)', collect)
    .option('--kind <kind>', 'only these kinds: upload, download, restore, import', collect)
    .option('--limit <n>', 'at most this many (default 500)')
    .addHelpText(
      'after',
      `\nStates: queued, active, processing, paused, waiting-retry, done, failed, cancelled.\n${ENGINE_HELP}\n` +
        examples([
          'cvat-sync transfers ls',
          'cvat-sync transfers ls --state failed,waiting-retry',
          'cvat-sync transfers ls --kind download --json',
        ]),
    )
    .action(
      action((ctx, o: { state?: string[]; kind?: string[]; limit?: string }) =>
        transfersLs(ctx, o),
      ),
    );
  for (const [name, text] of [
    ['retry', 'retry a failed (or waiting) transfer now'],
    ['cancel', 'cancel a transfer (a task this app half-created is deleted on the server)'],
    ['pause', 'pause one transfer'],
    ['resume', 'resume one paused transfer'],
  ] as const satisfies ReadonlyArray<readonly [TransferAction, string]>) {
    addGlobalOptions(transfers.command(name))
      .description(text)
      .argument('<id>', 'transfer id from `cvat-sync transfers ls`')
      .addHelpText(
        'after',
        `${ENGINE_HELP}\n${examples([`cvat-sync transfers ${name} upload:12`])}`,
      )
      .action(action((ctx, id: string) => transferChange(ctx, name, id)));
  }

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
    .action(
      action(
        (
          ctx,
          o: {
            level?: string[];
            kind?: string;
            search?: string;
            folder?: string;
            limit?: string;
            before?: string;
          },
        ) => activity(ctx, o),
      ),
    );

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

  const tasks = program.command('tasks').description('tasks on the server');
  addGlobalOptions(tasks.command('ls'))
    .description('list tasks (all pages)')
    .option('--project <id>', 'only tasks of this project')
    .option('--search <text>', 'name, owner, project, subset… contain this text')
    .addOption(new Option('--status <status>', 'annotation | validation | completed'))
    .addHelpText(
      'after',
      examples(['cvat-sync tasks ls', 'cvat-sync tasks ls --project 4 --status completed --json']),
    )
    .action(
      action((ctx, o: { project?: string; search?: string; status?: string }) => tasksLs(ctx, o)),
    );
  addGlobalOptions(tasks.command('edit'))
    .description(
      'change a task on the server: name, assignee, subset, project, bug tracker, labels',
    )
    .argument('<id>', 'task id')
    .option('--name <name>', 'new name')
    .option('--assignee <user>', 'user name of the new assignee ("none" to unassign)')
    .option('--subset <subset>', 'subset, e.g. train, validation, test ("" to clear)')
    .option(
      '--project <id>',
      'move the task into this project (its labels must exist there); CVAT has no way out of a project',
    )
    .option('--bug-tracker <url>', 'issue tracker link')
    .option('--add-label <name>', 'add a label (task without a project; repeatable)', collect)
    .option('--rename-label <old=new>', 'rename a label (repeatable)', collect)
    .option('--delete-label <name>', 'delete a label and its annotations (repeatable)', collect)
    .addHelpText(
      'after',
      `\nCVAT refuses a move to a project that lacks one of the task's label names (or has an
attribute with other values); the refusal is shown as CVAT gives it, with what to change.\n` +
        examples([
          'cvat-sync tasks edit 12 --name "street day 1" --subset train',
          'cvat-sync tasks edit 12 --assignee bob',
          'cvat-sync tasks edit 12 --project 4',
          'cvat-sync tasks edit 12 --rename-label car=vehicle --add-label bus',
        ]),
    )
    .action(action((ctx, id: string, o: EditFlags) => tasksEdit(ctx, id, o)));
  addGlobalOptions(tasks.command('frames'))
    .description("list, download, delete or restore a task's frames (like `cvat-cli task frames`)")
    .argument('<id>', 'task id')
    .option('--frames <list>', 'only these frames, e.g. 0-99 or 3,7,10-12 (task frame numbers)')
    .addOption(
      new Option('--quality <quality>', 'original files or the compressed copies')
        .choices(['original', 'compressed'])
        .default('original'),
    )
    .option('-o, --output <dir>', 'save the frames here as frame_000000.ext (deleted ones skipped)')
    .option('--delete <list>', 'mark these frames deleted: annotators no longer see them')
    .option('--restore <list>', 'restore these deleted frames')
    .option('-y, --yes', 'do not ask before deleting or restoring')
    .addHelpText(
      'after',
      `\nWithout -o, --delete or --restore: lists the frames with their source frame (start frame
and step applied), name, size and whether they are deleted.\n` +
        examples([
          'cvat-sync tasks frames 12',
          'cvat-sync tasks frames 12 --frames 0-99 --quality original -o ./frames',
          'cvat-sync tasks frames 12 --delete 3,7',
          'cvat-sync tasks frames 12 --restore 3 --yes',
        ]),
    )
    .action(action((ctx, id: string, o: FramesFlags) => tasksFrames(ctx, id, o)));
  addGlobalOptions(tasks.command('validation'))
    .description(
      "show a task's ground-truth frames and honeypots; re-draw honeypots, disable frames",
    )
    .argument('<id>', 'task id')
    .option('--shuffle-honeypots', 'pick new random validation frames for the honeypots')
    .option('--disable-frames <list>', 'exclude these validation frames, e.g. 4,5,8')
    .addHelpText(
      'after',
      examples([
        'cvat-sync tasks validation 12',
        'cvat-sync tasks validation 12 --shuffle-honeypots',
        'cvat-sync tasks validation 12 --disable-frames 4,5',
      ]),
    )
    .action(
      action((ctx, id: string, o: { shuffleHoneypots?: boolean; disableFrames?: string }) =>
        tasksValidation(ctx, id, o),
      ),
    );
  addGlobalOptions(tasks.command('rm'))
    .description('delete tasks on the server')
    .argument('<id...>', 'task ids')
    .addHelpText('after', examples(['cvat-sync tasks rm 12 13']))
    .action(action((ctx, ids: string[]) => tasksRm(ctx, ids)));

  sub('export', "export a task's dataset (annotations, optionally with images) to a file")
    .argument('<task-id>')
    .requiredOption('--format <name>', 'exporter name, see `cvat-sync formats`')
    .option('--with-images', 'include the images')
    .option(
      '-o, --output <file>',
      "file to write (or an existing folder: keep the server's file name)",
    )
    .addHelpText(
      'after',
      examples([
        'cvat-sync export 12 --format "COCO 1.0" -o coco.zip',
        'cvat-sync export 12 --format "CVAT for images 1.1" --with-images -o ./out/',
      ]),
    )
    .action(
      action((ctx, id: string, o: { format: string; withImages?: boolean; output?: string }) =>
        exportCommand(ctx, id, o),
      ),
    );

  sub('backup', 'download a task backup (restorable with `cvat-sync restore`)')
    .argument('<task-id>')
    .option('-o, --output <file>', 'file to write (or an existing folder)')
    .addHelpText('after', examples(['cvat-sync backup 12 -o task12-backup.zip']))
    .action(action((ctx, id: string, o: { output?: string }) => backupCommand(ctx, id, o)));

  sub('restore', 'create a task from a backup file; prints the new task id')
    .argument('<file>')
    .option('--project <id>', 'restore into this project')
    .addHelpText(
      'after',
      examples([
        'cvat-sync restore task12-backup.zip',
        'cvat-sync restore task12-backup.zip --project 4',
      ]),
    )
    .action(action((ctx, file: string, o: { project?: string }) => restoreCommand(ctx, file, o)));

  sub('import-annotations', 'upload an annotation file into a task')
    .argument('<task-id>')
    .argument('<file>')
    .requiredOption('--format <name>', 'importer name, see `cvat-sync formats`')
    .addOption(
      new Option('--mode <mode>', 'replace or append to existing annotations')
        .choices(['replace', 'append'])
        .default('replace'),
    )
    .addHelpText(
      'after',
      examples(['cvat-sync import-annotations 12 --format "COCO 1.0" annotations.json']),
    )
    .action(
      action((ctx, id: string, file: string, o: { format: string; mode: 'replace' | 'append' }) =>
        importCommand(ctx, id, file, o),
      ),
    );

  sub(
    'verify',
    'prove that a synced folder is in CVAT: every file checked against the tasks it made',
  )
    .argument('<dir>', 'a sync folder (saved, or one of `sync --once`)')
    .option('--all', 'list every file, not only the ones that are not in CVAT')
    .addHelpText(
      'after',
      `\nUses only the normal API (GET /api/tasks/{id}/data/meta: frame names, deleted frames,
image sizes), so it works on any CVAT without admin rights. Each file is in CVAT, missing
from CVAT (its task or frame is gone, or the frame is marked deleted), or not in CVAT (never
uploaded, e.g. added after its task was made); frames of the tasks that did not come from the
folder are listed too. Exits 1 when anything is missing or not in CVAT.\n` +
        examples(['cvat-sync verify ~/captures', 'cvat-sync verify ~/captures --json']),
    )
    .action(action((ctx, dir: string, o: { all?: boolean }) => verifyCommand(ctx, dir, o)));

  const annotations = program
    .command('annotations')
    .description("a task's annotations as CVAT's own JSON (no format converter)");
  addGlobalOptions(annotations.command('pull'))
    .description('save the annotations of a task as JSON (GET /api/tasks/{id}/annotations)')
    .argument('<task-id>')
    .option('-o, --output <file>', 'file to write (default: task-ID-annotations.json here)')
    .addHelpText('after', examples(['cvat-sync annotations pull 12 -o ann.json']))
    .action(action((ctx, id: string, o: { output?: string }) => annotationsPull(ctx, id, o)));
  addGlobalOptions(annotations.command('push'))
    .description('send a JSON annotation file into a task, checked against CVAT’s schema first')
    .argument('<file>', 'CVAT annotation JSON: {"tags": [], "shapes": [], "tracks": []}')
    .argument('<task-id>')
    .addOption(
      new Option('--mode <mode>', 'replace all, append new ones, or update/delete by id')
        .choices(['replace', 'append', 'update', 'delete'])
        .default('append'),
    )
    .addHelpText(
      'after',
      `\nreplace = PUT (the task's annotations become the file); append = PATCH action=create
(new objects, ids in the file are dropped); update / delete = PATCH by the ids in the file
(pull first). This is how model pre-annotations reach CVAT without a format converter.\n` +
        examples([
          'cvat-sync annotations push predictions.json 12 --mode append',
          'cvat-sync annotations push ann.json 12 --mode replace',
        ]),
    )
    .action(
      action(
        (ctx, file: string, id: string, o: { mode: 'replace' | 'append' | 'update' | 'delete' }) =>
          annotationsPush(ctx, file, id, o),
      ),
    );

  sub('formats', 'list the export and import formats of the server')
    .addHelpText('after', examples(['cvat-sync formats', 'cvat-sync formats --json']))
    .action(action((ctx) => formats(ctx)));

  sub('status', 'connection, queue, folders and recent errors (works while another engine runs)')
    .addHelpText('after', examples(['cvat-sync status', 'cvat-sync status --json']))
    .action(action((ctx) => status(ctx)));

  sub('doctor', 'check the server, the credentials and the upload path through proxies')
    .addHelpText(
      'after',
      `\nChecks: reachability, server version, sign-in and organization, TUS offered, HEAD not
rewritten to GET, the upload Location matching the server (http behind https), and the
request-size limit (nothing is uploaded; a throwaway import upload is left to expire).\n` +
        examples(['cvat-sync doctor', 'cvat-sync doctor --server https://cvat.example.com --json']),
    )
    .action(action((ctx) => doctor(ctx)));

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
