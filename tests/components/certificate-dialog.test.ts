// The trust dialog in the connect flow: shown for an untrusted or changed certificate with what
// the decision rests on; Trust signs in again with that fingerprint, Cancel trusts nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import ConnectView from '../../renderer/src/views/ConnectView.svelte';
import type { CertificateInfo, ContractError } from '../../preload/contract.js';
import { FakeBridge } from './fake-bridge.js';
import { startApp, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(() => h?.stop());

const FP = `SHA256:${Array(32).fill('AB').join(':')}`;
const CERT: CertificateInfo = {
  subject: 'CN=cvat.lab',
  issuer: 'CN=cvat.lab',
  validFrom: '2026-01-01T00:00:00.000Z',
  validTo: '2027-01-01T00:00:00.000Z',
  fingerprint: FP,
  altNames: 'DNS:cvat.lab',
};

function tlsError(code: 'tls-untrusted' | 'tls-changed', message: string): ContractError {
  return { code, kind: 'fatal', message, retryable: false, hint: 'ask', certificate: CERT };
}

async function signInWith(fake: FakeBridge): Promise<void> {
  h = await startApp(fake);
  render(ConnectView, { props: { app: h.app } });
  const server = screen.getByLabelText('Server URL');
  await userEvent.clear(server);
  await userEvent.type(server, 'https://cvat.lab');
  await userEvent.type(screen.getByLabelText('Access token'), 'good-token');
  await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
}

describe('certificate trust dialog', () => {
  it('shows subject, issuer, names, validity and fingerprint; Trust signs in with it', async () => {
    const fake = new FakeBridge();
    fake.fail(
      'signIn',
      tlsError('tls-untrusted', 'The certificate of cvat.lab:443 is not trusted.'),
    );
    await signInWith(fake);
    const dialog = await screen.findByRole('dialog', { name: 'Untrusted server certificate' });
    const details = within(dialog).getByLabelText('Certificate');
    expect(details).toHaveTextContent(/Issued to\s*CN=cvat\.lab/);
    expect(details).toHaveTextContent(/Issued by\s*CN=cvat\.lab/);
    expect(details).toHaveTextContent(/Names\s*DNS:cvat\.lab/);
    expect(details).toHaveTextContent(/Valid from\s*2026-01-01/);
    expect(details).toHaveTextContent(/Valid until\s*2027-01-01/);
    expect(details).toHaveTextContent(FP.replace('SHA256:', ''));
    expect(dialog).toHaveTextContent('self-signed');

    fake.clearFailure('signIn');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Trust this certificate' }));
    expect(fake.callsOf('signIn').at(-1)).toEqual({
      server: 'https://cvat.lab',
      method: 'token',
      token: 'good-token',
      trustFingerprint: FP,
    });
    expect(await screen.findByRole('heading', { name: 'Signed in' })).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('a changed certificate is a warning; Cancel trusts nothing and closes it', async () => {
    const fake = new FakeBridge();
    fake.fail(
      'signIn',
      tlsError(
        'tls-changed',
        `The certificate of cvat.lab:443 CHANGED: you trusted SHA256:OLD, the server now presents ${FP}.`,
      ),
    );
    await signInWith(fake);
    const dialog = await screen.findByRole('dialog', { name: 'The server certificate changed' });
    expect(dialog).toHaveTextContent('you trusted SHA256:OLD');
    expect(
      within(dialog).getByRole('button', { name: 'Trust the new certificate' }),
    ).toBeInTheDocument();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(fake.callsOf('signIn')).toHaveLength(1);
    expect(fake.callsOf('signIn')[0]).not.toHaveProperty('trustFingerprint');
  });
});
