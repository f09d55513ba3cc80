// The task edit dialog and the verify dialog of the Tasks view, over the fake bridge.
import { afterEach, describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import TasksView from '../../renderer/src/views/TasksView.svelte';
import { FakeBridge, connected, failure, makeTask } from './fake-bridge.js';
import { startApp, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(() => h?.stop());

async function openTask(fake: FakeBridge): Promise<void> {
  h = await startApp(fake);
  render(TasksView, { props: { app: h.app, onnavigate: () => undefined } });
  await userEvent.click(await screen.findByText('task 1'));
}

function signedIn(): FakeBridge {
  const fake = new FakeBridge();
  fake.connection = connected();
  fake.tasks = [
    makeTask(1, { localFolder: { folderId: 3, path: '/data/photos' }, assignee: 'alice' }),
  ];
  fake.labels[1] = [
    { id: 11, name: 'car', color: '#ff0000', type: 'any', attributes: 0 },
    { id: 12, name: 'person', color: '#00ff00', type: 'any', attributes: 0 },
  ];
  return fake;
}

describe('editing a task', () => {
  it('sends only what changed: name, a user picked from the search, labels', async () => {
    const fake = signedIn();
    await openTask(fake);
    await userEvent.click(screen.getByRole('button', { name: 'Edit…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Edit task #1' });
    const name = within(dialog).getByLabelText('Name');
    await userEvent.clear(name);
    await userEvent.type(name, 'street');
    await userEvent.type(within(dialog).getByLabelText('Find a user'), 'bo');
    await userEvent.click(await within(dialog).findByRole('button', { name: 'bob' }));
    await within(dialog).findByText('2 labels', { exact: false });
    await userEvent.clear(within(dialog).getByLabelText('Name of label car'));
    await userEvent.type(within(dialog).getByLabelText('Name of label car'), 'vehicle');
    await userEvent.type(within(dialog).getByLabelText('New label'), 'bus');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Add label' }));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(fake.callsOf('editTask')).toEqual([
      {
        taskId: 1,
        name: 'street',
        assigneeId: 2,
        labels: [{ id: 11, name: 'vehicle' }, { name: 'bus' }],
      },
    ]);
    expect(await screen.findByText('Saved task #1 “street”.')).toBeInTheDocument();
  });

  it("shows CVAT's refusal of a move with the fix, and keeps the dialog open", async () => {
    const fake = signedIn();
    fake.fail(
      'editTask',
      failure(
        'move-refused',
        'update task 1 failed: HTTP 400 Bad Request — All task or project label names must be mapped to the target project',
        'Project #1 has no label "person": add it to the project in CVAT (or rename the task\'s labels to project labels), then move the task again.',
      ),
    );
    await openTask(fake);
    await userEvent.click(screen.getByRole('button', { name: 'Edit…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Edit task #1' });
    await userEvent.selectOptions(within(dialog).getByLabelText('Project'), 'Animals');
    expect(
      within(dialog).getByText(/each label of the task must exist in the project/),
    ).toBeInTheDocument();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save changes' }));
    const alert = await within(dialog).findByRole('alert');
    expect(alert).toHaveTextContent('must be mapped to the target project');
    expect(alert).toHaveTextContent('Fix: Project #1 has no label "person"');
    expect(fake.callsOf('editTask')).toEqual([{ taskId: 1, projectId: 1 }]);
  });
});

describe('verifying a task', () => {
  it('shows the problems first, with counts in words', async () => {
    const fake = signedIn();
    fake.verifyReports['task:1'] = {
      folderId: 3,
      path: null,
      checkedAt: Date.now(),
      tasks: [
        {
          taskId: 1,
          name: 'task 1',
          reachable: true,
          error: null,
          frames: 3,
          inCvat: 2,
          missing: 1,
          foreign: 0,
        },
      ],
      entries: [
        {
          path: 'a.png',
          state: 'in-cvat',
          taskId: 1,
          frame: 0,
          detail: null,
          width: 30,
          height: 20,
        },
        {
          path: 'b.png',
          state: 'missing',
          taskId: 1,
          frame: 1,
          detail: 'frame 1 is marked deleted on the server',
          width: 31,
          height: 20,
        },
        {
          path: 'c.png',
          state: 'in-cvat',
          taskId: 1,
          frame: 2,
          detail: null,
          width: 32,
          height: 20,
        },
      ],
      totals: { inCvat: 2, missing: 1, notUploaded: 0, foreign: 0 },
    };
    await openTask(fake);
    await userEvent.click(screen.getByRole('button', { name: 'Verify' }));
    const dialog = await screen.findByRole('dialog', { name: 'Verify task #1 “task 1”' });
    const status = await within(dialog).findByRole('status');
    expect(status).toHaveTextContent('Not everything is in CVAT.');
    expect(status).toHaveTextContent(
      '2 files in CVAT · 1 file missing from CVAT · 0 files not in CVAT · 0 frames not from this folder',
    );
    const list = within(dialog).getByRole('listbox', { name: 'Verified files' });
    expect(within(list).getAllByRole('option')).toHaveLength(1);
    expect(list).toHaveTextContent('b.png');
    expect(list).toHaveTextContent('frame 1 is marked deleted on the server');
    await userEvent.click(within(dialog).getByLabelText(/Show every file/));
    expect(within(list).getAllByRole('option')).toHaveLength(3);
  });
});

describe('validation layout in the task details', () => {
  it('shows ground-truth frames and honeypots, and re-draws honeypots', async () => {
    const fake = signedIn();
    fake.layouts[1] = {
      taskId: 1,
      mode: 'gt_pool',
      framesPerJob: 2,
      validationFrames: [8, 9],
      disabledFrames: [9],
      honeypotCount: 3,
      honeypotFrames: [2, 5, 7],
      honeypotRealFrames: [8, 8, 9],
    };
    await openTask(fake);
    const cell = await screen.findByLabelText('Validation');
    await waitFor(() =>
      expect(cell).toHaveTextContent(
        'Honeypots, 2 frames per job; 2 validation frames (1 disabled)',
      ),
    );
    const items = (name: string) =>
      within(within(cell).getByRole('list', { name }))
        .getAllByRole('listitem')
        .map((li) => li.textContent?.replace(/\s+/g, ' ').trim());
    expect(items('Validation frames')).toEqual(['frame 8 disable', 'frame 9 (disabled)']);
    expect(cell).toHaveTextContent('3 honeypots:');
    expect(items('Honeypots')).toEqual([
      'frame 2 shows frame 8',
      'frame 5 shows frame 8',
      'frame 7 shows frame 9',
    ]);
    await userEvent.click(within(cell).getByRole('button', { name: 'Shuffle honeypots' }));
    expect(fake.callsOf('updateValidationLayout')).toEqual([{ taskId: 1, shuffleHoneypots: true }]);
    const disable8 = within(cell).getByRole('button', { name: 'Disable frame 8' });
    await waitFor(() => expect(disable8).toBeEnabled()); // the shuffle has answered
    await userEvent.click(disable8);
    expect(fake.callsOf('updateValidationLayout')).toEqual([
      { taskId: 1, shuffleHoneypots: true },
      { taskId: 1, disableFrames: [8] },
    ]);
    await waitFor(() =>
      expect(items('Validation frames')).toEqual(['frame 8 (disabled)', 'frame 9 (disabled)']),
    );
  });
});
