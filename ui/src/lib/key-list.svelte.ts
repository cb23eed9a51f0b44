// The API keys list as state, without the page around it: the filter form and
// sort, the pages loaded from the backend, the count, and the bulk selection.

import { SvelteSet } from 'svelte/reactivity';
import { listKeys, type ApiKey, type KeyFilter, type KeyPage, type Uuid } from '../api';
import { plural } from './format';
import { emptyFilterForm, isFiltered, nextSort, toKeyFilter, unusedDaysError, type KeyFilterForm, type Sort, type SortColumn } from './keys';

/** Keys fetched per page while scrolling. */
export const PAGE_SIZE = 200;
/** Keys fetched per request while selecting every matching key. */
export const SELECT_PAGE_SIZE = 1000;
/** "Select all matching" stops at this many keys. */
export const SELECT_CAP = 10_000;
/** The next page is fetched when the rendered rows come this close to the loaded end. */
export const LOAD_AHEAD = 20;

/** The table's sortable columns, in order, with their header text. */
const COLUMNS: Array<[SortColumn, string]> = [
  ['name', 'Name'],
  ['hidden_key', 'Key'],
  ['product', 'Type'],
  ['workspace', 'Workspace'],
  ['owner', 'Owner'],
  ['created', 'Created'],
  ['last_used', 'Last used'],
  ['expires', 'Expires'],
  ['status', 'Status'],
];

/** The columns shown: a workspace's own list has no Workspace column. */
export function keyColumns(fixedWorkspace: boolean): Array<[SortColumn, string]> {
  return fixedWorkspace ? COLUMNS.filter(([c]) => c !== 'workspace') : COLUMNS;
}

export interface KeyListOptions {
  /** Only this workspace's keys; the form's workspace is ignored. */
  fixedWorkspace?: Uuid;
  /** Start filtered to this owner (a filter the user can clear). */
  ownerId?: Uuid;
  /** Start with this search text. */
  search?: string;
  /** Fetches one page; the backend's `list_keys` unless given. */
  fetchPage?: (filter: KeyFilter) => Promise<KeyPage>;
  /** Called when a new first page replaces the rows, so the view can scroll back to the top. */
  onreset?: () => void;
}

export class KeyList {
  /** The filter form, bound to the filters bar. */
  form = $state<KeyFilterForm>(emptyFilterForm());

  #sort = $state<Sort | null>(null);
  #keys = $state<ApiKey[] | null>(null);
  #total = $state(0);
  #totalExact = $state(true);
  #done = $state(false);
  #loadingMore = $state(false);
  /** Set when fetching the next page failed: no automatic retry loop. */
  #morePaused = $state(false);
  #loadError = $state<string | null>(null);
  #loadedQuery = $state('');
  readonly #selected = new SvelteSet<string>();
  /** Counts first-page requests, so an answer to an older one is dropped. */
  #requestSeq = 0;

  readonly #fixedWorkspace: Uuid | undefined;
  readonly #fetchPage: (filter: KeyFilter) => Promise<KeyPage>;
  readonly #onreset: (() => void) | undefined;
  /** The sortable columns shown. */
  readonly columns: Array<[SortColumn, string]>;

  constructor(options: KeyListOptions = {}) {
    this.#fixedWorkspace = options.fixedWorkspace;
    this.#fetchPage = options.fetchPage ?? listKeys;
    this.#onreset = options.onreset;
    this.columns = keyColumns(Boolean(options.fixedWorkspace));
    this.form = { ...emptyFilterForm(), ownerId: options.ownerId ?? '', search: options.search ?? '' };
  }

  /** What the backend is asked for: the form, the fixed workspace and the sort
   *  (the backend sorts, so the order holds across every page, not only the loaded rows). */
  readonly filter: KeyFilter = $derived.by(() => ({ ...toKeyFilter(this.form, this.#fixedWorkspace), sort: this.#sort }));
  /** The error under "Unused for N days", if its text is not a whole number of days. */
  readonly unusedError: string | undefined = $derived(unusedDaysError(this.form.unusedDays));
  /** True when any filter or search is set. */
  readonly filtered: boolean = $derived(isFiltered(this.form));

  /** The loaded keys; null until the first page arrives. */
  get keys(): ApiKey[] | null {
    return this.#keys;
  }

  /** The loaded keys, empty before the first page. */
  get rows(): ApiKey[] {
    return this.#keys ?? [];
  }

  /** Matching keys as the backend counted them (up to its cap). */
  get total(): number {
    return this.#total;
  }

  /** True when every matching key has been loaded. */
  get done(): boolean {
    return this.#done;
  }

  get loadError(): string | null {
    return this.#loadError;
  }

  /** The search the shown rows answer (the page shows it as the scroller's data-query, which the benchmark reads). */
  get loadedQuery(): string {
    return this.#loadedQuery;
  }

  get sort(): Sort | null {
    return this.#sort;
  }

  /** "1 key", "1,284 keys", "10,000+ keys" when the count stopped at the cap; blank before the first page. */
  get countText(): string {
    if (this.#keys === null) return ' ';
    return this.#totalExact ? plural(this.#total, 'key') : `${this.#total.toLocaleString()}+ keys`;
  }

  /** A column header's `aria-sort`. */
  ariaSort(column: SortColumn): 'ascending' | 'descending' | 'none' {
    const sort = this.#sort;
    return sort?.column === column ? (sort.descending ? 'descending' : 'ascending') : 'none';
  }

  /** A click on a column header: ascending, then descending, then unsorted. */
  sortBy(column: SortColumn): void {
    this.#sort = nextSort(this.#sort, column);
  }

  /** Empties every filter and the search (the owner the list opened with too). */
  clearFilters(): void {
    this.form = emptyFilterForm();
  }

  /** Fetches the first page for the current filter; the selection is dropped with the old rows. */
  async reload(): Promise<void> {
    const seq = ++this.#requestSeq;
    this.#loadError = null;
    this.#morePaused = false;
    try {
      const page = await this.#fetchPage({ ...this.filter, limit: PAGE_SIZE, offset: 0 });
      if (seq !== this.#requestSeq) return;
      this.#keys = page.keys;
      this.#total = page.total;
      this.#totalExact = page.total_exact;
      this.#done = page.keys.length < PAGE_SIZE;
      this.#loadedQuery = this.filter.search ?? '';
      this.#selected.clear();
      this.#onreset?.();
    } catch (e) {
      if (seq === this.#requestSeq) this.#loadError = (e as Error).message;
    }
  }

  /** True when rendering up to row `windowEnd` should fetch the next page. */
  wantsMore(windowEnd: number): boolean {
    return this.#keys !== null && windowEnd >= this.#keys.length - LOAD_AHEAD && !this.#done && !this.#morePaused;
  }

  /** Appends the next page; a failure pauses loading more until the next reload. */
  async loadMore(): Promise<void> {
    if (this.#done || this.#loadingMore || this.#keys === null) return;
    const seq = this.#requestSeq;
    this.#loadingMore = true;
    try {
      const page = await this.#fetchPage({ ...this.filter, limit: PAGE_SIZE, offset: this.#keys.length });
      if (seq !== this.#requestSeq || this.#keys === null) return;
      this.#keys = [...this.#keys, ...page.keys];
      this.#done = page.keys.length < PAGE_SIZE;
    } catch (e) {
      this.#loadError = (e as Error).message;
      this.#morePaused = true;
    } finally {
      this.#loadingMore = false;
    }
  }

  isSelected(keyId: string): boolean {
    return this.#selected.has(keyId);
  }

  get selectedCount(): number {
    return this.#selected.size;
  }

  /** The selected key ids, in the order they were selected. */
  get selectedIds(): string[] {
    return [...this.#selected];
  }

  toggle(key: ApiKey): void {
    if (this.#selected.has(key.key_id)) this.#selected.delete(key.key_id);
    else this.#selected.add(key.key_id);
  }

  clearSelection(): void {
    this.#selected.clear();
  }

  /**
   * Selects every key matching the filter that may be deleted, on every page
   * (loaded or not), up to SELECT_CAP. A failed fetch throws and leaves the
   * selection as it was.
   */
  async selectAllMatching(): Promise<void> {
    let offset = 0;
    const ids: string[] = [];
    for (;;) {
      const page = await this.#fetchPage({ ...this.filter, limit: SELECT_PAGE_SIZE, offset });
      for (const k of page.keys) if (k.actions.delete.status === 'available') ids.push(k.key_id);
      offset += page.keys.length;
      if (page.keys.length < SELECT_PAGE_SIZE || ids.length >= SELECT_CAP) break;
    }
    this.#selected.clear();
    for (const id of ids.slice(0, SELECT_CAP)) this.#selected.add(id);
  }
}
