/** @module Randomness for socket ids and generated credentials, injectable for deterministic tests. */

/** Returns a uniformly random integer in [min, max]. */
export type RandomInt = (min: number, max: number) => number;

const buffer = new Uint32Array(64);
let index = buffer.length;

/** Cryptographically random integers from Web Crypto, drawn in batches to keep socket-id creation cheap. */
export const secureRandomInt: RandomInt = (min, max) => {
  if (index === buffer.length) {
    crypto.getRandomValues(buffer);
    index = 0;
  }
  return min + (buffer[index++]! % (max - min + 1));
};
