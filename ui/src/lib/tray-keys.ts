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

/** One choice of the tray's expiry: a number of days from today, or never. */
export interface ExpiryPreset {
  id: string;
  label: string;
  /** Days the key works after today; null: it never expires. */
  days: number | null;
}

/** The stricter of the organization's and the workspace's key policy, in days; null when neither sets one. */
export function policyMaxDays(orgMaxDays: number | null, workspaceMaxDays: number | null): number | null {
  if (orgMaxDays === null) return workspaceMaxDays;
  if (workspaceMaxDays === null) return orgMaxDays;
  return Math.min(orgMaxDays, workspaceMaxDays);
}

/**
 * The expiry choices the key policy allows: 30 and 90 days when they fit,
 * the policy's maximum when there is one, and "never" only when there is
 * none (the backend would move a key without expiry to the maximum anyway).
 */
export function expiryPresets(maxDays: number | null, teamDays: number | null = null): ExpiryPreset[] {
  const offered = [30, 90];
  // A team's default expiry is offered too, when the policy allows it.
  if (teamDays !== null && !offered.includes(teamDays)) offered.push(teamDays);
  const presets: ExpiryPreset[] = offered
    .sort((a, b) => a - b)
    .filter((days) => maxDays === null || days < maxDays)
    .map((days) => ({ id: `${days}`, label: `${days} days`, days }));
  if (maxDays === null) presets.push({ id: 'never', label: 'Never', days: null });
  else presets.push({ id: 'max', label: `${maxDays} days (policy maximum)`, days: maxDays });
  return presets;
}

/** The preset chosen when the form opens: the team's default expiry when it has one and it is offered, else 90 days when allowed, else the longest offered. */
export function defaultPreset(presets: readonly ExpiryPreset[], teamDays: number | null = null): ExpiryPreset {
  return (
    (teamDays !== null ? presets.find((p) => p.days === teamDays) : undefined) ??
    presets.find((p) => p.days === 90) ??
    presets[presets.length - 1]
  );
}
