import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClipboardGuard, fingerprint } from './clipboard.svelte';

function fakeClipboard() {
  const box = { text: '' as string };
  return {
    box,
    io: {
      write: vi.fn(async (t: string) => void (box.text = t)),
      read: vi.fn(async () => box.text),
    },
  };
}

describe('clipboard clearing after 60 s', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('counts down visibly and clears the clipboard if it still holds the key', async () => {
    const { box, io } = fakeClipboard();
    const guard = new ClipboardGuard(io, 60);
    await guard.copy('kd_secret');
    expect(box.text).toBe('kd_secret');
    expect(guard.secondsLeft).toBe(60);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(guard.secondsLeft).toBe(1);
    expect(box.text).toBe('kd_secret');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(box.text).toBe('');
    expect(guard.secondsLeft).toBeNull();
  });

  it('leaves the clipboard alone when the user copied something else', async () => {
    const { box, io } = fakeClipboard();
    const guard = new ClipboardGuard(io, 60);
    await guard.copy('kd_secret');
    box.text = 'something else';
    await vi.advanceTimersByTimeAsync(60_000);
    expect(box.text).toBe('something else');
    expect(io.write).toHaveBeenCalledTimes(1);
  });

  it('restarts the countdown on a second copy (e.g. the .env line)', async () => {
    const { box, io } = fakeClipboard();
    const guard = new ClipboardGuard(io, 60);
    await guard.copy('kd_secret');
    await vi.advanceTimersByTimeAsync(30_000);
    await guard.copy('MISTRAL_API_KEY=kd_secret');
    expect(guard.secondsLeft).toBe(60);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(box.text).toBe('MISTRAL_API_KEY=kd_secret');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(box.text).toBe('');
  });

  it('keeps only a fingerprint, not the secret', () => {
    const guard = new ClipboardGuard(fakeClipboard().io, 60);
    expect(JSON.stringify(guard)).not.toContain('kd_');
    expect(fingerprint('abc')).toBe(fingerprint('abc'));
    expect(fingerprint('abc')).not.toBe(fingerprint('abd'));
  });
});
