import { afterEach, describe, expect, it } from 'vitest';
import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import ConnectView from '../../renderer/src/views/ConnectView.svelte';
import { AppState } from '../../renderer/src/state/app.svelte.js';
import { FakeBridge, connected, failure } from './fake-bridge.js';
import { startApp, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(() => h?.stop());

describe('ConnectView', () => {
  it('shows a skeleton until the connection is known', async () => {
    const fake = new FakeBridge();
    const release = fake.hold('getStatus');
    const app = new AppState(fake);
    const stop = app.start();
    render(ConnectView, { props: { app } });
    expect(screen.getByLabelText('Loading connection')).toHaveAttribute('aria-busy', 'true');
    release();
    expect(await screen.findByRole('heading', { name: 'Sign in to CVAT' })).toBeInTheDocument();
    stop();
  });

  it('shows why the connection cannot be read', async () => {
    const fake = new FakeBridge();
    fake.fail(
      'getStatus',
      failure(
        'network',
        'Cannot reach the CVAT Sync service',
        'Start the daemon again.',
        'transient',
      ),
    );
    h = await startApp(fake);
    render(ConnectView, { props: { app: h.app } });
    expect(screen.getByRole('alert')).toHaveTextContent('Fix: Start the daemon again.');
  });

  it('signs in with a token, shows a rejection with its fix, then the account and organizations', async () => {
    const fake = new FakeBridge();
    h = await startApp(fake);
    render(ConnectView, { props: { app: h.app } });
    const server = screen.getByLabelText('Server URL');
    expect(server).toHaveValue('https://app.cvat.ai');
    await userEvent.clear(server);
    await userEvent.type(server, 'http://127.0.0.1:9999');
    await userEvent.type(screen.getByLabelText('Access token'), 'bad');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Fix: Check the token');
    await userEvent.clear(screen.getByLabelText('Access token'));
    await userEvent.type(screen.getByLabelText('Access token'), 'good-token');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(fake.callsOf('signIn').at(-1)).toEqual({
      server: 'http://127.0.0.1:9999',
      method: 'token',
      token: 'good-token',
    });
    expect(await screen.findByRole('heading', { name: 'Signed in' })).toBeInTheDocument();
    expect(screen.getByText('2.50.0')).toBeInTheDocument();
    const org = screen.getByLabelText('Organization');
    expect(await within(org).findByText('The Lab (lab)')).toBeInTheDocument();
    await userEvent.selectOptions(org, 'lab');
    expect(fake.callsOf('setOrganization')).toEqual([{ org: 'lab' }]);
  });

  it('signs in with username and password', async () => {
    const fake = new FakeBridge();
    h = await startApp(fake);
    render(ConnectView, { props: { app: h.app } });
    await userEvent.click(screen.getByLabelText('Username and password'));
    await userEvent.type(screen.getByLabelText('Username'), 'bob');
    await userEvent.type(screen.getByLabelText('Password'), 'secret');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(fake.callsOf('signIn')).toEqual([
      { server: 'https://app.cvat.ai', method: 'password', username: 'bob', password: 'secret' },
    ]);
    expect(await screen.findByText('bob')).toBeInTheDocument();
  });

  it('runs the doctor and shows each finding with its fix', async () => {
    const fake = new FakeBridge();
    fake.connection = connected();
    fake.findings = [
      { id: 'version', title: 'Server version', status: 'ok', detail: 'CVAT 2.50.0' },
      {
        id: 'tus-location',
        title: 'Upload URLs',
        status: 'fail',
        detail: 'TUS Location uses http behind https.',
        fix: 'Set CVAT_HOST and X-Forwarded-Proto in the proxy.',
      },
      {
        id: 'limit',
        title: 'Request size limit',
        status: 'warn',
        detail: 'Bodies over 100 MiB are refused.',
        fix: 'Raise client_max_body_size.',
      },
    ];
    h = await startApp(fake);
    render(ConnectView, { props: { app: h.app } });
    await userEvent.click(screen.getByRole('button', { name: 'Check server' }));
    const items = await screen.findAllByRole('listitem');
    expect(items).toHaveLength(3);
    expect(items[0]).not.toHaveTextContent('Fix:');
    expect(items[1]).toHaveTextContent('fail');
    expect(items[1]).toHaveTextContent('Fix: Set CVAT_HOST');
    expect(items[2]).toHaveTextContent('Fix: Raise client_max_body_size.');
  });

  it('signs out', async () => {
    const fake = new FakeBridge();
    fake.connection = connected();
    h = await startApp(fake);
    render(ConnectView, { props: { app: h.app } });
    await userEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(await screen.findByRole('heading', { name: 'Sign in to CVAT' })).toBeInTheDocument();
  });
});
