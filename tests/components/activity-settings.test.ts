import { afterEach, describe, expect, it } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import ActivityView from '../../renderer/src/views/ActivityView.svelte';
import SettingsView from '../../renderer/src/views/SettingsView.svelte';
import { AppState } from '../../renderer/src/state/app.svelte.js';
import type { ActivityEntry } from '../../preload/contract.js';
import { FakeBridge, failure } from './fake-bridge.js';
import { startApp, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(() => h?.stop());

function entry(id: number, overrides: Partial<ActivityEntry> = {}): ActivityEntry {
  return {
    id,
    at: 1_700_000_000_000 + id * 1000,
    level: 'info',
    kind: 'upload',
    message: `entry ${id}`,
    hint: null,
    folderId: null,
    taskId: null,
    transferId: null,
    ...overrides,
  };
}

describe('ActivityView', () => {
  it('shows skeletons, then the empty state', async () => {
    const fake = new FakeBridge();
    const release = fake.hold('listActivity');
    const app = new AppState(fake);
    const stop = app.start();
    render(ActivityView, { props: { app } });
    expect(screen.getByLabelText('Loading activity')).toHaveAttribute('aria-busy', 'true');
    release();
    expect(await screen.findByText('No activity')).toBeInTheDocument();
    stop();
  });

  it('shows a listing error', async () => {
    const fake = new FakeBridge();
    fake.fail('listActivity', failure('journal', 'The activity log cannot be read.'));
    h = await startApp(fake);
    render(ActivityView, { props: { app: h.app } });
    expect(screen.getByRole('alert')).toHaveTextContent('The activity log cannot be read.');
  });

  it('pages back through many entries, filters by level, kind and text, and prepends live ones', async () => {
    const fake = new FakeBridge();
    fake.activity = Array.from({ length: 250 }, (_, i) =>
      entry(
        250 - i,
        i % 10 === 0 ? { level: 'error', kind: 'export', hint: 'Free disk space.' } : {},
      ),
    );
    h = await startApp(fake);
    render(ActivityView, { props: { app: h.app } });
    expect(screen.getAllByRole('listitem')).toHaveLength(100);
    await userEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(screen.getAllByRole('listitem')).toHaveLength(200));
    expect(fake.callsOf('listActivity').at(-1)).toMatchObject({ beforeId: 151 });
    await userEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(screen.getAllByRole('listitem')).toHaveLength(250));
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();

    await userEvent.click(screen.getByLabelText('info'));
    await waitFor(() => expect(screen.getAllByRole('listitem')).toHaveLength(25));
    expect(screen.getAllByText('Free disk space.')).toHaveLength(25);
    expect(fake.callsOf('listActivity').at(-1)).toMatchObject({ levels: ['warn', 'error'] });

    await userEvent.type(screen.getByLabelText('Search'), 'entry 250');
    await waitFor(() => expect(screen.getAllByRole('listitem')).toHaveLength(1));

    fake.emit(
      'activity',
      entry(251, { level: 'error', kind: 'export', message: 'entry 2500 live' }),
    );
    fake.emit('activity', entry(252, { level: 'info', message: 'entry 250 filtered out' }));
    expect(await screen.findByText('entry 2500 live')).toBeInTheDocument();
    expect(screen.queryByText('entry 250 filtered out')).toBeNull();
  });
});

describe('SettingsView', () => {
  it('shows a skeleton while loading and an error when settings cannot be read', async () => {
    const fake = new FakeBridge();
    const release = fake.hold('getSettings');
    fake.fail('getSettings', failure('journal', 'Settings are unreadable.'));
    const app = new AppState(fake);
    const stop = app.start();
    render(SettingsView, { props: { app } });
    expect(screen.getByLabelText('Loading settings')).toHaveAttribute('aria-busy', 'true');
    release();
    expect(await screen.findByRole('alert')).toHaveTextContent('Settings are unreadable.');
    stop();
  });

  it('saves each setting on change, shows folders read-only and exports the debug archive', async () => {
    const fake = new FakeBridge();
    h = await startApp(fake);
    render(SettingsView, { props: { app: h.app } });
    const concurrency = screen.getByLabelText('Parallel transfers');
    await userEvent.clear(concurrency);
    await userEvent.type(concurrency, '5');
    await userEvent.tab();
    expect(fake.callsOf('updateSettings')).toEqual([{ concurrency: 5 }]);
    expect(await screen.findByText('Parallel transfers saved')).toBeInTheDocument();

    await userEvent.selectOptions(screen.getByLabelText('Theme'), 'dark');
    expect(fake.callsOf('updateSettings').at(-1)).toEqual({ theme: 'dark' });
    await userEvent.click(screen.getByLabelText('Show notifications'));
    expect(fake.callsOf('updateSettings').at(-1)).toEqual({ notifications: false });

    // The chunk size says what older servers allow.
    expect(screen.getByLabelText('Upload chunk size (MiB)')).toHaveAccessibleDescription(
      'CVAT before 2.55 refuses chunks over 100 MiB: for those servers chunks are capped at 100 MiB.',
    );
    expect(screen.getByLabelText('Data folder')).toHaveAttribute('readonly');
    expect(screen.getByLabelText('Logs folder')).toHaveValue(
      '/home/alice/.local/share/cvat-sync/logs',
    );
    expect(screen.getByLabelText('Agent id')).toHaveValue('a1b2c3d4');
    expect(screen.getByLabelText('Agent id')).toHaveAttribute('readonly');
    await userEvent.click(screen.getByRole('button', { name: 'Export debug archive' }));
    expect(
      await screen.findByText('/home/alice/.local/share/cvat-sync/debug-archive.zip'),
    ).toBeInTheDocument();
  });
});
