import { describe, expect, it } from 'vitest';
import { charCount, hasErrors, looksLikeEmail, validateBootstrap, validateWorkspace } from './validation';

const ok = { name: 'Research', icon: '', description: '' };

describe('workspace form validation', () => {
  it('accepts a plain name with no icon or description', () => {
    expect(hasErrors(validateWorkspace(ok))).toBe(false);
  });

  it('requires a name (spaces alone do not count)', () => {
    expect(validateWorkspace({ ...ok, name: '' }).name).toBe('Name is required.');
    expect(validateWorkspace({ ...ok, name: '   ' }).name).toBe('Name is required.');
  });

  it('allows an icon of at most 2 characters, counting an emoji as one', () => {
    expect(validateWorkspace({ ...ok, icon: 'RS' }).icon).toBeUndefined();
    expect(validateWorkspace({ ...ok, icon: '🚀' }).icon).toBeUndefined();
    expect(validateWorkspace({ ...ok, icon: '🚀🚀' }).icon).toBeUndefined();
    expect(validateWorkspace({ ...ok, icon: 'ABC' }).icon).toMatch(/at most 2/);
  });

  it('limits the description to 255 characters', () => {
    expect(validateWorkspace({ ...ok, description: 'é'.repeat(255) }).description).toBeUndefined();
    expect(validateWorkspace({ ...ok, description: 'é'.repeat(256) }).description).toMatch(/at most 255/);
  });

  it('reports every failing field at once', () => {
    const errors = validateWorkspace({ name: '', icon: 'abc', description: 'x'.repeat(300) });
    expect(Object.keys(errors).sort()).toEqual(['description', 'icon', 'name']);
  });

  it('counts characters the way the domain does', () => {
    expect(charCount('🚀')).toBe(1);
    expect(charCount('é')).toBe(1);
  });
});

describe('first-run validation', () => {
  it('requires an organization name and a plausible email', () => {
    const errors = validateBootstrap({ org_name: '', admin_email: 'ada', admin_name: '' });
    expect(errors.org_name).toBe('Organization name is required.');
    expect(errors.admin_email).toMatch(/name@example.com/);
    expect(errors.admin_name).toBeUndefined();
  });

  it('accepts plain addresses only', () => {
    expect(looksLikeEmail('ada@example.com')).toBe(true);
    for (const bad of ['', 'ada', 'ada@', '@example.com', 'ada@example', 'a da@example.com', 'ada@example.']) {
      expect(looksLikeEmail(bad), bad).toBe(false);
    }
  });
});
