import { afterEach, describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import TasksView from '../../renderer/src/views/TasksView.svelte';
import { FakeBridge, connected, failure, makeTask } from './fake-bridge.js';
import { startApp, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(() => h?.stop());

function signedIn(tasks = 0): FakeBridge {
  const fake = new FakeBridge();
  fake.connection = connected();
  fake.tasks = Array.from({ length: tasks }, (_, i) => makeTask(tasks - i));
  return fake;
}

function show(harness: Harness) {
  const navigated: string[] = [];
  render(TasksView, { props: { app: harness.app, onnavigate: (v: string) => navigated.push(v) } });
  return navigated;
}

describe('TasksView', () => {
  it('shows a skeleton while the first page loads', async () => {
    const fake = signedIn(3);
    const release = fake.hold('listTasks');
    h = await startApp(fake);
    show(h);
    expect(screen.getByLabelText('Loading tasks')).toHaveAttribute('aria-busy', 'true');
    release();
    expect(await screen.findByText('task 3')).toBeInTheDocument();
    expect(screen.queryByLabelText('Loading tasks')).toBeNull();
  });

  it('shows the empty state with a way to add a folder', async () => {
    h = await startApp(signedIn(0));
    const navigated = show(h);
    expect(await screen.findByText('No tasks')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Add a folder' }));
    expect(navigated).toEqual(['folders']);
  });

  it('shows a listing error with its fix', async () => {
    const fake = signedIn(5);
    fake.fail(
      'listTasks',
      failure(
        'server',
        'List tasks failed: HTTP 502 from the server.',
        'Check the reverse proxy in front of CVAT.',
        'transient',
      ),
    );
    h = await startApp(fake);
    show(h);
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('HTTP 502');
    expect(alert).toHaveTextContent('Fix: Check the reverse proxy');
    fake.clearFailure('listTasks');
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('task 5')).toBeInTheDocument();
  });

  it('asks to sign in when signed out', async () => {
    h = await startApp(new FakeBridge());
    const navigated = show(h);
    await userEvent.click(await screen.findByRole('button', { name: 'Go to Connect' }));
    expect(navigated).toEqual(['connect']);
  });

  it('renders only the visible rows of 10,000 tasks and pages in as the keyboard moves', async () => {
    const fake = signedIn(10_000);
    h = await startApp(fake);
    show(h);
    expect(await screen.findByText('10,000 tasks')).toBeInTheDocument();
    const list = screen.getByRole('listbox', { name: 'Tasks' });
    await waitFor(() => expect(within(list).getByText('task 10000')).toBeInTheDocument());
    const options = within(list).getAllByRole('option');
    expect(options.length).toBeLessThan(40);
    expect(options[0]).toHaveAttribute('aria-setsize', '10000');
    // Only the first page was fetched, and previews only for visible rows.
    expect(fake.callsOf('listTasks')).toEqual([
      expect.objectContaining({ page: 1, pageSize: 100 }),
    ]);
    await waitFor(() => expect(fake.callsOf('getTaskPreview').length).toBeGreaterThan(0));
    expect(fake.callsOf('getTaskPreview').length).toBeLessThanOrEqual(13);

    list.focus();
    await userEvent.keyboard('{ArrowDown}{ArrowDown}');
    expect(list).toHaveAttribute('aria-activedescendant', 'task-1');
    expect(
      within(screen.getByRole('complementary', { name: 'Selected task' })).getByRole('heading'),
    ).toHaveTextContent('task 9999');

    await userEvent.keyboard('{End}');
    await waitFor(() => expect(within(list).getByText('task 1')).toBeInTheDocument());
    expect(fake.callsOf('listTasks')).toContainEqual(expect.objectContaining({ page: 100 }));
    expect(list).toHaveAttribute('aria-activedescendant', 'task-9999');
  });

  it('filters on the server', async () => {
    const fake = signedIn(4);
    fake.tasks[0] = makeTask(4, { status: 'completed' });
    h = await startApp(fake);
    show(h);
    await screen.findByText('task 4');
    await userEvent.selectOptions(screen.getByLabelText('Status'), 'completed');
    await waitFor(() => expect(screen.queryByText('task 3')).toBeNull());
    expect(fake.callsOf('listTasks').at(-1)).toMatchObject({ status: 'completed', page: 1 });
    expect(screen.getByText('1 task')).toBeInTheDocument();
  });

  it('exports a dataset with a format from the server and the images toggle', async () => {
    h = await startApp(signedIn(2));
    show(h);
    await userEvent.click(await screen.findByText('task 2'));
    await userEvent.click(screen.getByRole('button', { name: 'Export…' }));
    const dialog = screen.getByRole('dialog', { name: 'Export dataset' });
    const format = within(dialog).getByLabelText('Format');
    expect(
      within(format)
        .getAllByRole('option')
        .map((o) => o.textContent),
    ).toEqual(['COCO 1.0', 'CVAT for images 1.1']);
    await userEvent.selectOptions(format, 'COCO 1.0');
    await userEvent.click(within(dialog).getByLabelText('Include images'));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Export' }));
    expect(h.fake.callsOf('exportDataset')).toEqual([
      { target: { kind: 'task', id: 2 }, format: 'COCO 1.0', withImages: true, destination: null },
    ]);
    expect(await screen.findByRole('status')).toHaveTextContent(
      'Export of “task 2” (COCO 1.0) queued',
    );
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('deletes a task only after confirmation', async () => {
    h = await startApp(signedIn(2));
    show(h);
    await userEvent.click(await screen.findByText('task 1'));
    await userEvent.click(screen.getByRole('button', { name: 'Delete…' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete task?' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(h.fake.callsOf('deleteTasks')).toEqual([]);
    await userEvent.click(screen.getByRole('button', { name: 'Delete…' }));
    await userEvent.click(
      within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete task' }),
    );
    expect(h.fake.callsOf('deleteTasks')).toEqual([{ ids: [1] }]);
    await waitFor(() => expect(screen.queryByText('task 1')).toBeNull());
    expect(screen.getByText('1 task')).toBeInTheDocument();
  });
});
