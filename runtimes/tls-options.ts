/** @module TLS server options in the OpenSSL-style names Node's https and Bun.serve both take. */

import type { TlsMaterial } from "../src/cli/host.ts";

/** cert/key/passphrase/ca, and client-certificate checks when verify_peer is on. */
export function tlsServerOptions(tls: TlsMaterial) {
  return {
    cert: tls.cert,
    key: tls.key,
    ...(tls.passphrase !== undefined && { passphrase: tls.passphrase }),
    ...(tls.ca !== undefined && { ca: tls.ca }),
    requestCert: tls.verifyPeer,
    rejectUnauthorized: tls.verifyPeer,
  };
}
