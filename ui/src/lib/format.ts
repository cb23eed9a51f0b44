// Display helpers: relative dates with the exact time for tooltips, plan and
// product labels, and the "expires soon" rule used by status badges.

import type { ApiKey, Plan } from '../api';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * DAY],
  ['month', 30 * DAY],
  ['week', 7 * DAY],
  ['day', DAY],
  ['hour', HOUR],
  ['minute', MINUTE],
];

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const exact = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dayOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });

/** "3 hours ago", "in 5 days", "now". */
export function relativeTime(when: Date, now: Date = new Date()): string {
  const diff = when.getTime() - now.getTime();
  const abs = Math.abs(diff);
  for (const [unit, size] of UNITS) {
    if (abs >= size) return relative.format(Math.round(diff / size), unit);
  }
  return relative.format(0, 'second');
}

/** The exact local date and time, for a hover title. */
export function exactTime(when: Date): string {
  return exact.format(when);
}

/** A "YYYY-MM-DD" day (UTC) as a Date at the end of that day, when it stops being valid. */
export function endOfDay(day: string): Date {
  return new Date(`${day}T23:59:59.999Z`);
}

/** A "YYYY-MM-DD" day as a readable date. */
export function formatDay(day: string): string {
  return dayOnly.format(new Date(`${day}T00:00:00Z`));
}

export function planLabel(plan: Plan): string {
  return plan === 'scale' ? 'Pay-as-you-go' : 'Free tier';
}

export const EXPIRES_SOON_DAYS = 7;

/** Milliseconds a key valid through `day` has left at `now`; negative once expired. */
export function timeLeft(day: string, now: Date = new Date()): number {
  return endOfDay(day).getTime() - now.getTime();
}

/** Whether that much time left is under the "expires soon" threshold. */
export function expiresSoon(left: number): boolean {
  return left < EXPIRES_SOON_DAYS * DAY;
}

export type BadgeKind = 'active' | 'expires_soon' | 'expired' | 'inactive';

/** The badge a key gets: its status, with "expires soon" under 7 days. */
export function keyBadge(key: Pick<ApiKey, 'status' | 'expiration_date'>, now: Date = new Date()): BadgeKind {
  if (key.status !== 'active') return key.status;
  if (key.expiration_date && expiresSoon(timeLeft(key.expiration_date, now))) return 'expires_soon';
  return 'active';
}

export function badgeLabel(kind: BadgeKind): string {
  switch (kind) {
    case 'active':
      return 'Active';
    case 'expires_soon':
      return 'Expires soon';
    case 'expired':
      return 'Expired';
    case 'inactive':
      return 'Inactive — billing';
  }
}

/** "1 key", "12 keys". */
export function plural(count: number, one: string, many: string = `${one}s`): string {
  return `${count.toLocaleString()} ${count === 1 ? one : many}`;
}
