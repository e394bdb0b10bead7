/** @module Finds the exact source text of a top-level member in a JSON object, so client-event data can be relayed byte-for-byte. */

/**
 * Returns the raw text of the value of `key` in the top-level object `json`, or undefined when absent.
 * `json` must already be known to be a valid JSON object (it was parsed first); like JSON.parse, the
 * last occurrence of a duplicated key wins.
 */
export function rawMember(json: string, key: string): string | undefined {
  let found: string | undefined;
  let i = skipSpace(json, json.indexOf("{") + 1);
  while (i < json.length && json.charCodeAt(i) === 0x22 /* " */) {
    const keyEnd = skipString(json, i);
    const name = json.slice(i + 1, keyEnd - 1);
    const valueStart = skipSpace(json, skipSpace(json, keyEnd) + 1); // past ':'
    const valueEnd = skipValue(json, valueStart);
    if (name === key || (name.includes("\\") && JSON.parse(json.slice(i, keyEnd)) === key)) {
      found = json.slice(valueStart, valueEnd);
    }
    i = skipSpace(json, valueEnd);
    if (json.charCodeAt(i) === 0x2c /* , */) i = skipSpace(json, i + 1);
    else break;
  }
  return found;
}

function skipSpace(json: string, i: number): number {
  while (i < json.length) {
    const c = json.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

/** `i` is at an opening quote; returns the index just past the closing quote. */
function skipString(json: string, i: number): number {
  for (i++; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x5c /* \ */) i++;
    else if (c === 0x22) return i + 1;
  }
  return i;
}

/** Returns the index just past the JSON value starting at `i`. */
function skipValue(json: string, i: number): number {
  const first = json.charCodeAt(i);
  if (first === 0x22) return skipString(json, i);
  if (first !== 0x7b /* { */ && first !== 0x5b /* [ */) {
    while (i < json.length) {
      const c = json.charCodeAt(i);
      if (c === 0x2c || c === 0x7d || c === 0x5d || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) break;
      i++;
    }
    return i;
  }
  let depth = 0;
  for (; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x22) i = skipString(json, i) - 1;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if ((c === 0x7d || c === 0x5d) && --depth === 0) return i + 1;
  }
  return i;
}
