// Usage arithmetic for the charts: a full month of days from sparse daily
// costs, per-model totals, and the month-end projection.

import type { DailyCost, ModelDayUsage } from '../api';

/** Every day of the month containing `now` (UTC), with its cost (0 when none). */
export function fillMonth(costs: DailyCost[], now: Date = new Date()): DailyCost[] {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  const days = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const byDay = new Map<string, number>();
  for (const c of costs) byDay.set(c.day, (byDay.get(c.day) ?? 0) + c.cost_micros);
  return Array.from({ length: days }, (_, i) => {
    const day = new Date(Date.UTC(year, month, i + 1)).toISOString().slice(0, 10);
    return { day, cost_micros: byDay.get(day) ?? 0 };
  });
}

/** Sums several workspaces' daily costs into one series. */
export function sumDaily(series: DailyCost[][]): DailyCost[] {
  const byDay = new Map<string, number>();
  for (const list of series) for (const c of list) byDay.set(c.day, (byDay.get(c.day) ?? 0) + c.cost_micros);
  return [...byDay.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([day, cost_micros]) => ({ day, cost_micros }));
}

export interface ModelTotal {
  model: string;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cost_micros: number;
}

export function byModel(rows: ModelDayUsage[]): ModelTotal[] {
  const totals = new Map<string, ModelTotal>();
  for (const r of rows) {
    const t = totals.get(r.model) ?? { model: r.model, requests: 0, input_tokens: 0, output_tokens: 0, cost_micros: 0 };
    t.requests += r.requests;
    t.input_tokens += r.input_tokens;
    t.output_tokens += r.output_tokens;
    t.cost_micros += r.cost_micros;
    totals.set(r.model, t);
  }
  return [...totals.values()].sort((a, b) => b.cost_micros - a.cost_micros);
}

/**
 * At the month's average pace so far, the day of the month (1-based) the
 * limit is reached; null when no limit, no spend, or not before month end.
 */
export function projectedLimitDay(spent: number, limit: number | null, now: Date = new Date()): number | null {
  if (limit === null || spent <= 0) return null;
  const today = now.getUTCDate();
  const daysInMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 0)).getUTCDate();
  if (spent >= limit) return today;
  const perDay = spent / today;
  const day = Math.ceil(limit / perDay);
  return day <= daysInMonth ? day : null;
}
