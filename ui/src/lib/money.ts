// Money is micro-USD (integers) on the wire; forms take dollars with up to
// two decimals, like the platform's console.

const usd = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD' });

export function formatUsd(micros: number): string {
  return usd.format(micros / 1_000_000);
}

/** "12.5" → 12_500_000; null when not a non-negative amount with ≤ 2 decimals. */
export function parseUsd(text: string): number | null {
  const t = text.trim().replace(/^\$/, '');
  if (!/^\d+(\.\d{1,2})?$/.test(t)) return null;
  const [whole, frac = ''] = t.split('.');
  const micros = Number(whole) * 1_000_000 + Number(frac.padEnd(2, '0')) * 10_000;
  return Number.isSafeInteger(micros) ? micros : null;
}

/** Micro-USD as the form shows it: "12.50". */
export function usdInput(micros: number | null): string {
  return micros === null ? '' : (micros / 1_000_000).toFixed(2);
}

/** Share of the limit spent, 0..∞ (1 = the limit); null without a limit. */
export function spentShare(spent: number, limit: number | null): number | null {
  if (limit === null) return null;
  if (limit === 0) return spent > 0 ? Infinity : 1;
  return spent / limit;
}
