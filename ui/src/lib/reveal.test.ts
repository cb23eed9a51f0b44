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

describe('the reveal panels’ actions', () => {
  it('copy the key or its .env line, and closing forgets how that went', async () => {
    const { clearMocks, mockIPC } = await import('@tauri-apps/api/mocks');
    const { clipboardGuard } = await import('./clipboard.svelte');
    const copied: string[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'copy_secret') {
        copied.push((args as { secret: string }).secret);
        return { clears_in_seconds: 60 };
      }
      if (cmd === 'clear_copied_secret') return true;
      throw { code: 'unavailable', message: `Could not write /p/.env: read-only (${cmd})` };
    });
    const reveal = new RevealOnce();
    reveal.take(created());
    await reveal.copy('env');
    expect(copied).toEqual([`MISTRAL_API_KEY=${SECRET}`]);
    expect(reveal.copied).toBe('env');
    await reveal.save();
    expect(reveal.problem).toBe('Could not write /p/.env: read-only (save_env_file)');
    reveal.close();
    expect([reveal.copied, reveal.savedTo, reveal.problem]).toEqual([null, null, null]);
    await clipboardGuard.clearNow();
    clearMocks();
  });
});
