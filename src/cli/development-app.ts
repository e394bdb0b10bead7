/** @module The zero-config development app: credentials generated once and kept in the user's config directory. */

import * as v from "valibot";
import type { App } from "../apps/app.ts";
import { DEFAULT_APP } from "../config/config.ts";
import type { RandomInt } from "../support/random.ts";
import { resolvePath } from "../support/paths.ts";

/** Where the development app's credentials are kept, or undefined when no home directory is known. */
export function developmentAppFile(env: Readonly<Record<string, string | undefined>>, platform: string): string | undefined {
  const base = platform === "win32"
    ? env["APPDATA"]
    : env["XDG_CONFIG_HOME"] || (env["HOME"] ? resolvePath(env["HOME"], ".config") : undefined);
  return base ? resolvePath(resolvePath(base, "resound"), "development-app.json") : undefined;
}

const Saved = v.object({
  app_id: v.pipe(v.string(), v.nonEmpty()),
  key: v.pipe(v.string(), v.nonEmpty()),
  secret: v.pipe(v.string(), v.nonEmpty()),
});

/** The development app and what happened to its credentials, for the banner. */
export interface DevelopmentApp {
  readonly app: App;
  /** Where the credentials live, or why they could not be kept. */
  readonly note: string;
}

/** What the development app needs from the host's file system. */
export interface DevelopmentAppFiles {
  readTextFile(path: string): string | undefined;
  writeTextFile(path: string, text: string): void;
}

/** Loads the saved development credentials, or generates them (as `reverb:install` would) and saves them. */
export function developmentApp(
  files: DevelopmentAppFiles,
  file: string | undefined,
  randomInt: RandomInt,
  settings: Omit<App, "id" | "key" | "secret"> = DEFAULT_APP,
): DevelopmentApp {
  const make = (credentials: { app_id: string; key: string; secret: string }): App => ({
    ...settings,
    id: credentials.app_id,
    key: credentials.key,
    secret: credentials.secret,
  });
  if (file) {
    try {
      const text = files.readTextFile(file);
      const saved = text === undefined ? undefined : v.safeParse(Saved, JSON.parse(text));
      if (saved?.success) return { app: make(saved.output), note: `credentials kept in ${file}` };
    } catch {
      // An unreadable or corrupt file is replaced below.
    }
  }
  const alphanumeric = () => "abcdefghijklmnopqrstuvwxyz0123456789"[randomInt(0, 35)]!;
  const credentials = {
    app_id: String(randomInt(100_000, 999_999)),
    key: Array.from({ length: 20 }, alphanumeric).join(""),
    secret: Array.from({ length: 20 }, alphanumeric).join(""),
  };
  if (!file) return { app: make(credentials), note: "no home directory to keep credentials in: they change at every start" };
  try {
    files.writeTextFile(file, JSON.stringify(credentials, null, 2) + "\n");
    return { app: make(credentials), note: `new credentials saved in ${file}` };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { app: make(credentials), note: `credentials could not be saved in ${file} (${reason}): they change at every start` };
  }
}
