/**
 * @module allowed_origins matching: host-only glob patterns, `*` for any run of characters (Reverb §1.4), matched
 * without regular expressions so no pattern and no Origin header can make matching slow.
 */

/** Longest Origin header that is looked at; a longer one matches only `*` (a host name has at most 253 characters). */
export const MAX_ORIGIN_LENGTH = 2048;

const matchers = new WeakMap<readonly string[], (host: string) => boolean>();

/** True when a connection with this Origin header may connect under `allowedOrigins`. */
export function isOriginAllowed(allowedOrigins: readonly string[], origin: string | null): boolean {
  let matcher = matchers.get(allowedOrigins);
  if (!matcher) {
    matcher = compile(allowedOrigins);
    matchers.set(allowedOrigins, matcher);
  }
  return matcher(origin && origin.length <= MAX_ORIGIN_LENGTH ? hostOf(origin) : "");
}

function compile(patterns: readonly string[]): (host: string) => boolean {
  if (patterns.includes("*")) return () => true;
  // Host names compare case-insensitively; URL already lowercases the Origin's host.
  const globs = patterns.map((pattern) => pattern.toLowerCase().split("*"));
  return (host) => host !== "" && globs.some((segments) => matchesGlob(segments, host));
}

/**
 * Whether `text` matches the glob whose literal parts are `segments` (the pattern split at each `*`). With `*` as
 * the only wildcard, taking each middle part at its leftmost possible place is enough: no backtracking, so the time
 * is at most the text's length times the pattern's.
 */
export function matchesGlob(segments: readonly string[], text: string): boolean {
  const first = segments[0] ?? "";
  if (segments.length === 1) return text === first;
  const last = segments[segments.length - 1]!;
  if (text.length < first.length + last.length || !text.startsWith(first) || !text.endsWith(last)) return false;
  const end = text.length - last.length;
  let position = first.length;
  for (let i = 1; i < segments.length - 1; i++) {
    const segment = segments[i]!;
    if (segment === "") continue;
    const found = text.indexOf(segment, position);
    if (found < 0 || found + segment.length > end) return false;
    position = found + segment.length;
  }
  return true;
}

function hostOf(origin: string): string {
  try {
    return new URL(origin).hostname;
  } catch {
    return "";
  }
}
