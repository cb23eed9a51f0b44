import { describe, expect, it } from 'vitest';
import { apiKey } from '../test/fixtures';
import {
  bulkConsequence,
  emptyFilterForm,
  envFileSavedMessage,
  explainNewKeyError,
  graceSeconds,
  nextSort,
  toKeyFilter,
  unavailableReason,
  unusedDaysError,
  virtualWindow,
} from './keys';

describe('key filters', () => {
  it('turns the filter form into the backend filter', () => {
    const form = { ...emptyFilterForm(), search: '  wxyz ', status: 'expired' as const, unusedDays: '30', product: 'Vibe' as const };
    expect(toKeyFilter(form)).toEqual({
      search: 'wxyz',
      status: 'expired',
      product: 'Vibe',
      unused_for_days: 30,
      workspace_id: null,
      owner_id: null,
    });
  });

  it('a fixed workspace wins over the form; invalid "unused" input is left out', () => {
    const form = { ...emptyFilterForm(), workspaceId: 'other', unusedDays: '-3' };
    const filter = toKeyFilter(form, 'fixed');
    expect(filter.workspace_id).toBe('fixed');
    expect(filter.unused_for_days).toBeNull();
    expect(unusedDaysError('-3')).toMatch(/whole number/);
    expect(unusedDaysError('2.5')).toMatch(/whole number/);
    expect(unusedDaysError('')).toBeUndefined();
  });
});

describe('sorting and the virtual window', () => {
  it('cycles a column header asc → desc → none (the backend sorts)', () => {
    const s1 = nextSort(null, 'created');
    const s2 = nextSort(s1, 'created');
    expect(s1).toEqual({ column: 'created', descending: false });
    expect(s2).toEqual({ column: 'created', descending: true });
    expect(nextSort(s2, 'created')).toBeNull();
    expect(nextSort(s2, 'name')).toEqual({ column: 'name', descending: false });
  });

  it('renders only the rows in view (plus overscan) of 100,000', () => {
    const w = virtualWindow(32 * 50_000, 640, 32, 100_000);
    expect(w.start).toBe(49_990);
    expect(w.end).toBe(50_030);
    expect(virtualWindow(0, 640, 32, 5)).toEqual({ start: 0, end: 5 });
  });
});

describe('actions, bulk and rotation', () => {
  it('explains why an action is unavailable', () => {
    expect(unavailableReason({ status: 'available' }, 'rotated')).toBeUndefined();
    expect(unavailableReason({ status: 'unavailable', reason: 'key_expired' }, 'rotated')).toMatch(/expired key cannot be rotated/);
    expect(unavailableReason({ status: 'unavailable', reason: 'not_allowed' }, 'deleted')).toMatch(/not allowed to delete/);
  });

  it('states the consequence in numbers', () => {
    expect(bulkConsequence(1)).toBe('1 key will stop working immediately.');
    expect(bulkConsequence(12)).toBe('12 keys will stop working immediately.');
  });

  it('grace periods: hours or days, at most 30 days', () => {
    expect(graceSeconds('2', 'hours')).toBe(7200);
    expect(graceSeconds('30', 'days')).toBe(30 * 86400);
    expect(graceSeconds('31', 'days')).toBeNull();
    expect(graceSeconds('0', 'hours')).toBeNull();
    expect(graceSeconds('', 'hours')).toBeNull();
  });
});

describe('a refused key creation', () => {
  it('goes next to the field the backend names, or above the form', async () => {
    const { BackendError } = await import('../api');
    expect(explainNewKeyError(new BackendError('validation', 'too long', 'name'))).toEqual({ field: 'name', message: 'too long' });
    expect(explainNewKeyError(new BackendError('validation', 'in the past', 'expiration_date'))).toEqual({ field: 'expiration', message: 'in the past' });
    expect(explainNewKeyError(new BackendError('forbidden', 'not a member'))).toEqual({ form: 'Not allowed: not a member' });
    expect(explainNewKeyError(new BackendError('validation', 'odd', 'unknown_field'))).toEqual({ form: 'odd' });
  });
});

describe('saving a key to a .env file', () => {
  it('says whether the variable was added or replaced, and when the file is new', () => {
    expect(envFileSavedMessage({ path: '/p/.env', created: true, replaced: false })).toBe('Added MISTRAL_API_KEY to /p/.env (new file, readable only by you).');
    expect(envFileSavedMessage({ path: '/p/.env', created: false, replaced: true })).toBe('Replaced MISTRAL_API_KEY in /p/.env.');
  });
});
