/** @module Parser for Laravel `.env` files (phpdotenv rules): comments, `export`, quotes, escapes, `${VAR}` expansion. */

/** A line of a `.env` file that cannot be read. */
export class DotenvError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(message);
    this.line = line;
  }
}

const NAME = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*/;
const ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", f: "\f", v: "\v", '"': '"', "\\": "\\", $: "$" };

/**
 * Parses `.env` text. `${NAME}` expands to `environment[NAME]` (real variables win, as in Laravel) or to
 * an earlier entry of the file, else to "". Single-quoted values are literal.
 */
export function parseDotenv(text: string, environment: Record<string, string | undefined> = {}): Record<string, string> {
  const values: Record<string, string> = {};
  const lookup = (name: string) => environment[name] ?? values[name] ?? "";
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const lineNumber = i + 1;
    const line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    const match = NAME.exec(line.trimStart());
    if (!match) throw new DotenvError(lineNumber, `expected NAME=value, found "${line.trim()}"`);
    const name = match[1]!;
    let rest = line.trimStart().slice(match[0].length);
    const quote = rest[0];
    if (quote === '"' || quote === "'") {
      // Quoted values may span lines until the closing quote.
      let body = rest.slice(1);
      let end = closingQuote(body, quote);
      while (end < 0 && i + 1 < lines.length) {
        body += "\n" + lines[++i];
        end = closingQuote(body, quote);
      }
      if (end < 0) throw new DotenvError(lineNumber, `${name} has an unterminated ${quote} quote`);
      const trailing = body.slice(end + 1).trim();
      if (trailing && !trailing.startsWith("#")) {
        throw new DotenvError(lineNumber, `unexpected text after the closing quote of ${name}`);
      }
      const raw = body.slice(0, end);
      values[name] = quote === "'" ? raw : expandQuoted(raw, lookup);
    } else {
      rest = rest.replace(/\s+#.*$/, "").trim();
      if (rest.startsWith("#")) rest = "";
      values[name] = expand(rest, lookup);
    }
  }
  return values;
}

function closingQuote(body: string, quote: string): number {
  for (let i = 0; i < body.length; i++) {
    if (body[i] === "\\" && quote === '"') i++;
    else if (body[i] === quote) return i;
  }
  return -1;
}

/** Escapes and `${NAME}` in one pass, so an escaped `\${NAME}` stays literal. */
function expandQuoted(raw: string, lookup: (name: string) => string): string {
  return raw.replace(/\\(.)|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/gs, (all, char: string | undefined, name: string | undefined) =>
    char !== undefined ? (ESCAPES[char] ?? all) : lookup(name!)
  );
}

function expand(value: string, lookup: (name: string) => string): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => lookup(name));
}
