/** @module allowed_origins matching: host-only glob patterns, `*` for any run of characters (Reverb §1.4). */

const matchers = new WeakMap<readonly string[], (host: string) => boolean>();

/** True when a connection with this Origin header may connect under `allowedOrigins`. */
export function isOriginAllowed(allowedOrigins: readonly string[], origin: string | null): boolean {
  let matcher = matchers.get(allowedOrigins);
  if (!matcher) {
    matcher = compile(allowedOrigins);
    matchers.set(allowedOrigins, matcher);
  }
  return matcher(hostOf(origin));
}

function compile(patterns: readonly string[]): (host: string) => boolean {
  if (patterns.includes("*")) return () => true;
  const escaped = patterns.map((p) => p.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*"));
  const regex = new RegExp(`^(?:${escaped.join("|")})$`);
  return (host) => regex.test(host);
}

function hostOf(origin: string | null): string {
  if (!origin) return "";
  try {
    return new URL(origin).hostname;
  } catch {
    return "";
  }
}
