import { describe, expect, it } from 'vitest';
import { created, SECRET } from '../test/fixtures';
import { RevealOnce } from './reveal.svelte';

describe('RevealOnce', () => {
  it('takes the secret out of the command result and forgets it on close', () => {
    const reveal = new RevealOnce();
    expect(reveal.isOpen).toBe(false);

    const result = created();
    reveal.take(result);
    expect(reveal.isOpen).toBe(true);
    expect(reveal.secret).toBe(SECRET);
    expect(reveal.envLine()).toBe(`MISTRAL_API_KEY=${SECRET}`);
    // The result object no longer holds it.
    expect(result.secret).toBe('');

    reveal.close();
    expect(reveal.isOpen).toBe(false);
    expect(reveal.secret).toBeNull();
    expect(reveal.key).toBeNull();
    expect(reveal.envLine()).toBeNull();
  });
});
