/** @module Finds a Laravel Herd or Valet certificate for --hostname (Reverb's Certificate::resolve), then Herd before Valet. */

import { resolvePath } from "../support/paths.ts";

/** A certificate and key pair found on disk. */
export interface FoundCertificate {
  readonly cert: string;
  readonly key: string;
  readonly source: "Herd" | "Valet";
}

/** The host part of `--hostname` (which may be given as a URL, e.g. https://laravel.test). */
export function hostOf(hostname: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(hostname)) return hostname;
  try {
    return new URL(hostname).hostname;
  } catch {
    return hostname;
  }
}

/** The directories searched, in order, for `<host>.crt` and `<host>.key`. */
export function certificateDirectories(env: Readonly<Record<string, string | undefined>>, platform: string): Array<{ dir: string; source: "Herd" | "Valet" }> {
  const home = env["HOME"] ?? env["USERPROFILE"] ?? "";
  const herd = platform === "win32"
    ? resolvePath(env["USERPROFILE"] ?? home, ".config\\herd\\config\\valet\\Certificates")
    : resolvePath(home, "Library/Application Support/Herd/config/valet/Certificates");
  return [
    { dir: herd, source: "Herd" },
    { dir: resolvePath(home, platform === "win32" ? ".config\\valet\\Certificates" : ".config/valet/Certificates"), source: "Valet" },
  ];
}

/** The first Herd or Valet certificate for `hostname` whose .crt and .key both exist. */
export function findCertificate(
  hostname: string,
  env: Readonly<Record<string, string | undefined>>,
  platform: string,
  exists: (path: string) => boolean,
): FoundCertificate | undefined {
  const host = hostOf(hostname);
  for (const { dir, source } of certificateDirectories(env, platform)) {
    const cert = resolvePath(dir, `${host}.crt`);
    const key = resolvePath(dir, `${host}.key`);
    if (exists(cert) && exists(key)) return { cert, key, source };
  }
  return undefined;
}
