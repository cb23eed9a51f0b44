import { describe, expect, it } from 'vitest';
import { changes } from './audit';

describe('audit changes', () => {
  it('lists only the fields that changed', () => {
    expect(changes({ name: 'old', icon: 'R', actions: {} }, { name: 'new', icon: 'R', actions: { x: 1 } })).toEqual([
      { field: 'name', before: 'old', after: 'new' },
    ]);
  });

  it('a creation shows the new non-empty fields, a limit removal shows the old value', () => {
    expect(changes(null, { name: 'Payments', description: '' })).toEqual([{ field: 'name', after: 'Payments' }]);
    expect(changes({ monthly_spend_limit_micros: 5 }, { monthly_spend_limit_micros: null })).toEqual([
      { field: 'monthly_spend_limit_micros', before: '5', after: undefined },
    ]);
  });
});
