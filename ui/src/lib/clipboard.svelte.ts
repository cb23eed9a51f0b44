// The countdown shown while a copied key waits on the clipboard. The copying
// and the clearing happen in the shell (the `copy_secret` command clears the
// clipboard after its delay, or at quit, if it still holds the key), so a
// closed window cannot leave a key behind; the page only shows how long is
// left and offers to clear it now.

import { clearCopiedSecret, copySecret } from '../api';

export interface SecretClipboard {
  /** Copies the secret; resolves to the seconds until it is cleared. */
  copy: (secret: string) => Promise<number>;
  /** Clears it now if it is still there; resolves to whether it was. */
  clear: () => Promise<boolean>;
}

const shell: SecretClipboard = {
  copy: async (secret) => (await copySecret(secret)).clears_in_seconds,
  clear: clearCopiedSecret,
};

export class ClipboardGuard {
  /** Seconds until the clipboard is cleared; null when nothing is pending. */
  secondsLeft = $state<number | null>(null);
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #clipboard: SecretClipboard;

  constructor(clipboard: SecretClipboard = shell) {
    this.#clipboard = clipboard;
  }

  /** Puts `text` on the clipboard and (re)starts the countdown. */
  async copy(text: string): Promise<void> {
    const seconds = await this.#clipboard.copy(text);
    this.secondsLeft = seconds;
    clearInterval(this.#timer);
    this.#timer = setInterval(() => {
      const left = (this.secondsLeft ?? 0) - 1;
      if (left > 0) this.secondsLeft = left;
      else this.#stop();
    }, 1000);
  }

  /** Clears the clipboard now if it still holds what we copied. */
  async clearNow(): Promise<boolean> {
    const pending = this.secondsLeft !== null;
    this.#stop();
    return pending ? this.#clipboard.clear() : false;
  }

  #stop() {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.secondsLeft = null;
  }
}

/** The app's one guard: its countdown outlives the reveal dialog. */
export const clipboardGuard = new ClipboardGuard();
