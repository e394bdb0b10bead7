/** @module Which Host header values are a host (and port): anything else is refused before routing. */

/** A registered name or IPv4 address, or a bracketed IPv6 address, and an optional port (RFC 9110 §7.2). */
const VALID_HOST = /^(?:[A-Za-z0-9._~!$&'()*+,;=%-]*|\[[0-9A-Fa-f:.]+\])(?::\d{0,5})?$/;

/**
 * Whether a Host header (or its absence) may be served. Some runtimes build the request URL from it, so
 * `Host: a/app/other-key#` would otherwise pick the route.
 */
export function isValidHost(host: string | undefined | null): boolean {
  return host === undefined || host === null || VALID_HOST.test(host);
}

/** The answer to a malformed Host header. */
export const MALFORMED_HOST = { error: "Malformed Host header." } as const;
