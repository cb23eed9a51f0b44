import { describe, expect, it } from 'vitest';
import { fold, isPaletteShortcut, matches } from './palette';

describe('fold', () => {
  it('strips accents and case', () => {
    expect(fold('Équipe Ürün Ça')).toBe('equipe urun ca');
  });
});

describe('matches', () => {
  it('is accent- and case-insensitive both ways', () => {
    expect(matches('equipe', 'Équipe données')).toBe(true);
    expect(matches('ÉQUIPE', 'equipe')).toBe(true);
    expect(matches('donnees', 'Équipe données')).toBe(true);
  });

  it('needs every word, in any of the fields', () => {
    expect(matches('ada example', 'Ada', 'ada@example.com')).toBe(true);
    expect(matches('ada zed', 'Ada', 'ada@example.com')).toBe(false);
    expect(matches('research', 'Marketing')).toBe(false);
  });

  it('does not match across field boundaries', () => {
    expect(matches('adaada', 'ada', 'ada')).toBe(false);
  });

  it('matches everything on an empty query, ignores missing fields', () => {
    expect(matches('  ', 'x')).toBe(true);
    expect(matches('x', null, undefined)).toBe(false);
  });
});

describe('isPaletteShortcut', () => {
  const base = { key: 'k', ctrlKey: false, metaKey: false, shiftKey: false, altKey: false };
  it('accepts Ctrl+K and ⌘+K, any case', () => {
    expect(isPaletteShortcut({ ...base, ctrlKey: true })).toBe(true);
    expect(isPaletteShortcut({ ...base, metaKey: true, key: 'K' })).toBe(true);
  });
  it('rejects plain k and modified variants', () => {
    expect(isPaletteShortcut(base)).toBe(false);
    expect(isPaletteShortcut({ ...base, ctrlKey: true, shiftKey: true })).toBe(false);
    expect(isPaletteShortcut({ ...base, ctrlKey: true, altKey: true })).toBe(false);
    expect(isPaletteShortcut({ ...base, ctrlKey: true, key: 'j' })).toBe(false);
  });
});
