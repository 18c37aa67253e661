import type { Disposable } from '../store/breaker-store.js';

/**
 * A typed event with disposable subscriptions (cockatiel's `onBreak(fn) → { dispose() }`).
 * A throwing listener is reported to `onListenerError` and never reaches the emitter.
 */
export class Signal<T> {
  readonly #listeners = new Set<(value: T) => void>();
  readonly #onListenerError: (err: unknown) => void;

  constructor(onListenerError: (err: unknown) => void = () => {}) {
    this.#onListenerError = onListenerError;
  }

  on(listener: (value: T) => void): Disposable {
    // Wrapped so one function may be subscribed twice and disposed independently.
    const entry = (value: T) => listener(value);
    this.#listeners.add(entry);
    return { dispose: () => this.#listeners.delete(entry) };
  }

  emit(value: T): void {
    for (const listener of this.#listeners) {
      try {
        listener(value);
      } catch (err) {
        this.#onListenerError(err);
      }
    }
  }

  get size(): number {
    return this.#listeners.size;
  }

  clear(): void {
    this.#listeners.clear();
  }
}
