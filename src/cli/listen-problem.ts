/** @module One-line explanations of why the server could not listen (port in use, permissions, TLS material). */

import type { LoadedConfig } from "../config/load-config.ts";
import type { ListenError, TlsMaterial } from "./host.ts";

/** Which listener failed: the server's own, or the metrics listener's (its own host and port settings). */
export type ListenTarget = "server" | "metrics";

/** What went wrong listening for `target`, and which setting to change. */
export function listenProblem(error: ListenError, config: LoadedConfig, tls: TlsMaterial | null, target: ListenTarget = "server"): string {
  if (target === "metrics") return metricsProblem(error, config);
  const { host, port } = config.server;
  switch (reasonOf(error)) {
    case "in-use":
      return `Port ${port} on ${host} is already in use; stop the other server or pick another port with --port or REVERB_SERVER_PORT.`;
    case "permission":
      return `Permission denied listening on ${host}:${port}; ports below 1024 need elevated rights, pick another with --port.`;
    case "address":
      return `Cannot listen on ${host}:${port}: ${addressDetail(error.message)}; check --host or REVERB_SERVER_HOST.`;
    case "tls":
      return `The TLS certificate ${tls?.certFile} and key ${tls?.keyFile} cannot be used: ${tlsHint(error.message, tls)}.`;
    case "unsupported":
      return `${error.message}.`;
    default:
      return `Cannot listen on ${host}:${port}: ${error.message}.`;
  }
}

function metricsProblem(error: ListenError, config: LoadedConfig): string {
  const { metricsHost: host, metricsPort: port } = config.server;
  const where = `${host}:${port}`;
  switch (reasonOf(error)) {
    case "in-use":
      return `Cannot serve metrics on ${where}: the port is already in use; pick another port with --metrics-port or RESOUND_METRICS_PORT.`;
    case "permission":
      return `Cannot serve metrics on ${where}: permission denied; ports below 1024 need elevated rights, pick another with --metrics-port or RESOUND_METRICS_PORT.`;
    case "address":
      return `Cannot serve metrics on ${where}: ${addressDetail(error.message)}; check --metrics-host, RESOUND_METRICS_HOST or server.metrics.host (127.0.0.1 unless set).`;
    default:
      return `Cannot serve metrics on ${where}: ${error.message}.`;
  }
}

/**
 * Runtimes report a host they cannot listen on in their own words, and not always as an address error: Bun throws
 * ENOTFOUND or EINVAL for a name that does not resolve, Deno "failed to lookup address information" or "invalid char
 * found in FQDN". These are read as address problems so every runtime names the host setting to check.
 */
function reasonOf(error: ListenError): ListenError["reason"] {
  if (error.reason === "other" && (UNRESOLVED.test(error.message) || UNAVAILABLE.test(error.message))) return "address";
  return error.reason;
}

const UNRESOLVED = /ENOTFOUND|EAI_AGAIN|getaddrinfo|failed to lookup address|Name or service not known|nodename nor servname|No such host|\bEINVAL\b|invalid host|FQDN/i;
const UNAVAILABLE = /EADDRNOTAVAIL|address not available|Cannot assign requested address/i;

/** The same words on every runtime for the two common cases; anything else as the runtime said it. */
function addressDetail(message: string): string {
  if (UNAVAILABLE.test(message)) return "no network interface of this machine has that address";
  if (UNRESOLVED.test(message)) return "the name does not resolve to an address of this machine";
  return message;
}

/** Runtimes word TLS failures differently; name the two common mistakes plainly. */
function tlsHint(message: string, tls: TlsMaterial | null): string {
  if (/mismatch|not be consistent/i.test(message)) return `the key does not belong to the certificate (${message})`;
  if (/decrypt|passphrase|bad password/i.test(message)) return `the passphrase is wrong (${message})`;
  // A wrong passphrase usually fails the decryption's padding check ("bad decrypt"), but about one time in 256 the
  // garbage passes it and OpenSSL 3 then reports that no decoder understands the result.
  if (tls?.passphrase !== undefined && /DECODER routines::unsupported/i.test(message)) return `the passphrase is wrong (${message})`;
  return message;
}
