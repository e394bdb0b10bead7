/** @module Logger seam: the core reports through this, the CLI decides where lines go. */

/** Where the core's diagnostics go. `debug` is only called when debug output is on. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Debug stream entry: a short title and an optional detail. */
  debug(title: string, detail?: string): void;
  readonly debugEnabled: boolean;
}

/** A logger that discards everything (the default for embedders and unit tests). */
export const silentLogger: Logger = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  debugEnabled: false,
};
