/** @module Minimal path arithmetic for config-relative file names, without node:path (the core stays runtime-neutral). */

/** True for `/x`, `C:\x`, `C:/x` and `\\server\x`. */
export function isAbsolutePath(path: string): boolean {
  return path.startsWith("/") || path.startsWith("\\\\") || /^[A-Za-z]:[\\/]/.test(path);
}

/** `path` resolved against the directory `base`, unless it is absolute already. */
export function resolvePath(base: string, path: string): string {
  if (isAbsolutePath(path)) return path;
  const separator = base.includes("\\") && !base.includes("/") ? "\\" : "/";
  return base.replace(/[\\/]+$/, "") + separator + path;
}

/** The directory part of a file path. */
export function dirname(path: string): string {
  const index = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return index <= 0 ? (index === 0 ? path.slice(0, 1) : ".") : path.slice(0, index);
}
