// Commands on tasks and their results: tasks ls/edit/frames/validation/rm, export, backup,
// restore, annotation import, verify, annotations pull/push, formats, status, doctor.
import { Option } from 'commander';
import type { Command } from 'commander';
import { addGlobalOptions } from './context.js';
import { doctor, formats, status, tasksLs, tasksRm } from './commands/info.js';
import { backupCommand, exportCommand, importCommand, restoreCommand } from './commands/results.js';
import {
  annotationsPull,
  annotationsPush,
  tasksEdit,
  tasksFrames,
  tasksValidation,
  verifyCommand,
} from './commands/task-api.js';
import type { EditFlags, FramesFlags } from './commands/task-api.js';
import { action, collect, examples, subcommand } from './program-kit.js';

export function addTaskCommands(program: Command): void {
  const sub = (name: string, description: string): Command =>
    subcommand(program, name, description);

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
}
