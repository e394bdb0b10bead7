/** @module One-line explanations of why the server could not listen (port in use, permissions, TLS material). */

import type { LoadedConfig } from "../config/load-config.ts";
import type { ListenError, TlsMaterial } from "./host.ts";

/** What went wrong listening on `where` (the server's address, or the metrics listener's), and what to do. */
export function listenProblem(error: ListenError, config: LoadedConfig, tls: TlsMaterial | null): string {
  const { host, port } = config.server;
  switch (error.reason) {
    case "in-use":
      return `Port ${port} on ${host} is already in use; stop the other server or pick another port with --port or REVERB_SERVER_PORT.`;
    case "permission":
      return `Permission denied listening on ${host}:${port}; ports below 1024 need elevated rights, pick another with --port.`;
    case "address":
      return `Cannot listen on ${host}:${port}: ${error.message}; check --host or REVERB_SERVER_HOST.`;
    case "tls":
      return `The TLS certificate ${tls?.certFile} and key ${tls?.keyFile} cannot be used: ${tlsHint(error.message, tls)}.`;
    case "unsupported":
      return `${error.message}.`;
    default:
      return `Cannot listen on ${host}:${port}: ${error.message}.`;
  }
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
