import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { flushSync } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import type { User, WorkspaceMember } from '../api';
import { state, workspace } from '../test/fixtures';
import { byTestId, render, waitFor } from '../test/dom';
import MembersPage from './MembersPage.svelte';
import WorkspaceMembers from './WorkspaceMembers.svelte';

afterEach(() => {
  clearMocks();
  document.body.innerHTML = '';
});

function choose(select: HTMLSelectElement, value: string) {
  for (const option of select.options) option.selected = option.value === value;
  select.dispatchEvent(new Event('change', { bubbles: true }));
  flushSync();
}

const LAST_ADMIN = 'The organization must keep at least one admin.';
const bob: User = { id: 'bob-id', email: 'bob@example.com', name: 'Bob', org_role: 'member', created_at: '2025-01-01T00:00:00Z' };

describe('organization role errors', () => {
  it("shows a refused role change in that person's row, next to the role select", async () => {
    const ada = state.user!;
    mockIPC((cmd) => {
      if (cmd === 'list_users') return [ada, bob];
      if (cmd === 'set_user_role') throw { code: 'validation', message: LAST_ADMIN, field: 'org_role' };
      throw { code: 'internal', message: cmd };
    });
    const page = render(MembersPage, {});
    const rows = await waitFor(() => {
      const r = page.target.querySelectorAll<HTMLElement>('[data-testid="user-row"]');
      return r.length === 2 ? r : null;
    });
    const select = rows[0].querySelector<HTMLSelectElement>(`#org-role-${ada.id}`)!;
    choose(select, 'member');
    const error = await waitFor(() => byTestId(rows[0], 'user-row-error'));
    expect(error.textContent).toBe(LAST_ADMIN);
    expect(select.getAttribute('aria-invalid')).toBe('true');
    expect(select.getAttribute('aria-describedby')).toBe(error.id);
    // The select goes back to the role the person still has.
    await waitFor(() => select.value === 'admin');
    // Only that row says so; nothing at the top of the page.
    expect(byTestId(rows[1], 'user-row-error')).toBeNull();
    expect(page.target.querySelector('.form-error')).toBeNull();
    page.destroy();
  });

  it("shows a refused removal in that person's row", async () => {
    mockIPC((cmd) => {
      if (cmd === 'list_users') return [state.user, bob];
      if (cmd === 'remove_user') throw { code: 'conflict', message: 'bob still owns keys in a workspace' };
      throw { code: 'internal', message: cmd };
    });
    const page = render(MembersPage, {});
    const rows = await waitFor(() => {
      const r = page.target.querySelectorAll<HTMLElement>('[data-testid="user-row"]');
      return r.length === 2 ? r : null;
    });
    const remove = [...rows[1].querySelectorAll('button')].find((b) => b.textContent?.includes('Remove'))!;
    remove.click();
    remove.click();
    const error = await waitFor(() => byTestId(rows[1], 'user-row-error'));
    expect(error.textContent).toContain('bob still owns keys');
    expect(page.target.querySelector('.form-error')).toBeNull();
    page.destroy();
  });
});

describe('workspace role errors', () => {
  it("shows a refused role change in the member's row", async () => {
    const members: WorkspaceMember[] = [
      { user_id: state.user!.id, email: 'ada@example.com', name: 'Ada', role: 'admin', added_at: '2025-01-01T00:00:00Z' },
      { user_id: 'bob-id', email: 'bob@example.com', name: 'Bob', role: 'member', added_at: '2025-01-01T00:00:00Z' },
    ];
    const message = 'A workspace must keep at least one admin.';
    mockIPC((cmd) => {
      if (cmd === 'list_members') return members;
      if (cmd === 'list_users') return [state.user, bob];
      if (cmd === 'set_member_role') throw { code: 'validation', message, field: 'role' };
      throw { code: 'internal', message: cmd };
    });
    const view = render(WorkspaceMembers, { workspace: workspace() });
    const rows = await waitFor(() => {
      const r = view.target.querySelectorAll<HTMLElement>('[data-testid="member-row"]');
      return r.length === 2 ? r : null;
    });
    const select = rows[0].querySelector<HTMLSelectElement>('select')!;
    choose(select, 'member');
    const error = await waitFor(() => byTestId(rows[0], 'member-row-error'));
    expect(error.textContent).toBe(message);
    expect(select.getAttribute('aria-describedby')).toBe(error.id);
    await waitFor(() => select.value === 'admin');
    expect(view.target.querySelector('.form-error')).toBeNull();
    view.destroy();
  });
});
