/** @module A small argv parser: `--name value`, `--name=value`, repeatable values, boolean flags, positionals. */

export interface Args {
  readonly positional: string[];
  /** The last value given for `name`. */
  get(name: string): string | undefined;
  /** Every value given for `name`, comma-separated lists split. */
  list(name: string): string[];
  /** Whether a boolean flag (or a value option) was given. */
  has(name: string): boolean;
  /** A number option, `fallback` when absent; throws on a non-number. */
  num(name: string, fallback: number): number;
}

/** Parses `argv`; `values` take an argument, `flags` do not; anything else starting with -- is an error. */
export function parseArgs(argv: readonly string[], values: readonly string[], flags: readonly string[]): Args {
  const seen = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    let value: string;
    if (flags.includes(name)) value = "true";
    else if (!values.includes(name)) throw new Error(`Unknown option --${name}`);
    else if (eq >= 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length) value = argv[++i]!;
    else throw new Error(`--${name} needs a value`);
    seen.set(name, [...(seen.get(name) ?? []), value]);
  }
  return {
    positional,
    get: (name) => seen.get(name)?.at(-1),
    list: (name) => (seen.get(name) ?? []).flatMap((value) => value.split(",")).map((v) => v.trim()).filter(Boolean),
    has: (name) => seen.has(name),
    num(name, fallback) {
      const raw = seen.get(name)?.at(-1);
      if (raw === undefined) return fallback;
      const value = Number(raw);
      if (!Number.isFinite(value)) throw new Error(`--${name} must be a number, got ${raw}`);
      return value;
    },
  };
}
