import { afterEach, describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import FoldersView from '../../renderer/src/views/FoldersView.svelte';
import { AppState } from '../../renderer/src/state/app.svelte.js';
import { FakeBridge, connected, failure, makeFolder } from './fake-bridge.js';
import { startApp, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(() => h?.stop());

describe('FoldersView', () => {
  it('renders the loading state', async () => {
    const fake = new FakeBridge();
    const release = fake.hold('listFolders');
    const app = new AppState(fake);
    const stop = app.start();
    render(FoldersView, { props: { app } });
    expect(screen.getByLabelText('Loading folders')).toHaveAttribute('aria-busy', 'true');
    release();
    expect(await screen.findByText('No sync folders yet')).toBeInTheDocument();
    stop();
  });

  it('shows the error of a failed listing', async () => {
    const fake = new FakeBridge();
    fake.fail(
      'listFolders',
      failure(
        'journal',
        'The upload journal cannot be opened.',
        'Free some disk space, then restart.',
        'fatal',
      ),
    );
    h = await startApp(fake);
    render(FoldersView, { props: { app: h.app } });
    expect(screen.getByRole('alert')).toHaveTextContent('Fix: Free some disk space');
  });

  it('lists many folders with health, fixes and ignored files', async () => {
    const fake = new FakeBridge();
    fake.folders = Array.from({ length: 30 }, (_, i) => makeFolder(i + 1));
    fake.folders[1] = makeFolder(
      2,
      {},
      {
        health: {
          state: 'watch-limit',
          message: 'The system limit of file watches is reached.',
          fix: 'sudo sysctl fs.inotify.max_user_watches=524288',
        },
      },
    );
    fake.folders[2] = makeFolder(
      3,
      {},
      {
        health: {
          state: 'missing',
          message: 'The folder is gone (unmounted?).',
          fix: 'Mount the share again.',
        },
        counts: { files: 5, uploaded: 1, pending: 0, ignored: 2, failed: 1 },
      },
    );
    fake.ignored[3] = [{ path: 'notes.txt', reason: 'not an image or video' }];
    h = await startApp(fake);
    render(FoldersView, { props: { app: h.app } });
    expect(screen.getAllByRole('listitem', { name: /^Folder / })).toHaveLength(30);
    const limited = screen.getByRole('listitem', { name: 'Folder /data/folder-2' });
    expect(within(limited).getByText('Watch limit reached')).toBeInTheDocument();
    expect(limited).toHaveTextContent('Fix: sudo sysctl fs.inotify.max_user_watches=524288');
    const missing = screen.getByRole('listitem', { name: 'Folder /data/folder-3' });
    expect(within(missing).getByText('Folder missing')).toBeInTheDocument();
    expect(missing).toHaveTextContent('1 failed');
    await userEvent.click(within(missing).getByRole('button', { name: '2 ignored' }));
    expect(await within(missing).findByText('notes.txt')).toBeInTheDocument();
    expect(missing).toHaveTextContent('not an image or video');
  });

  it('adds a folder from a typed path with a live preview of task names', async () => {
    const fake = new FakeBridge();
    fake.connection = connected();
    fake.preview = {
      tasks: [
        { name: 'cats/day1', files: 3, bytes: 3000, media: 'images' },
        { name: 'cats/day2', files: 2, bytes: 2048, media: 'images' },
      ],
      ignored: [{ path: 'readme.md', reason: 'not media' }],
      truncated: false,
    };
    h = await startApp(fake);
    render(FoldersView, { props: { app: h.app } });
    await userEvent.click(screen.getByRole('button', { name: 'Add folder…' }));
    expect(fake.callsOf('chooseFolder')).toEqual([]); // the web GUI has no native picker
    const dialog = screen.getByRole('dialog', { name: 'Add sync folder' });
    const add = within(dialog).getByRole('button', { name: 'Add folder' });
    expect(add).toBeDisabled();
    await userEvent.type(within(dialog).getByLabelText('Path on this computer'), '/data/cats');
    await userEvent.type(within(dialog).getByLabelText('New label name'), 'cat{Enter}');
    expect(await within(dialog).findByText('cats/day1', {}, { timeout: 2000 })).toBeInTheDocument();
    expect(within(dialog).getByText('1 file ignored')).toBeInTheDocument();
    expect(fake.callsOf('previewFolder').at(-1)).toMatchObject({
      path: '/data/cats',
      target: { kind: 'labels', labels: [{ name: 'cat' }] },
    });

    await userEvent.selectOptions(within(dialog).getByLabelText('One task per'), 'count');
    await userEvent.clear(within(dialog).getByLabelText('Files per task'));
    await userEvent.type(within(dialog).getByLabelText('Files per task'), '50');
    await userEvent.type(within(dialog).getByLabelText('Name template'), 'batch {{index}');
    await waitFor(
      () =>
        expect(fake.callsOf('previewFolder').at(-1)).toMatchObject({
          split: { kind: 'count', count: 50 },
          nameTemplate: 'batch {index}',
        }),
      { timeout: 2000 },
    );

    await userEvent.click(add);
    expect(fake.callsOf('addFolder')).toEqual([
      expect.objectContaining({
        path: '/data/cats',
        split: { kind: 'count', count: 50 },
        settleSeconds: 5,
      }),
    ]);
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(screen.getByText('/data/cats')).toBeInTheDocument();
  });

  it('edits labels as raw JSON and rejects what is not a label list', async () => {
    h = await startApp(new FakeBridge());
    render(FoldersView, { props: { app: h.app } });
    await userEvent.click(screen.getByRole('button', { name: 'Add folder…' }));
    const dialog = screen.getByRole('dialog');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Edit raw JSON' }));
    const raw = within(dialog).getByLabelText('Labels (JSON)');
    await userEvent.clear(raw);
    await userEvent.paste('[{"name": 1}]');
    expect(within(dialog).getByRole('alert')).toHaveTextContent(/JSON/);
    expect(raw).toHaveAttribute('aria-invalid', 'true');
    await userEvent.clear(raw);
    await userEvent.paste('[{"name": "dog", "color": "#ff0000"}]');
    expect(within(dialog).queryByRole('alert')).toBeNull();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Edit as list' }));
    expect(within(dialog).getByText('dog')).toBeInTheDocument();
  });

  it('pauses, resumes and removes a folder after confirmation', async () => {
    const fake = new FakeBridge();
    fake.folders = [makeFolder(1)];
    h = await startApp(fake);
    render(FoldersView, { props: { app: h.app } });
    await userEvent.click(screen.getByRole('button', { name: 'Pause' }));
    expect(await screen.findByText('Paused')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Resume' }));
    expect(await screen.findByText('Watching')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Remove…' }));
    await userEvent.click(
      within(screen.getByRole('dialog', { name: 'Remove sync folder?' })).getByRole('button', {
        name: 'Remove folder',
      }),
    );
    expect(fake.callsOf('removeFolder')).toEqual([{ id: 1 }]);
    expect(await screen.findByText('No sync folders yet')).toBeInTheDocument();
  });

  it('follows folder events from the service', async () => {
    const fake = new FakeBridge();
    h = await startApp(fake);
    render(FoldersView, { props: { app: h.app } });
    fake.emit(
      'folder',
      makeFolder(
        9,
        {},
        { health: { state: 'polling', message: 'Network share: polling every 30 s.', fix: null } },
      ),
    );
    expect(await screen.findByText('Polling')).toBeInTheDocument();
    fake.emit('folder-removed', { id: 9 });
    expect(await screen.findByText('No sync folders yet')).toBeInTheDocument();
  });
});
