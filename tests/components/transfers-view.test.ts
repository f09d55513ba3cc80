import { afterEach, describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import TransfersView from '../../renderer/src/views/TransfersView.svelte';
import { AppState } from '../../renderer/src/state/app.svelte.js';
import { FakeBridge, connected, failure, makeTransfer } from './fake-bridge.js';
import { startApp, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(() => h?.stop());

describe('TransfersView', () => {
  it('shows skeletons, then the empty state', async () => {
    const fake = new FakeBridge();
    const release = fake.hold('listTransfers');
    const app = new AppState(fake);
    const stop = app.start();
    render(TransfersView, { props: { app } });
    expect(screen.getByLabelText('Loading transfers')).toHaveAttribute('aria-busy', 'true');
    release();
    expect(await screen.findByText('Nothing to transfer')).toBeInTheDocument();
    stop();
  });

  it('shows the error of a failed listing', async () => {
    const fake = new FakeBridge();
    fake.fail(
      'listTransfers',
      failure(
        'network',
        'Cannot reach the CVAT Sync service',
        'Check that `cvat-sync daemon` is still running.',
        'transient',
      ),
    );
    h = await startApp(fake);
    render(TransfersView, { props: { app: h.app } });
    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent('Fix: Check that `cvat-sync daemon` is still running.');
    expect(within(alert).getByRole('button', { name: 'Try again' })).toBeInTheDocument();
  });

  it('lists many transfers with progress, speed and ETA, running ones first', async () => {
    const fake = new FakeBridge();
    fake.transfers = [
      ...Array.from({ length: 60 }, (_, i) =>
        makeTransfer(`d${i}`, {
          state: 'done',
          title: `done ${i}`,
          bytesDone: 1024,
          bytesTotal: 1024,
        }),
      ),
      makeTransfer('a1', {
        title: 'cats/day1',
        bytesDone: 3 * 1048576,
        bytesTotal: 4 * 1048576,
        speedBps: 1048576,
        etaSeconds: 75,
      }),
    ];
    h = await startApp(fake);
    render(TransfersView, { props: { app: h.app } });
    const items = screen.getAllByRole('listitem');
    expect(items).toHaveLength(61);
    const first = items[0] as HTMLElement;
    expect(first).toHaveAccessibleName('Upload: cats/day1');
    expect(first).toHaveTextContent('3.0 MiB / 4.0 MiB');
    expect(first).toHaveTextContent('1.0 MiB/s');
    expect(first).toHaveTextContent('ETA 1 min 15 s');
    expect(within(first).getByRole('progressbar')).toHaveAttribute('aria-valuenow', '75');
    await userEvent.click(screen.getByRole('button', { name: 'Downloads' }));
    expect(screen.queryAllByRole('listitem')).toHaveLength(0);
    expect(screen.getByText('Nothing to transfer')).toBeInTheDocument();
  });

  it('says in words what a transfer is waiting for', async () => {
    const fake = new FakeBridge();
    fake.transfers = [
      makeTransfer('w1', { title: 'cats/day2', state: 'queued', stage: 'waiting-server' }),
      makeTransfer('w2', { title: 'cats/day3', state: 'active', stage: 'sending' }),
    ];
    h = await startApp(fake);
    render(TransfersView, { props: { app: h.app } });
    expect(screen.getByRole('listitem', { name: 'Upload: cats/day2' })).toHaveTextContent(
      'waiting for its server (sign in to it)',
    );
    expect(screen.getByRole('listitem', { name: 'Upload: cats/day3' })).toHaveTextContent(
      'sending files',
    );
  });

  it('shows a failure in plain words with its fix, and retries it', async () => {
    const fake = new FakeBridge();
    fake.transfers = [
      makeTransfer('f1', {
        title: 'video.mp4',
        state: 'failed',
        error: failure(
          'too-large',
          'The server refused video.mp4: 413 Request Entity Too Large.',
          'Raise client_max_body_size in the proxy in front of CVAT.',
        ),
        attempts: 3,
      }),
    ];
    h = await startApp(fake);
    render(TransfersView, { props: { app: h.app } });
    const item = screen.getByRole('listitem', { name: 'Upload: video.mp4' });
    expect(within(item).getByRole('alert')).toHaveTextContent('413 Request Entity Too Large');
    expect(item).toHaveTextContent('Fix: Raise client_max_body_size');
    expect(item).toHaveTextContent('attempt 3');
    await userEvent.click(within(item).getByRole('button', { name: 'Retry' }));
    expect(fake.callsOf('retryTransfer')).toEqual([{ id: 'f1' }]);
    expect(await within(item).findByText('queued')).toBeInTheDocument();
  });

  it('pauses and resumes everything, and follows transfer events', async () => {
    const fake = new FakeBridge();
    h = await startApp(fake);
    render(TransfersView, { props: { app: h.app } });
    await userEvent.click(screen.getByRole('button', { name: 'Pause all' }));
    expect(await screen.findByRole('button', { name: 'Resume all' })).toBeInTheDocument();
    expect(screen.getByText('Paused')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Resume all' }));
    expect(fake.calls.map(([m]) => m).filter((m) => m.endsWith('All'))).toEqual([
      'pauseAll',
      'resumeAll',
    ]);

    fake.emit('transfer', makeTransfer('x', { title: 'from event', updatedAt: 5 }));
    expect(await screen.findByText('from event')).toBeInTheDocument();
    fake.emit('transfer', makeTransfer('x', { title: 'from event', state: 'done', updatedAt: 6 }));
    expect(await screen.findByText('done')).toBeInTheDocument();
    fake.emit('transfer-removed', { id: 'x' });
    await waitFor(() => expect(screen.queryByText('from event')).toBeNull());
  });

  it('sets and clears the bandwidth limit', async () => {
    h = await startApp(new FakeBridge());
    render(TransfersView, { props: { app: h.app } });
    const input = screen.getByRole('spinbutton', { name: /Bandwidth limit/ });
    await userEvent.type(input, '2.5');
    await userEvent.click(screen.getByRole('button', { name: 'Apply' }));
    expect(h.fake.callsOf('setBandwidthLimit')).toEqual([{ bytesPerSecond: 2621440 }]);
    await waitFor(() => expect(input).toHaveValue(2.5));
    await userEvent.clear(input);
    await userEvent.click(screen.getByRole('button', { name: 'Apply' }));
    expect(h.fake.callsOf('setBandwidthLimit').at(-1)).toEqual({ bytesPerSecond: null });
  });

  it('restores a backup and imports annotations from typed paths', async () => {
    const fake = new FakeBridge();
    fake.connection = connected();
    h = await startApp(fake);
    await h.app.tasks.loadLookups();
    render(TransfersView, { props: { app: h.app } });
    await userEvent.click(screen.getByRole('button', { name: 'Restore backup…' }));
    let dialog = screen.getByRole('dialog', { name: 'Restore a task backup' });
    await userEvent.type(within(dialog).getByLabelText(/Backup file/), '/b/task_1_backup.zip');
    await userEvent.selectOptions(within(dialog).getByLabelText('Into project'), 'Animals');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Restore' }));
    expect(fake.callsOf('restoreBackup')).toEqual([{ path: '/b/task_1_backup.zip', projectId: 1 }]);
    expect(
      await screen.findByRole('listitem', { name: 'Restore: Restore /b/task_1_backup.zip' }),
    ).toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Import annotations…' }));
    dialog = screen.getByRole('dialog', { name: 'Import annotations' });
    await userEvent.type(within(dialog).getByLabelText('Task ID'), '12');
    await userEvent.type(within(dialog).getByLabelText(/Annotation file/), '/a/ann.zip');
    await userEvent.click(within(dialog).getByLabelText('Keep and add'));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Import' }));
    expect(fake.callsOf('importAnnotations')).toEqual([
      { taskId: 12, path: '/a/ann.zip', format: 'CVAT 1.1', mode: 'append' },
    ]);
  });
});
