import { afterEach, describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import App from '../../renderer/src/App.svelte';
import { AppState } from '../../renderer/src/state/app.svelte.js';
import { FakeBridge, connected, makeTransfer } from './fake-bridge.js';

afterEach(() => {
  window.history.replaceState(null, '', '/');
  delete document.documentElement.dataset.theme;
});

describe('App shell', () => {
  it('lands on Connect when signed out and moves between views with the arrow keys', async () => {
    const app = new AppState(new FakeBridge());
    render(App, { props: { app } });
    expect(await screen.findByRole('heading', { name: 'Sign in to CVAT' })).toBeInTheDocument();
    const nav = screen.getByRole('navigation', { name: 'Main' });
    const connect = within(nav).getByRole('link', { name: 'Connect' });
    expect(connect).toHaveAttribute('aria-current', 'page');
    connect.focus();
    await userEvent.keyboard('{ArrowDown}');
    expect(within(nav).getByRole('link', { name: 'Tasks' })).toHaveFocus();
    expect(screen.getByRole('heading', { name: 'Tasks', level: 1 })).toBeInTheDocument();
    expect(window.location.hash).toBe('#/tasks');
    await userEvent.keyboard('{ArrowUp}{ArrowUp}');
    expect(within(nav).getByRole('link', { name: 'Settings' })).toHaveAttribute(
      'aria-current',
      'page',
    );
  });

  it('shows connection and global totals in the status bar, updated by events', async () => {
    const fake = new FakeBridge();
    fake.connection = connected({ org: 'lab' });
    fake.transfers = [
      makeTransfer('a', { bytesDone: 1048576, bytesTotal: 2097152, speedBps: 524288 }),
    ];
    const app = new AppState(fake);
    render(App, { props: { app } });
    const bar = screen.getByRole('banner', { name: 'Status' });
    await waitFor(() => expect(bar).toHaveTextContent('Connected · 127.0.0.1:9999 · alice · lab'));
    expect(bar).toHaveTextContent('1 active');
    expect(bar).toHaveTextContent('1.0 MiB / 2.0 MiB');
    expect(bar).toHaveTextContent('512 KiB/s');
    fake.transfers = [...fake.transfers, makeTransfer('b', { state: 'failed' })];
    fake.paused = true;
    fake.emit('status', fake.status());
    expect(await within(bar).findByRole('button', { name: '1 failed' })).toBeInTheDocument();
    expect(within(bar).getByText('Paused')).toBeInTheDocument();
    await userEvent.click(within(bar).getByRole('button', { name: '1 failed' }));
    expect(screen.getByRole('heading', { name: 'Transfers', level: 1 })).toBeInTheDocument();
  });

  it('refetches the totals when a transfer changes without a status event', async () => {
    const fake = new FakeBridge();
    fake.connection = connected();
    const app = new AppState(fake);
    render(App, { props: { app } });
    const bar = screen.getByRole('banner', { name: 'Status' });
    await waitFor(() => expect(bar).toHaveTextContent('0 active'));
    const statusCalls = fake.callsOf('getStatus').length;
    fake.transfers = [makeTransfer('a'), makeTransfer('b')];
    fake.emit('transfer', fake.transfers[0]!);
    fake.emit('transfer', fake.transfers[1]!);
    await waitFor(() => expect(bar).toHaveTextContent('2 active'), { timeout: 3000 });
    expect(fake.callsOf('getStatus').length).toBe(statusCalls + 1);
  });

  it('follows the OS theme by default and pins the one chosen in settings', async () => {
    const fake = new FakeBridge();
    const app = new AppState(fake);
    render(App, { props: { app } });
    await waitFor(() => expect(app.settings.value).not.toBeNull());
    expect(document.documentElement.dataset.theme).toBeUndefined();
    await app.settings.update({ theme: 'dark' });
    await waitFor(() => expect(document.documentElement.dataset.theme).toBe('dark'));
    await app.settings.update({ theme: 'system' });
    await waitFor(() => expect(document.documentElement.dataset.theme).toBeUndefined());
  });

  it('loads tasks and lookups when the user signs in', async () => {
    const fake = new FakeBridge();
    const app = new AppState(fake);
    render(App, { props: { app } });
    await screen.findByRole('heading', { name: 'Sign in to CVAT' });
    await userEvent.type(screen.getByLabelText('Access token'), 'good-token');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(fake.callsOf('listTasks')).toHaveLength(1));
    expect(fake.callsOf('listFormats')).toHaveLength(1);
    expect(fake.callsOf('listProjects')).toHaveLength(1);
  });
});
