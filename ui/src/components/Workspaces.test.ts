import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import type { Workspace } from '../api';
import { workspace } from '../test/fixtures';
import { byTestId, click, render, type, waitFor } from '../test/dom';
import WorkspaceFormDialog from './WorkspaceFormDialog.svelte';
import WorkspacesPage from './WorkspacesPage.svelte';

afterEach(() => {
  clearMocks();
  document.body.innerHTML = '';
});

const DEFAULT_ID = '00000000-0000-4000-8000-0000000000df';

/** Workspaces in memory; Research holds `keyCount` keys. */
function backend(keyCount: number) {
  const list: Workspace[] = [
    workspace({ id: DEFAULT_ID, name: 'Default', description: '', is_default: true }),
    workspace({ members_count: 3 }),
  ];
  const calls: Array<[string, any]> = [];
  mockIPC((cmd, args) => {
    const a = args as Record<string, any>;
    calls.push([cmd, a]);
    switch (cmd) {
      case 'list_workspaces':
        return [...list];
      case 'monthly_spend':
        return { workspace_id: a.workspace_id, year: 2025, month: 3, spent_micros: 0, limit_micros: null, requests: 0, input_tokens: 0, output_tokens: 0 };
      case 'workspace_key_count':
        return keyCount;
      case 'delete_workspace':
        list.splice(list.findIndex((w) => w.id === a.workspace_id), 1);
        return keyCount;
      default:
        throw { code: 'internal', message: `unexpected ${cmd}` };
    }
  });
  return calls;
}

function rows(root: ParentNode) {
  return [...root.querySelectorAll<HTMLElement>('[data-testid="workspace-row"]')];
}

describe('workspaces page', () => {
  it('lists the workspaces with their member counts and a count', async () => {
    backend(0);
    const page = render(WorkspacesPage, { onopen: () => {} });
    await waitFor(() => rows(page.target).length === 2);
    expect(rows(page.target).map((r) => r.dataset.name)).toEqual(['Default', 'Research']);
    expect(byTestId(page.target, 'workspace-count')!.textContent?.trim()).toBe('2 workspaces');
    expect(rows(page.target)[0].textContent).toContain('Default');
    expect(rows(page.target)[1].querySelector('.num')!.textContent).toBe('3');
    page.destroy();
  });

  it("keeps the default workspace's Delete inert and says why", async () => {
    const calls = backend(0);
    const page = render(WorkspacesPage, { onopen: () => {} });
    await waitFor(() => rows(page.target).length === 2);
    const button = byTestId<HTMLButtonElement>(rows(page.target)[0], 'delete-default-workspace')!;
    expect(button.getAttribute('aria-disabled')).toBe('true');
    const reason = document.getElementById(button.getAttribute('aria-describedby')!)!;
    expect(reason.textContent).toBe('The default workspace cannot be deleted.');
    click(button);
    expect(byTestId(page.target, 'delete-workspace-dialog')).toBeNull();
    expect(calls.some(([c]) => c === 'workspace_key_count')).toBe(false);
    page.destroy();
  });

  it('states how many keys will be revoked before deleting, then deletes and keeps focus on the table', async () => {
    const calls = backend(12);
    const page = render(WorkspacesPage, { onopen: () => {} });
    await waitFor(() => rows(page.target).length === 2);
    click(byTestId(rows(page.target)[1], 'delete-workspace'));
    const consequence = await waitFor(() => byTestId(page.target, 'delete-consequence'));
    expect(consequence.textContent).toContain('12 keys will stop working immediately.');
    expect(calls.some(([c]) => c === 'delete_workspace')).toBe(false);

    click(byTestId(page.target, 'delete-workspace-confirm'));
    await waitFor(() => rows(page.target).length === 1);
    expect(calls.find(([c]) => c === 'delete_workspace')![1]).toEqual({ workspace_id: workspace().id, confirmed: true });
    expect(page.target.querySelector('[role="status"]')!.textContent).toBe('Workspace “Research” deleted; 12 keys revoked.');
    await waitFor(() => document.activeElement === byTestId(page.target, 'workspaces-table'));
    page.destroy();
  });

  it('says so when the workspace to delete has no keys', async () => {
    backend(0);
    const page = render(WorkspacesPage, { onopen: () => {} });
    await waitFor(() => rows(page.target).length === 2);
    click(byTestId(rows(page.target)[1], 'delete-workspace'));
    const consequence = await waitFor(() => byTestId(page.target, 'delete-consequence'));
    expect(consequence.textContent).toContain('no API keys');
    page.destroy();
  });
});

describe('workspace form dialog', () => {
  it('requires a name, shown next to the name field, without calling the backend', async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === 'list_users') return [];
      throw { code: 'internal', message: cmd };
    });
    const view = render(WorkspaceFormDialog, { onsaved: () => {}, onclose: () => {} });
    type(view.target.querySelector<HTMLInputElement>('#workspace-name'), '   ');
    click(byTestId(view.target, 'workspace-form-submit'));
    const error = await waitFor(() => byTestId(view.target, 'workspace-name-error'));
    expect(error.textContent).toBe('Name is required.');
    expect(view.target.querySelector('#workspace-name')!.getAttribute('aria-invalid')).toBe('true');
    expect(calls).not.toContain('create_workspace');
    view.destroy();
  });

  it("shows the server's name conflict next to the name field", async () => {
    const message = 'A workspace named Research already exists.';
    mockIPC((cmd) => {
      if (cmd === 'list_users') return [];
      if (cmd === 'create_workspace') throw { code: 'conflict', message, field: 'name' };
      throw { code: 'internal', message: cmd };
    });
    let saved = false;
    const view = render(WorkspaceFormDialog, { onsaved: () => (saved = true), onclose: () => {} });
    type(view.target.querySelector<HTMLInputElement>('#workspace-name'), 'Research');
    click(byTestId(view.target, 'workspace-form-submit'));
    const error = await waitFor(() => byTestId(view.target, 'workspace-name-error'));
    expect(error.textContent).toBe(message);
    expect(view.target.querySelector('#workspace-name')!.getAttribute('aria-describedby')).toContain('workspace-name-error');
    expect(view.target.querySelector('.form-error')).toBeNull();
    expect(saved).toBe(false);
    view.destroy();
  });

  it('saves an edited workspace with the trimmed fields', async () => {
    const patches: any[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'update_workspace') {
        patches.push((args as any).patch);
        return workspace({ name: (args as any).patch.name });
      }
      throw { code: 'internal', message: cmd };
    });
    let savedName = '';
    const view = render(WorkspaceFormDialog, { workspace: workspace(), onsaved: (w: Workspace) => (savedName = w.name), onclose: () => {} });
    expect(view.target.querySelector<HTMLInputElement>('#workspace-name')!.value).toBe('Research');
    type(view.target.querySelector<HTMLInputElement>('#workspace-name'), '  Research lab ');
    click(byTestId(view.target, 'workspace-form-submit'));
    await waitFor(() => savedName === 'Research lab');
    expect(patches[0]).toEqual({ name: 'Research lab', icon: 'R', description: 'Models and experiments' });
    view.destroy();
  });
});
