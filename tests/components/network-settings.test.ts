// Settings → Network: a manual proxy with its user, a write-only password, the no-proxy list and
// a CA file, each saved on change as the contract's patch.
import { afterEach, describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import SettingsView from '../../renderer/src/views/SettingsView.svelte';
import { FakeBridge } from './fake-bridge.js';
import { startApp, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(() => h?.stop());

describe('Network settings', () => {
  it('saves a manual proxy, a write-only password, the no-proxy list and a CA file', async () => {
    const fake = new FakeBridge();
    h = await startApp(fake);
    render(SettingsView, { props: { app: h.app } });
    await screen.findByRole('group', { name: 'Network' });
    const type = async (label: string, text: string) => {
      const input = screen.getByLabelText(label);
      await userEvent.clear(input);
      await userEvent.type(input, text);
      await userEvent.tab();
    };
    await type('Proxy host', 'proxy.lab');
    await type('Port', '3128');
    await userEvent.selectOptions(screen.getByLabelText('Proxy'), 'manual');
    await type('Proxy user', 'alice');
    await type('Proxy password', 'pw-123');
    await type('No proxy for', 'cvat.lan,.corp');
    await type('Extra CA certificates (PEM file)', '/etc/lab-ca.pem');
    expect(fake.callsOf('updateSettings')).toEqual([
      { proxyHost: 'proxy.lab' },
      { proxyPort: 3128 },
      { proxyMode: 'manual' },
      { proxyUser: 'alice' },
      { proxyPassword: 'pw-123' },
      { noProxy: 'cvat.lan,.corp' },
      { caFile: '/etc/lab-ca.pem' },
    ]);
    // The password field is emptied again; only "saved" shows that one is kept.
    expect(screen.getByLabelText('Proxy password')).toHaveValue('');
    expect(screen.getByLabelText('Proxy password')).toHaveAttribute('placeholder', 'saved');
  });
});
