import { afterEach, describe, expect, it } from 'vitest';
import { formatUsd } from '../lib/money';
import { render } from '../test/dom';
import CostChart from './CostChart.svelte';

afterEach(() => {
  document.body.innerHTML = '';
});

describe('cost chart', () => {
  it('lists every day of the month with its cost in a table, readable without hovering a bar', () => {
    const today = new Date().toISOString().slice(0, 10);
    const view = render(CostChart, { costs: [{ day: today, cost_micros: 12_340_000 }], label: 'Cost per day' });
    const table = view.target.querySelector('table[aria-label="Cost per day, by day"]')!;
    expect(table).not.toBeNull();
    expect(table.closest('details')!.querySelector('summary')!.textContent).toBe('Daily values');
    const now = new Date();
    const daysInMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 0)).getUTCDate();
    expect(table.querySelectorAll('tbody tr')).toHaveLength(daysInMonth);
    const row = table.querySelector(`tr[data-day="${today}"]`)!;
    expect(row.textContent).toContain(formatUsd(12_340_000));
    view.destroy();
  });
});
