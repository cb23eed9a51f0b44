// The tray window's list logic, kept out of the component so it can be
// tested: how a key's expiry reads ("in 5 days", "expired") and whether it
// warns, the soonest-expiry-first order, and the search by name or last 4.
// Which keys exist and what their status is stays the backend's word.

import type { ApiKey } from '../api';
import { expiresSoon, timeLeft } from './format';

const DAY = 24 * 60 * 60 * 1000;

/** `none`: never expires; `ok`: a week or more left; `warning`: under 7 days; `expired`. */
export type ExpiryTone = 'none' | 'ok' | 'warning' | 'expired';

export interface Expiry {
  text: string;
  tone: ExpiryTone;
}

/** A key's expiry in words: "in 5 days", "today", "expired", "never expires". */
export function expiryOf(key: Pick<ApiKey, 'status' | 'expiration_date'>, now: Date = new Date()): Expiry {
  if (key.status === 'expired') return { text: 'expired', tone: 'expired' };
  if (!key.expiration_date) return { text: 'never expires', tone: 'none' };
  const left = timeLeft(key.expiration_date, now);
  if (left < 0) return { text: 'expired', tone: 'expired' };
  // Whole days the key is still valid after today; the last day reads "today".
  const days = Math.floor(left / DAY);
  const text = days === 0 ? 'expires today' : days === 1 ? 'in 1 day' : `in ${days} days`;
  return { text, tone: expiresSoon(left) ? 'warning' : 'ok' };
}

/** Soonest expiry first; keys that never expire last; then by name. */
export function bySoonestExpiry(keys: readonly ApiKey[]): ApiKey[] {
  return [...keys].sort((a, b) => {
    const ea = a.expiration_date ?? '\uffff';
    const eb = b.expiration_date ?? '\uffff';
    if (ea !== eb) return ea < eb ? -1 : 1;
    return (a.name ?? '').localeCompare(b.name ?? '');
  });
}

/** The last 4 characters of a key, read from its hidden form ("kd_A...wxyz"). */
export function lastFour(key: Pick<ApiKey, 'hidden_key'>): string {
  return key.hidden_key.slice(-4);
}

/** Whether `key` matches what was typed: part of its name, or its last 4 characters. */
export function matchesSearch(key: Pick<ApiKey, 'name' | 'hidden_key'>, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (q === '') return true;
  if ((key.name ?? '').toLowerCase().includes(q)) return true;
  return lastFour(key).toLowerCase() === q;
}
