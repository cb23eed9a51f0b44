import { describe, expect, it } from 'vitest';
import type { ApiKey, KeyFilter, KeyPage } from '../api';
import { apiKey, SECRET, WS_ID } from '../test/fixtures';
import { KeyList, PAGE_SIZE, SELECT_CAP, SELECT_PAGE_SIZE, keyColumns } from './key-list.svelte';

/** `n` keys with predictable ids (key-0, key-1, …). */
function keys(n: number, overrides: Partial<ApiKey> = {}): ApiKey[] {
  return Array.from({ length: n }, (_, i) => apiKey(SECRET, { key_id: `key-${i}`, ...overrides }));
}

/** A backend answering pages of `all`, recording what it was asked. */
function backend(all: ApiKey[], total = all.length, totalExact = true) {
  const asked: KeyFilter[] = [];
  const fetchPage = async (filter: KeyFilter): Promise<KeyPage> => {
    asked.push(filter);
    const offset = filter.offset ?? 0;
    return { keys: all.slice(offset, offset + (filter.limit ?? all.length)), total, total_exact: totalExact };
  };
  return { asked, fetchPage };
}

const notMine: Partial<ApiKey> = { actions: { rotate: { status: 'available' }, delete: { status: 'unavailable', reason: 'not_allowed' } } };

describe('filters and sort', () => {
  it('opens filtered to the given owner and search, and Clear filters drops both', async () => {
    const { asked, fetchPage } = backend([]);
    const list = new KeyList({ ownerId: 'bob', search: '7f3a', fetchPage });
    expect(list.filtered).toBe(true);
    await list.reload();
    expect(asked[0]).toMatchObject({ owner_id: 'bob', search: '7f3a', offset: 0, limit: PAGE_SIZE });

    list.clearFilters();
    expect(list.filtered).toBe(false);
    expect(list.filter).toMatchObject({ owner_id: null, search: null });
  });

  it("a workspace's own list always asks for that workspace and has no Workspace column", () => {
    const list = new KeyList({ fixedWorkspace: WS_ID, fetchPage: backend([]).fetchPage });
    list.form.workspaceId = 'another';
    expect(list.filter.workspace_id).toBe(WS_ID);
    expect(list.columns.map(([column]) => column)).not.toContain('workspace');
    expect(new KeyList().columns.map(([column]) => column)).toContain('workspace');
    expect(keyColumns(true)).toHaveLength(keyColumns(false).length - 1);
  });

  it('a column header sorts ascending, then descending, then not at all, and the backend is asked for that order', async () => {
    const { asked, fetchPage } = backend(keys(3));
    const list = new KeyList({ fetchPage });
    expect(list.ariaSort('name')).toBe('none');

    list.sortBy('name');
    expect(list.ariaSort('name')).toBe('ascending');
    expect(list.ariaSort('created')).toBe('none');
    await list.reload();
    expect(asked.at(-1)?.sort).toEqual({ column: 'name', descending: false });

    list.sortBy('name');
    expect(list.ariaSort('name')).toBe('descending');
    expect(list.filter.sort).toEqual({ column: 'name', descending: true });

    list.sortBy('name');
    expect(list.ariaSort('name')).toBe('none');
    expect(list.filter.sort).toBeNull();
  });

  it('an "unused for" value that is not a whole number of days shows an error and is left out of the request', () => {
    const list = new KeyList({ fetchPage: backend([]).fetchPage });
    list.form.unusedDays = '2.5';
    expect(list.unusedError).toBe('Enter a whole number of days (at least 1).');
    expect(list.filter.unused_for_days).toBeNull();

    list.form.unusedDays = '90';
    expect(list.unusedError).toBeUndefined();
    expect(list.filter.unused_for_days).toBe(90);
  });
});

describe('count and pages', () => {
  it('the count is blank until the first page, then "N keys", or "N+ keys" when the backend stopped counting', async () => {
    const exact = new KeyList({ fetchPage: backend(keys(1)).fetchPage });
    expect(exact.countText).toBe(' ');
    await exact.reload();
    expect(exact.countText).toBe('1 key');

    const capped = new KeyList({ fetchPage: backend(keys(3), 10_000, false).fetchPage });
    await capped.reload();
    expect(capped.countText).toBe('10,000+ keys');
  });

  it('a first page shorter than a full page means every key is loaded', async () => {
    const list = new KeyList({ fetchPage: backend(keys(5)).fetchPage });
    expect(list.wantsMore(0)).toBe(false);
    await list.reload();
    expect(list.rows).toHaveLength(5);
    expect(list.done).toBe(true);
    expect(list.wantsMore(5)).toBe(false);
  });

  it('scrolling within 20 rows of the loaded end fetches the next page after the loaded rows', async () => {
    const all = keys(PAGE_SIZE * 2 + 50);
    const { asked, fetchPage } = backend(all);
    const list = new KeyList({ fetchPage });
    await list.reload();
    expect(list.rows).toHaveLength(PAGE_SIZE);
    expect(list.done).toBe(false);
    expect(list.wantsMore(PAGE_SIZE - 21)).toBe(false);
    expect(list.wantsMore(PAGE_SIZE - 20)).toBe(true);

    await list.loadMore();
    expect(asked.at(-1)).toMatchObject({ offset: PAGE_SIZE, limit: PAGE_SIZE });
    await list.loadMore();
    expect(list.rows.map((k) => k.key_id)).toEqual(all.map((k) => k.key_id));
    expect(list.done).toBe(true);
  });

  it('an answer to an older search is dropped once a newer search was asked', async () => {
    const answers: Array<(page: KeyPage) => void> = [];
    const list = new KeyList({ fetchPage: () => new Promise((resolve) => answers.push(resolve)) });
    list.form.search = 'old';
    const older = list.reload();
    list.form.search = 'new';
    const newer = list.reload();

    answers[1]({ keys: keys(1, { name: 'new' }), total: 1, total_exact: true });
    await newer;
    answers[0]({ keys: keys(2, { name: 'old' }), total: 2, total_exact: true });
    await older;

    expect(list.rows.map((k) => k.name)).toEqual(['new']);
    expect(list.countText).toBe('1 key');
    expect(list.loadedQuery).toBe('new');
  });

  it('a failed next page shows the error and stops asking for more until the list reloads', async () => {
    let fail = false;
    const list = new KeyList({
      fetchPage: async (filter) => {
        if (fail) throw new Error('the server cannot be reached');
        return backend(keys(PAGE_SIZE * 2)).fetchPage(filter);
      },
    });
    await list.reload();
    fail = true;
    await list.loadMore();
    expect(list.loadError).toBe('the server cannot be reached');
    expect(list.rows).toHaveLength(PAGE_SIZE);
    expect(list.wantsMore(PAGE_SIZE)).toBe(false);

    fail = false;
    await list.reload();
    expect(list.loadError).toBeNull();
    expect(list.wantsMore(PAGE_SIZE)).toBe(true);
  });

  it('a failed first page shows the error and keeps the rows already shown', async () => {
    let fail = false;
    const list = new KeyList({
      fetchPage: async (filter) => {
        if (fail) throw new Error('database is locked');
        return backend(keys(2)).fetchPage(filter);
      },
    });
    await list.reload();
    fail = true;
    await list.reload();
    expect(list.loadError).toBe('database is locked');
    expect(list.rows).toHaveLength(2);
  });

  it('a new first page calls onreset so the view goes back to the top', async () => {
    let resets = 0;
    const list = new KeyList({ fetchPage: backend(keys(PAGE_SIZE * 2)).fetchPage, onreset: () => resets++ });
    await list.reload();
    await list.loadMore();
    expect(resets).toBe(1);
    await list.reload();
    expect(resets).toBe(2);
  });
});

describe('selection', () => {
  it('ticking a key selects it and ticking it again unselects it', async () => {
    const all = keys(3);
    const list = new KeyList({ fetchPage: backend(all).fetchPage });
    await list.reload();
    list.toggle(all[0]);
    list.toggle(all[2]);
    expect(list.selectedIds).toEqual(['key-0', 'key-2']);
    expect(list.isSelected('key-2')).toBe(true);
    list.toggle(all[0]);
    expect(list.selectedIds).toEqual(['key-2']);
    expect(list.selectedCount).toBe(1);
    list.clearSelection();
    expect(list.selectedCount).toBe(0);
  });

  it('changing a filter drops the selection, even of keys the new rows still show', async () => {
    const all = keys(3);
    const list = new KeyList({ fetchPage: backend(all).fetchPage });
    await list.reload();
    list.toggle(all[0]);
    list.form.status = 'active';
    await list.reload();
    expect(list.rows.map((k) => k.key_id)).toContain('key-0');
    expect(list.isSelected('key-0')).toBe(false);
    expect(list.selectedCount).toBe(0);
  });

  it('select all matching takes keys from pages not loaded yet and leaves out keys the user may not delete', async () => {
    const all = [...keys(PAGE_SIZE + 300), apiKey(SECRET, { key_id: 'not-mine', ...notMine })];
    const { asked, fetchPage } = backend(all);
    const list = new KeyList({ fetchPage });
    list.form.status = 'expired';
    await list.reload();
    expect(list.rows).toHaveLength(PAGE_SIZE);

    await list.selectAllMatching();
    expect(list.selectedCount).toBe(PAGE_SIZE + 300);
    expect(list.isSelected(`key-${PAGE_SIZE + 299}`)).toBe(true);
    expect(list.isSelected('not-mine')).toBe(false);
    expect(asked.at(-1)).toMatchObject({ status: 'expired', limit: SELECT_PAGE_SIZE, offset: 0 });
  });

  it('select all matching stops at 10,000 keys', async () => {
    const { asked, fetchPage } = backend(keys(SELECT_CAP + 2500));
    const list = new KeyList({ fetchPage });
    await list.selectAllMatching();
    expect(SELECT_CAP).toBe(10_000);
    expect(list.selectedCount).toBe(10_000);
    expect(asked).toHaveLength(SELECT_CAP / SELECT_PAGE_SIZE);
  });

  it('a failed select all matching keeps the selection the user had', async () => {
    const all = keys(3);
    let fail = false;
    const list = new KeyList({
      fetchPage: async (filter) => {
        if (fail) throw new Error('the server cannot be reached');
        return backend(all).fetchPage(filter);
      },
    });
    await list.reload();
    list.toggle(all[1]);
    fail = true;
    await expect(list.selectAllMatching()).rejects.toThrow('the server cannot be reached');
    expect(list.selectedIds).toEqual(['key-1']);
  });
});
