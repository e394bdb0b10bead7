/** @module What connecting a scaling broker can fail with, and the startup timeout both brokers use. */

/** Thrown when the broker cannot be reached at startup; the message is one line naming the address and the settings. */
export class ScalingUnavailable extends Error {}

/** `promise`, or a rejection saying nothing answered within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
