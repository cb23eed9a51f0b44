// Copies a secret to the system clipboard and clears it again after a delay
// (60 s), but only if the clipboard still holds what we put there: if the
// user copied something else meanwhile, it is left alone. The secret itself
// is not kept for the comparison, only a short fingerprint of it, so closing
// the reveal dialog really drops the key from the page's memory.

import { copyText, readClipboard } from '../api';

export const CLEAR_AFTER_SECONDS = 60;

/** FNV-1a over the UTF-16 code units, plus the length: enough to recognise our text. */
export function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `${text.length}:${hash.toString(16)}`;
}

export interface ClipboardIo {
  write: (text: string) => Promise<void>;
  read: () => Promise<string | null>;
}

const tauriClipboard: ClipboardIo = { write: copyText, read: readClipboard };

export class ClipboardGuard {
  /** Seconds until the clipboard is cleared; null when nothing is pending. */
  secondsLeft = $state<number | null>(null);
  #print: string | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #io: ClipboardIo;
  readonly #delay: number;

  constructor(io: ClipboardIo = tauriClipboard, delaySeconds = CLEAR_AFTER_SECONDS) {
    this.#io = io;
    this.#delay = delaySeconds;
  }

  /** Puts `text` on the clipboard and (re)starts the countdown. */
  async copy(text: string): Promise<void> {
    await this.#io.write(text);
    this.#print = fingerprint(text);
    this.secondsLeft = this.#delay;
    clearInterval(this.#timer);
    this.#timer = setInterval(() => {
      const left = (this.secondsLeft ?? 0) - 1;
      if (left > 0) this.secondsLeft = left;
      else void this.clearNow();
    }, 1000);
  }

  /** Clears the clipboard now if it still holds what we copied. */
  async clearNow(): Promise<boolean> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    const print = this.#print;
    this.#print = null;
    this.secondsLeft = null;
    if (print === null) return false;
    const current = await this.#io.read();
    if (current === null || fingerprint(current) !== print) return false;
    await this.#io.write('');
    return true;
  }
}

/** The app's one guard: its countdown outlives the reveal dialog. */
export const clipboardGuard = new ClipboardGuard();
