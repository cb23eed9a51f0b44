import { describe, expect, it } from 'vitest';
import { apiKey } from '../test/fixtures';
import { bySoonestExpiry, defaultPreset, expiryOf, expiryPresets, matchesSearch, policyMaxDays } from './tray-keys';

const NOW = new Date('2026-03-10T12:00:00Z');

describe('a key expiry in the tray', () => {
  it('reads "in N days" without warning when a week or more is left', () => {
    expect(expiryOf({ status: 'active', expiration_date: '2026-03-30' }, NOW)).toEqual({ text: 'in 20 days', tone: 'ok' });
    expect(expiryOf({ status: 'active', expiration_date: '2026-03-17' }, NOW)).toEqual({ text: 'in 7 days', tone: 'ok' });
  });

  it('warns when fewer than 7 days are left', () => {
    expect(expiryOf({ status: 'active', expiration_date: '2026-03-13' }, NOW)).toEqual({ text: 'in 3 days', tone: 'warning' });
    expect(expiryOf({ status: 'active', expiration_date: '2026-03-11' }, NOW)).toEqual({ text: 'in 1 day', tone: 'warning' });
    expect(expiryOf({ status: 'active', expiration_date: '2026-03-10' }, NOW)).toEqual({ text: 'expires today', tone: 'warning' });
  });

  it('reads "expired" once the last valid day is over, or when the backend says so', () => {
    expect(expiryOf({ status: 'active', expiration_date: '2026-03-09' }, NOW)).toEqual({ text: 'expired', tone: 'expired' });
    expect(expiryOf({ status: 'expired', expiration_date: '2026-03-20' }, NOW)).toEqual({ text: 'expired', tone: 'expired' });
  });

  it('says so when the key never expires', () => {
    expect(expiryOf({ status: 'active', expiration_date: null }, NOW)).toEqual({ text: 'never expires', tone: 'none' });
  });
});

describe('the tray list order', () => {
  it('puts the soonest expiry first and keys that never expire last', () => {
    const keys = [
      apiKey('kd_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1', { name: 'never', expiration_date: null }),
      apiKey('kd_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2', { name: 'late', expiration_date: '2026-09-01' }),
      apiKey('kd_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa3', { name: 'soon', expiration_date: '2026-03-12' }),
    ];
    expect(bySoonestExpiry(keys).map((k) => k.name)).toEqual(['soon', 'late', 'never']);
    expect(keys.map((k) => k.name)).toEqual(['never', 'late', 'soon']);
  });

  it('orders keys expiring the same day by name', () => {
    const keys = [
      apiKey('kd_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1', { name: 'b', expiration_date: '2026-04-01' }),
      apiKey('kd_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2', { name: 'a', expiration_date: '2026-04-01' }),
    ];
    expect(bySoonestExpiry(keys).map((k) => k.name)).toEqual(['a', 'b']);
  });
});

describe('the tray search', () => {
  const key = apiKey('kd_Q8m2ZtR4vW9yB1nC3xD5fG7hJ0kL2pS4abc123', { name: 'CI pipeline' });

  it('finds a key by part of its name, whatever the case', () => {
    expect(matchesSearch(key, 'pipe')).toBe(true);
    expect(matchesSearch(key, '  ci PIPELINE ')).toBe(true);
    expect(matchesSearch(key, 'deploy')).toBe(false);
  });

  it('finds a key by its last 4 characters, not by other parts of the key', () => {
    expect(matchesSearch(key, 'c123')).toBe(true);
    expect(matchesSearch(key, 'kd_Q')).toBe(false);
    expect(matchesSearch(key, 'abc1')).toBe(false);
  });

  it('lists every key when the search is empty', () => {
    expect(matchesSearch(key, '   ')).toBe(true);
    expect(matchesSearch(apiKey('kd_Q8m2ZtR4vW9yB1nC3xD5fG7hJ0kL2pS4abc999'), '')).toBe(true);
  });
});

describe('the expiry choices of a new key in the tray', () => {
  it('offers 30 days, 90 days and never when no policy limits keys', () => {
    const presets = expiryPresets(null);
    expect(presets.map((p) => p.label)).toEqual(['30 days', '90 days', 'Never']);
    expect(defaultPreset(presets).days).toBe(90);
  });

  it('never offers "never" or more than the policy allows, and offers its maximum', () => {
    expect(expiryPresets(60).map((p) => [p.label, p.days])).toEqual([
      ['30 days', 30],
      ['60 days (policy maximum)', 60],
    ]);
    expect(defaultPreset(expiryPresets(60)).days).toBe(60);
    expect(expiryPresets(365).map((p) => p.days)).toEqual([30, 90, 365]);
    expect(expiryPresets(7).map((p) => p.days)).toEqual([7]);
  });

  it('takes the stricter of the organization and workspace policies', () => {
    expect(policyMaxDays(null, null)).toBeNull();
    expect(policyMaxDays(90, null)).toBe(90);
    expect(policyMaxDays(null, 30)).toBe(30);
    expect(policyMaxDays(90, 30)).toBe(30);
  });
});

describe('a team default expiry', () => {
  it('is offered and chosen first when the policy allows it', () => {
    const presets = expiryPresets(null, 14);
    expect(presets.map((p) => p.days)).toEqual([14, 30, 90, null]);
    expect(defaultPreset(presets, 14).days).toBe(14);
  });

  it('gives way to the policy maximum when it is longer', () => {
    const presets = expiryPresets(60, 120);
    expect(presets.map((p) => p.days)).toEqual([30, 60]);
    expect(defaultPreset(presets, 120).days).toBe(60);
  });
});
