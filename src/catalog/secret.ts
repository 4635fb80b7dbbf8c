// A credential that cannot leak by accident: it prints, logs and serialises as "[redacted]".
import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/** Wraps a secret string; only `reveal()` gives the value, and only auth code calls it. */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The secret itself, for building an auth header. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
