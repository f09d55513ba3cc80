// The folder editor's "already in CVAT" choice reaches addFolder as adoptExisting, and each
// folder card offers Verify.
import { afterEach, describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import FoldersView from '../../renderer/src/views/FoldersView.svelte';
import { FakeBridge, connected } from './fake-bridge.js';
import { startApp, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(() => h?.stop());

describe('adopting existing tasks from the folder editor', () => {
  it('sends adoptExisting when the box is checked, and explains what happens', async () => {
    const fake = new FakeBridge();
    fake.connection = connected();
    h = await startApp(fake);
    render(FoldersView, { props: { app: h.app } });
    await userEvent.click(screen.getByRole('button', { name: 'Add folder…' }));
    const dialog = screen.getByRole('dialog', { name: 'Add sync folder' });
    await userEvent.type(within(dialog).getByLabelText('Path on this computer'), '/data/cats');
    await userEvent.type(within(dialog).getByLabelText('New label name'), 'cat{Enter}');
    await userEvent.click(within(dialog).getByLabelText(/Recognise\s+existing tasks/));
    expect(within(dialog).getByText(/uploaded only if you retry it/)).toBeInTheDocument();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Add folder' }));
    expect(fake.callsOf('addFolder')).toEqual([
      expect.objectContaining({ path: '/data/cats', adoptExisting: true }),
    ]);
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    const card = await screen.findByRole('listitem', { name: 'Folder /data/cats' });
    await userEvent.click(within(card).getByRole('button', { name: 'Verify' }));
    expect(await screen.findByRole('dialog', { name: 'Verify /data/cats' })).toBeInTheDocument();
    expect(fake.callsOf('verifyFolder')).toHaveLength(1);
  });
});
