import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClipboardGuard } from './clipboard.svelte';

/** The shell's side, in memory: it clears by itself when the delay ends. */
function shellClipboard(delay = 60) {
  const box = { text: '' };
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    box,
    clipboard: {
      copy: vi.fn(async (secret: string) => {
        box.text = secret;
        clearTimeout(timer);
        timer = setTimeout(() => (box.text = ''), delay * 1000);
        return delay;
      }),
      clear: vi.fn(async () => {
        const held = box.text !== '';
        box.text = '';
        return held;
      }),
    },
  };
}

describe('the clipboard countdown', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('counts down the delay the shell announced, then stops showing', async () => {
    const { box, clipboard } = shellClipboard(60);
    const guard = new ClipboardGuard(clipboard);
    await guard.copy('kd_secret');
    expect(box.text).toBe('kd_secret');
    expect(guard.secondsLeft).toBe(60);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(guard.secondsLeft).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(guard.secondsLeft).toBeNull();
    expect(box.text).toBe('');
    expect(clipboard.clear).not.toHaveBeenCalled();
  });

  it('restarts on a second copy (e.g. the .env line)', async () => {
    const { clipboard } = shellClipboard(60);
    const guard = new ClipboardGuard(clipboard);
    await guard.copy('kd_secret');
    await vi.advanceTimersByTimeAsync(30_000);
    await guard.copy('MISTRAL_API_KEY=kd_secret');
    expect(guard.secondsLeft).toBe(60);
  });

  it('"Clear now" asks the shell to clear and ends the countdown', async () => {
    const { box, clipboard } = shellClipboard(60);
    const guard = new ClipboardGuard(clipboard);
    await guard.copy('kd_secret');
    expect(await guard.clearNow()).toBe(true);
    expect(box.text).toBe('');
    expect(guard.secondsLeft).toBeNull();
    // Nothing pending: no second call.
    expect(await guard.clearNow()).toBe(false);
    expect(clipboard.clear).toHaveBeenCalledTimes(1);
  });

  it('keeps nothing of the secret', async () => {
    const guard = new ClipboardGuard(shellClipboard().clipboard);
    await guard.copy('kd_secret');
    expect(JSON.stringify(guard)).not.toContain('kd_');
  });
});
