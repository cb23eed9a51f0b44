// Holds a newly created key's secret for the reveal-once dialog, and nowhere
// else: `take` moves the secret out of the command's result, `close` drops it.
// It also does what both reveal panels (main window, tray) offer: copy the
// key or its .env line, save it to a .env file, and say how that went.

import { BackendError, saveEnvFile, type ApiKey, type CreatedKey } from '../api';
import { clipboardGuard } from './clipboard.svelte';
import { envFileSavedMessage } from './keys';

export class RevealOnce {
  /** Which copy was last made, for its button to say "Copied". */
  copied = $state<'key' | 'env' | null>(null);
  /** What saving to a .env file did, in words. */
  savedTo = $state<string | null>(null);
  /** Why the last copy or save failed. */
  problem = $state<string | null>(null);
  #secret = $state<string | null>(null);
  #key = $state<ApiKey | null>(null);
  #clamped = $state(false);

  get isOpen(): boolean {
    return this.#secret !== null;
  }

  get secret(): string | null {
    return this.#secret;
  }

  get key(): ApiKey | null {
    return this.#key;
  }

  /** True when the expiry policy moved the requested expiration. */
  get expirationClamped(): boolean {
    return this.#clamped;
  }

  /** Takes the secret out of `created` (its field is blanked) to show it. */
  take(created: CreatedKey): void {
    this.#secret = created.secret;
    this.#key = created.key;
    this.#clamped = created.expiration_clamped;
    created.secret = '';
  }

  /** Forgets the secret; it cannot be shown again. */
  close(): void {
    this.#secret = null;
    this.#key = null;
    this.#clamped = false;
    this.copied = null;
    this.savedTo = null;
    this.problem = null;
  }

  /** The secret as a `.env` line. */
  envLine(variable = 'MISTRAL_API_KEY'): string | null {
    return this.#secret === null ? null : `${variable}=${this.#secret}`;
  }

  /** Copies the key, or its .env line; the shell clears it later. */
  async copy(what: 'key' | 'env'): Promise<void> {
    const text = what === 'key' ? this.#secret : this.envLine();
    if (text === null) return;
    this.problem = null;
    try {
      await clipboardGuard.copy(text);
      this.copied = what;
    } catch (e) {
      this.problem = failure(e, 'Could not copy');
    }
  }

  /** Asks where, then saves the key to that .env file (nothing when cancelled). */
  async save(): Promise<void> {
    const secret = this.#secret;
    if (secret === null) return;
    this.problem = null;
    try {
      const saved = await saveEnvFile(secret);
      if (saved !== null) this.savedTo = envFileSavedMessage(saved);
    } catch (e) {
      this.problem = failure(e, 'Could not save');
    }
  }
}

/** A failure, in words: the shell's own message, or `doing` and what was thrown. */
function failure(e: unknown, doing: string): string {
  return e instanceof BackendError ? e.message : `${doing}: ${String(e)}`;
}
