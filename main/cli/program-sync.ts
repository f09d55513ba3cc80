// Commands that sync folders and run the queue: login/logout, sync, watch, folders, pause/resume,
// transfers.
import type { Command } from 'commander';
import { addGlobalOptions } from './context.js';
import { login, logout } from './commands/info.js';
import { foldersAdd, foldersChange, foldersLs, syncOnce, watch } from './commands/sync.js';
import { foldersIgnored, foldersPreview } from './commands/folders.js';
import { pauseAll, transferChange, transfersLs } from './commands/queue.js';
import type { TransferAction } from './commands/queue.js';
import { addRuleOptions } from './rule-options.js';
import type { RuleFlags } from './rule-options.js';
import {
  CONNECTION_HELP,
  ENGINE_HELP,
  action,
  collect,
  examples,
  subcommand,
} from './program-kit.js';

export function addSyncCommands(program: Command): void {
  const sub = (name: string, description: string): Command =>
    subcommand(program, name, description);

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
}
