/** @module defineApp: an App from its credentials and any settings to change, with Reverb's defaults for the rest. */

import { DEFAULT_APP } from "../config/config.ts";
import type { App } from "./app.ts";

/** What an embedder gives: the credentials, and optionally any setting of {@link App}. */
export type AppDefinition = Pick<App, "id" | "key" | "secret"> & Partial<Omit<App, "id" | "key" | "secret">>;

/** A complete App, defaults from config/reverb.php (as `--config` and REVERB_APP_* would give them). */
export function defineApp(definition: AppDefinition): App {
  for (const name of ["id", "key", "secret"] as const) {
    if (typeof definition[name] !== "string" || definition[name] === "") throw new TypeError(`defineApp: ${name} must be a non-empty string.`);
  }
  return { ...DEFAULT_APP, ...definition };
}
