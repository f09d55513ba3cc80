// The folder editor checks the rule with the contract's folder-rule schema: it names the problem
// beside the save button and under the field, keeps Save disabled, and never sends a rule the
// service would refuse (neither to preview nor to save).
import { afterEach, describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import type { FolderRule } from '../../preload/contract.js';
import FoldersView from '../../renderer/src/views/FoldersView.svelte';
import { FakeBridge, connected } from './fake-bridge.js';
import { startApp, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(() => h?.stop());

describe('FolderEditor', () => {
  it('refuses what the service refuses, with the service’s words', async () => {
    const fake = new FakeBridge();
    fake.connection = connected();
    h = await startApp(fake);
    render(FoldersView, { props: { app: h.app } });
    await userEvent.click(screen.getByRole('button', { name: 'Add folder…' }));
    const dialog = screen.getByRole('dialog', { name: 'Add sync folder' });
    const add = within(dialog).getByRole('button', { name: 'Add folder' });

    await userEvent.type(within(dialog).getByLabelText('Path on this computer'), 'data/cats');
    expect(
      within(dialog).getAllByText('The folder path must be absolute, got "data/cats".').length,
    ).toBeGreaterThan(0);
    expect(add).toBeDisabled();

    await userEvent.clear(within(dialog).getByLabelText('Path on this computer'));
    await userEvent.type(within(dialog).getByLabelText('Path on this computer'), '/data/cats');
    await userEvent.type(within(dialog).getByLabelText('New label name'), 'cat{Enter}');
    await waitFor(() => expect(add).toBeEnabled());

    // 0 files per task used to be sent as 1; now it is named and not sent.
    await userEvent.selectOptions(within(dialog).getByLabelText('One task per'), 'count');
    await userEvent.clear(within(dialog).getByLabelText('Files per task'));
    await userEvent.type(within(dialog).getByLabelText('Files per task'), '0');
    expect(
      within(dialog).getAllByText('Files per task must be a whole number above 0, got 0.').length,
    ).toBeGreaterThan(0);
    expect(add).toBeDisabled();
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(
      (fake.callsOf('previewFolder') as FolderRule[]).filter(
        (r) => r.split.kind === 'count' && r.split.count < 1,
      ),
    ).toEqual([]);

    await userEvent.clear(within(dialog).getByLabelText('Files per task'));
    await userEvent.type(within(dialog).getByLabelText('Files per task'), '25');
    await waitFor(() => expect(add).toBeEnabled());
    await userEvent.click(add);
    expect(fake.callsOf('addFolder')).toEqual([
      expect.objectContaining({ path: '/data/cats', split: { kind: 'count', count: 25 } }),
    ]);
  });
});
