/** @module Decides how to serve TLS: configured local_cert/local_pk, else a Herd/Valet certificate for --hostname, else plain. */

import type { LoadedConfig } from "../config/load-config.ts";
import { ConfigError } from "../config/fields.ts";
import { certificateDirectories, findCertificate, hostOf } from "./certificates.ts";
import type { Host, TlsMaterial } from "./host.ts";

/** The TLS material to serve with (null: plain ws/http) and a banner note explaining the choice. */
export interface TlsChoice {
  readonly material: TlsMaterial | null;
  readonly note: string | undefined;
}

const CERTIFICATE = /-----BEGIN CERTIFICATE-----/;
const PRIVATE_KEY = /-----BEGIN (?:[A-Z]+ )?(?:ENCRYPTED )?PRIVATE KEY-----/;
const ENCRYPTED = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/;

/** Reads and checks the certificate files; throws ConfigError naming the file and the problem. */
export function chooseTls(config: LoadedConfig, host: Host): TlsChoice {
  const { tls, hostname } = config.server;
  if (tls) {
    if (!tls.cert) throw new ConfigError("server.options.tls.local_pk is set but local_cert is not; set local_cert to the PEM certificate file.");
    const material = readPair(host, tls.cert, tls.key ?? tls.cert, tls.passphrase, tls.ca, tls.verifyPeer, "local_cert", "local_pk");
    return { material, note: undefined };
  }
  if (!hostname) return { material: null, note: undefined };
  const exists = (path: string) => readText(host, path, "certificate") !== undefined;
  const found = findCertificate(hostname, host.env, host.platform, exists);
  if (!found) {
    const dirs = certificateDirectories(host.env, host.platform).map(({ dir }) => dir).join(" or ");
    return { material: null, note: `no certificate for ${hostOf(hostname)} in ${dirs}; serving plain ws` };
  }
  // Herd/Valet sites never ask browsers for client certificates (Reverb issue #177).
  const material = readPair(host, found.cert, found.key, null, null, false, "certificate", "key");
  return { material, note: `${found.source} certificate ${found.cert}` };
}

function readPair(
  host: Host,
  certFile: string,
  keyFile: string,
  passphrase: string | null,
  caFile: string | null,
  verifyPeer: boolean,
  certLabel: string,
  keyLabel: string,
): TlsMaterial {
  const cert = required(host, certFile, certLabel);
  if (!CERTIFICATE.test(cert)) throw new ConfigError(`The TLS ${certLabel} ${certFile} does not contain a PEM certificate (-----BEGIN CERTIFICATE-----).`);
  const key = keyFile === certFile ? cert : required(host, keyFile, keyLabel);
  if (!PRIVATE_KEY.test(key)) {
    throw new ConfigError(keyFile === certFile
      ? `The TLS ${certLabel} ${certFile} holds no private key; set local_pk to the key file.`
      : `The TLS ${keyLabel} ${keyFile} does not contain a PEM private key.`);
  }
  if (ENCRYPTED.test(key) && !passphrase) {
    throw new ConfigError(`The TLS ${keyLabel} ${keyFile} is encrypted; set server.options.tls.passphrase.`);
  }
  return {
    cert,
    key,
    certFile,
    keyFile,
    verifyPeer,
    ...(passphrase && { passphrase }),
    ...(caFile && { ca: required(host, caFile, "ca") }),
  };
}

function required(host: Host, path: string, label: string): string {
  const text = readText(host, path, label);
  if (text === undefined) throw new ConfigError(`The TLS ${label} ${path} does not exist.`);
  return text;
}

function readText(host: Host, path: string, label: string): string | undefined {
  try {
    return host.readTextFile(path);
  } catch (error) {
    throw new ConfigError(`The TLS ${label} ${path} cannot be read: ${error instanceof Error ? error.message : String(error)}.`);
  }
}
