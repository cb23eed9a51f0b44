// Holds a newly created key's secret for the reveal-once dialog, and nowhere
// else: `take` moves the secret out of the command's result, `close` drops it.

import type { ApiKey, CreatedKey } from '../api';

export class RevealOnce {
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
  }

  /** The secret as a `.env` line. */
  envLine(variable = 'MISTRAL_API_KEY'): string | null {
    return this.#secret === null ? null : `${variable}=${this.#secret}`;
  }
}
