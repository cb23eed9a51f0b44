import { describe, expect, it } from 'vitest';
import { formatUsd, parseUsd } from './money';
import { byModel, fillMonth, projectedLimitDay, sumDaily } from './usage';
import {
  checkPolicyDays,
  checkRate,
  checkSpendLimit,
  checkTokensPerMinute,
  latestExpiration,
  validateNewKey,
  validateUser,
} from './validation';

describe('limits validate like the backend', () => {
  it('spend limit: dollars, not above the organization limit, empty = no limit', () => {
    expect(checkSpendLimit('', 100_000_000, parseUsd, formatUsd)).toEqual({ micros: null });
    expect(checkSpendLimit('99.50', null, parseUsd, formatUsd)).toEqual({ micros: 99_500_000 });
    expect(checkSpendLimit('abc', null, parseUsd, formatUsd).error).toMatch(/amount in dollars/);
    expect(checkSpendLimit('1.234', null, parseUsd, formatUsd).error).toBe('Enter an amount in dollars, e.g. 250 or 99.50.');
    expect(checkSpendLimit('101', 100_000_000, parseUsd, formatUsd).error).toMatch(/organization's monthly limit/);
  });

  it('expiry policy: 1..3650 days, not longer than the organization', () => {
    expect(checkPolicyDays('', 90)).toEqual({ days: null });
    expect(checkPolicyDays('0', null).error).toBe('Enter a whole number of days from 1 to 3650.');
    expect(checkPolicyDays('3651', null).error).toBe('Enter a whole number of days from 1 to 3650.');
    expect(checkPolicyDays('120', 90).error).toMatch(/policy of 90 days/);
    expect(checkPolicyDays('30', 90)).toEqual({ days: 30 });
  });

  it('tokens per minute: per model, whole numbers ≥ 1, blank rows ignored', () => {
    expect(checkTokensPerMinute([{ model: 'large', value: '1000' }, { model: '', value: '' }])).toEqual({ value: { large: 1000 } });
    expect(checkTokensPerMinute([{ model: 'large', value: '0' }]).error).toBe('Tokens per minute for large must be a whole number, at least 1.');
    expect(checkTokensPerMinute([{ model: '', value: '5' }]).error).toMatch(/model id/);
    expect(checkTokensPerMinute([{ model: 'a', value: '1' }, { model: 'a', value: '2' }]).error).toBe('a is listed twice.');
  });

  it('rate limit: at least 1 request per second', () => {
    expect(checkRate('0').error).toBe('Enter a whole number of requests per second, at least 1.');
    expect(checkRate('5')).toEqual({ value: 5 });
    expect(checkRate('')).toEqual({ value: null });
  });

  it('new key: past dates refused, the picker ends at the stricter policy', () => {
    const today = new Date('2025-03-10T12:00:00Z');
    expect(latestExpiration(90, 30, today)).toBe('2025-04-09');
    expect(latestExpiration(null, null, today)).toBeNull();
    expect(validateNewKey({ name: '', expiration: '2025-03-09' }, today).expiration).toMatch(/today or a later date/);
    expect(validateNewKey({ name: '', expiration: '2025-03-10' }, today)).toEqual({});
    expect(validateNewKey({ name: 'x'.repeat(256), expiration: '' }, today).name).toBe('Name must be at most 255 characters.');
  });

  it('members: email required and well-formed', () => {
    expect(validateUser({ email: '', name: '' }).email).toBe('Email is required.');
    expect(validateUser({ email: 'bob@', name: '' }).email).toMatch(/look like/);
    expect(validateUser({ email: 'bob@example.com', name: 'Bob' })).toEqual({});
  });
});

describe('usage arithmetic', () => {
  const now = new Date('2025-02-10T12:00:00Z');

  it('fills every day of the month and sums workspaces', () => {
    const month = fillMonth([{ day: '2025-02-03', cost_micros: 5 }], now);
    expect(month).toHaveLength(28);
    expect(month[2]).toEqual({ day: '2025-02-03', cost_micros: 5 });
    expect(sumDaily([[{ day: '2025-02-03', cost_micros: 5 }], [{ day: '2025-02-03', cost_micros: 7 }]])).toEqual([{ day: '2025-02-03', cost_micros: 12 }]);
  });

  it('projects the day the limit is reached at the current pace', () => {
    expect(projectedLimitDay(10_000_000, 20_000_000, now)).toBe(20);
    expect(projectedLimitDay(1_000_000, 20_000_000, now)).toBeNull();
    expect(projectedLimitDay(5, null, now)).toBeNull();
  });

  it('totals usage by model, most expensive first', () => {
    const rows = [
      { model: 'small', day: '2025-02-01', requests: 1, input_tokens: 1, output_tokens: 1, cost_micros: 1 },
      { model: 'large', day: '2025-02-01', requests: 1, input_tokens: 1, output_tokens: 1, cost_micros: 9 },
      { model: 'small', day: '2025-02-02', requests: 2, input_tokens: 1, output_tokens: 1, cost_micros: 1 },
    ];
    expect(byModel(rows).map((t) => [t.model, t.requests])).toEqual([['large', 1], ['small', 3]]);
  });
});
