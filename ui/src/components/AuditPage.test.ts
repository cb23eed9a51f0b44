import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditEvent, AuditFilter } from '../api';
import { state, USER_ID } from '../test/fixtures';
import { byTestId, click, render, type, waitFor } from '../test/dom';
import AuditPage from './AuditPage.svelte';

afterEach(() => {
  clearMocks();
  document.body.innerHTML = '';
});

const TARGET = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';

function backend() {
  const filters: AuditFilter[] = [];
  const event: AuditEvent = {
    id: 'e1', at: '2025-03-01T10:00:00Z', actor_id: USER_ID, actor_email: 'ada@example.com',
    action: 'api_key.deleted', target_type: 'api_key', target_id: TARGET, before: { name: 'CI' }, after: null,
  };
  mockIPC((cmd, args) => {
    if (cmd === 'list_users') return [state.user];
    if (cmd === 'list_audit') {
      filters.push((args as { filter: AuditFilter }).filter);
      return [event];
    }
    throw { code: 'internal', message: cmd };
  });
  return filters;
}

describe('audit log target', () => {
  it("filters on a target's full id when its short id in the table is pressed", async () => {
    const filters = backend();
    const page = render(AuditPage, {});
    const button = await waitFor(() => byTestId<HTMLButtonElement>(page.target, 'audit-target'));
    expect(button.textContent).toBe(TARGET.slice(0, 8));
    expect(button.tagName).toBe('BUTTON');
    click(button);
    expect(page.target.querySelector<HTMLInputElement>('#audit-target')!.value).toBe(TARGET);
    await waitFor(() => filters.length === 2);
    expect(filters[1].target_id).toBe(TARGET);
    page.destroy();
  });
});

describe('audit log dates', () => {
  it('refuses a "From" day after the "To" day next to the dates, without asking the backend', async () => {
    const filters = backend();
    const page = render(AuditPage, {});
    await waitFor(() => page.target.querySelector('[data-testid="audit-row"]'));
    const since = page.target.querySelector<HTMLInputElement>('#audit-since')!;
    type(since, '2025-03-10');
    type(page.target.querySelector<HTMLInputElement>('#audit-until'), '2025-03-01');
    click(page.target.querySelector<HTMLButtonElement>('button[type="submit"]'));
    const error = await waitFor(() => page.target.querySelector('#audit-range-error'));
    expect(error.textContent).toMatch(/on or before/);
    expect(since.getAttribute('aria-invalid')).toBe('true');
    expect(since.getAttribute('aria-describedby')).toBe('audit-range-error');
    expect(filters).toHaveLength(1);

    type(page.target.querySelector<HTMLInputElement>('#audit-until'), '2025-03-10');
    click(page.target.querySelector<HTMLButtonElement>('button[type="submit"]'));
    await waitFor(() => filters.length === 2);
    expect(page.target.querySelector('#audit-range-error')).toBeNull();
    page.destroy();
  });
});
