// The keys table's logic, kept out of the component so it can be tested:
// turning the filter form into a backend `KeyFilter`, the column-header sort
// cycle, the virtual window, why an action is unavailable, what a failed
// key action or key creation says, and what saving a key to a .env file did.

import { BackendError } from '../api';
import type { ActionAvailability, ApiKey, EnvFileSaved, KeyFilter, KeyProduct, KeySort, KeySortColumn, KeyStatus, Uuid } from '../api';

export interface KeyFilterForm {
  search: string;
  status: KeyStatus | '';
  product: KeyProduct | '';
  unusedDays: string;
  workspaceId: Uuid | '';
  ownerId: Uuid | '';
}

export function emptyFilterForm(): KeyFilterForm {
  return { search: '', status: '', product: '', unusedDays: '', workspaceId: '', ownerId: '' };
}

/** The form's error for "unused for N days", if any (whole days, 1..36500). */
export function unusedDaysError(text: string): string | undefined {
  if (text.trim() === '') return undefined;
  const n = Number(text.trim());
  return Number.isInteger(n) && n >= 1 && n <= 36500 ? undefined : 'Enter a whole number of days (at least 1).';
}

/** The backend filter for the form (invalid "unused" input is left out). */
export function toKeyFilter(form: KeyFilterForm, fixedWorkspace?: Uuid, fixedOwner?: Uuid): KeyFilter {
  const search = form.search.trim();
  const unused = unusedDaysError(form.unusedDays) === undefined && form.unusedDays.trim() !== '' ? Number(form.unusedDays) : null;
  return {
    search: search === '' ? null : search,
    status: form.status === '' ? null : form.status,
    product: form.product === '' ? null : form.product,
    unused_for_days: unused,
    workspace_id: fixedWorkspace ?? (form.workspaceId === '' ? null : form.workspaceId),
    owner_id: fixedOwner ?? (form.ownerId === '' ? null : form.ownerId),
  };
}

export function isFiltered(form: KeyFilterForm): boolean {
  return Object.values(form).some((v) => v.trim() !== '');
}

export type SortColumn = KeySortColumn;
export type Sort = KeySort;

/** Clicking a column header: ascending, then descending, then back to none. */
export function nextSort(current: Sort | null, column: SortColumn): Sort | null {
  if (current?.column !== column) return { column, descending: false };
  if (!current.descending) return { column, descending: true };
  return null;
}

/** The rows to render for a scroll position: [start, end) with overscan. */
export function virtualWindow(scrollTop: number, viewport: number, rowHeight: number, count: number, overscan = 10) {
  const first = Math.floor(scrollTop / rowHeight);
  const start = Math.max(0, first - overscan);
  const end = Math.min(count, first + Math.ceil(viewport / rowHeight) + overscan);
  return { start, end: Math.max(start, end) };
}

/** Why an action is unavailable, in words; undefined when available. */
export function unavailableReason(action: ActionAvailability, verb: string): string | undefined {
  if (action.status === 'available') return undefined;
  switch (action.reason) {
    case 'key_expired':
      return `An expired key cannot be ${verb}.`;
    case 'unsupported_scope':
      return `This type of key cannot be ${verb} here.`;
    case 'not_allowed':
      return `You are not allowed to ${verb === 'rotated' ? 'rotate' : 'delete'} this key.`;
    default:
      return `This key cannot be ${verb}.`;
  }
}

/** The message for a failed action on a key (delete, rename…), by error code. */
export function explainKeyError(e: unknown): string {
  const err = e instanceof BackendError ? e : new BackendError('internal', String(e));
  switch (err.code) {
    case 'not_found':
      return `That key no longer exists. ${err.message}`;
    case 'forbidden':
      return `Not allowed: ${err.message}`;
    default:
      return err.message;
  }
}

/** "12 keys will stop working immediately." */
export function bulkConsequence(count: number): string {
  return count === 1 ? '1 key will stop working immediately.' : `${count.toLocaleString()} keys will stop working immediately.`;
}

/** Seconds of a grace period typed as an amount and a unit; null when invalid. */
export function graceSeconds(amount: string, unit: 'hours' | 'days'): number | null {
  const n = Number(amount.trim());
  if (amount.trim() === '' || !Number.isInteger(n) || n < 1) return null;
  const seconds = n * (unit === 'hours' ? 3600 : 86400);
  return seconds <= 30 * 86400 ? seconds : null;
}

/** The new-key forms' fields, by the backend's field names. */
const NEW_KEY_FIELD: Record<string, string> = {
  name: 'name',
  expiration: 'expiration',
  expiration_date: 'expiration',
  workspace_id: 'workspace',
  connector_scope: 'scope',
  product: 'product',
};

/** Where a refused key creation is shown: next to the form field it names, or above the form. */
export function explainNewKeyError(e: unknown): { field: string; message: string } | { form: string } {
  const err = e instanceof BackendError ? e : new BackendError('internal', String(e));
  const field = err.field ? NEW_KEY_FIELD[err.field] : undefined;
  if (err.code === 'validation' && field) return { field, message: err.message };
  if (err.code === 'forbidden') return { form: `Not allowed: ${err.message}` };
  return { form: err.message };
}

/** What saving a key to a .env file did, in words. */
export function envFileSavedMessage(saved: EnvFileSaved, variable = 'MISTRAL_API_KEY'): string {
  const did = saved.replaced ? `Replaced ${variable} in` : `Added ${variable} to`;
  return `${did} ${saved.path}${saved.created ? ' (new file, readable only by you)' : ''}.`;
}
