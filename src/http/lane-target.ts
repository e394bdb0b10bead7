/** @module Reading a request target on the lanes (publish, upgrade): the target of a URL, and how a lane's path is matched. */

/**
 * Path characters that every URL parser leaves as they are (no percent-decoding, no dot segments, no backslashes),
 * so the path a lane reads is the one the Hono routes would read; anything else goes to the routes.
 */
export const LANE_SEGMENT = "[A-Za-z0-9._~!$&'()*+,;=:@-]+";

/** The route prefix ("" or "/segment") as a literal inside a regular expression. */
export function prefixPattern(prefix: string): string {
  return prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The request target (path and query) of an absolute request URL. */
export function requestTarget(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  return start === -1 ? "/" : url.slice(start);
}
