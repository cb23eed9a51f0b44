// Pure helpers for the command palette: accent- and case-insensitive matching
// and the Ctrl/⌘+K shortcut test.

/** Lower-cases and strips accents ("Équipe" → "equipe") for comparison. */
export function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** True when every word of `query` occurs in one of `fields` (folded). An empty query matches. */
export function matches(query: string, ...fields: (string | null | undefined)[]): boolean {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const haystack = fields.filter((f): f is string => !!f).map(fold).join('\n');
  return words.every((w) => haystack.includes(w));
}

/** Ctrl+K, or ⌘+K on macOS; not with Shift or Alt held. */
export function isPaletteShortcut(event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey'>): boolean {
  return (event.ctrlKey || event.metaKey) && !event.shiftKey && !event.altKey && event.key.toLowerCase() === 'k';
}
