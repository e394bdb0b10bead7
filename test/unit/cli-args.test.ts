/** @module Command-line parsing: Reverb's reverb:start flags plus ours, typo suggestions and the --help text. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { helpText, parseArgs } from "../../src/cli/args.ts";
import { ConfigError } from "../../src/config/fields.ts";

/** Asserts that parsing fails with exactly this one-line message. */
function assertRejects(argv: string[], message: string): void {
  assert.throws(() => parseArgs(argv), (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    assert.equal(error.message, message);
    return true;
  });
}

describe("parseArgs: values", () => {
  it("nothing given, nothing set", () => {
    assert.deepEqual(parseArgs([]), {});
  });

  it("reads `--flag value` and `--flag=value`", () => {
    assert.deepEqual(parseArgs(["--port", "1"]), { port: "1" });
    assert.deepEqual(parseArgs(["--port=1"]), { port: "1" });
  });

  it("reads every value flag", () => {
    assert.deepEqual(
      parseArgs(["--host", "127.0.0.1", "--port=9000", "--path", "/ws", "--hostname=ws.test", "--config", "reverb.json", "--env-file=.env.prod"]),
      { host: "127.0.0.1", port: "9000", path: "/ws", hostname: "ws.test", config: "reverb.json", "env-file": ".env.prod" },
    );
  });

  it("keeps `=` inside a value", () => {
    assert.deepEqual(parseArgs(["--path=a=b"]), { path: "a=b" });
  });

  it("an explicit empty value is kept (and validated later)", () => {
    assert.deepEqual(parseArgs(["--path="]), { path: "" });
  });

  it("a value may start with a single dash", () => {
    assert.deepEqual(parseArgs(["--port", "-1"]), { port: "-1" });
  });

  it("the last occurrence of a flag wins", () => {
    assert.deepEqual(parseArgs(["--host", "a", "--host", "b"]), { host: "b" });
  });
});

describe("parseArgs: the end-of-options marker", () => {
  // Node reads `--env-file FILE` itself wherever it appears before a `--`, even after the script name, and exits 9
  // when FILE is missing; `resound -- --env-file FILE` (the README's advice) keeps it from doing so.
  it("skips `--`, so the flags after it are read as usual", () => {
    assert.deepEqual(parseArgs(["--", "--env-file", "/srv/app/.env", "--port", "9000"]), { "env-file": "/srv/app/.env", port: "9000" });
    assert.deepEqual(parseArgs(["--debug", "--", "--env-file=/srv/app/.env"]), { debug: true, "env-file": "/srv/app/.env" });
  });
});

describe("parseArgs: switches", () => {
  it("reads --debug --quiet --production --help --version as true", () => {
    assert.deepEqual(parseArgs(["--debug", "--quiet", "--production", "--help", "--version"]), {
      debug: true,
      quiet: true,
      production: true,
      help: true,
      version: true,
    });
  });

  it("-h is --help and -v is --version", () => {
    assert.deepEqual(parseArgs(["-h"]), { help: true });
    assert.deepEqual(parseArgs(["-v"]), { version: true });
  });

  it("mixes switches and values", () => {
    assert.deepEqual(parseArgs(["--debug", "--port", "8081", "--quiet"]), { debug: true, port: "8081", quiet: true });
  });
});

describe("parseArgs: mistakes", () => {
  it("suggests the closest flag for a typo", () => {
    assertRejects(["--prot", "1"], "Unknown option --prot; did you mean --port?");
    assertRejects(["--hots", "x"], "Unknown option --hots; did you mean --host?");
    assertRejects(["--env_file", "x"], "Unknown option --env_file; did you mean --env-file?");
    assertRejects(["--debgu"], "Unknown option --debgu; did you mean --debug?");
  });

  it("points at --help when nothing is close", () => {
    assertRejects(["--banana"], "Unknown option --banana; see --help.");
    assertRejects(["-x"], "Unknown option --x; see --help.");
  });

  it("a value flag at the end needs a value", () => {
    assertRejects(["--port"], "--port needs a value (PORT).");
    assertRejects(["--config"], "--config needs a value (FILE).");
  });

  it("a value flag followed by another flag needs a value", () => {
    assertRejects(["--port", "--debug"], "--port needs a value (PORT).");
    assertRejects(["--host", "--port=1"], "--host needs a value (HOST).");
  });

  it("a switch given a value is refused", () => {
    assertRejects(["--debug=yes"], "--debug takes no value.");
    assertRejects(["--help=1"], "--help takes no value.");
  });

  it("a stray positional argument is refused", () => {
    assertRejects(["start"], 'Unexpected argument "start"; options start with --, see --help.');
    assertRejects(["--port", "1", "2"], 'Unexpected argument "2"; options start with --, see --help.');
  });
});

describe("helpText", () => {
  const text = helpText("npm start --");
  const lines = text.split("\n");
  const lineFor = (flag: string) => lines.find((line) => line.trimStart().startsWith(`--${flag} `) || line.trim() === `--${flag}`);

  it("starts with the usage line", () => {
    assert.equal(lines[0], "Usage: npm start -- [options]");
    assert.equal(lines[1], "       npm start -- restart [options]");
  });

  it("lists every flag with its value name and its env variable", () => {
    const expected: Array<[string, string | null, string | null]> = [
      ["host", "HOST", "REVERB_SERVER_HOST"],
      ["port", "PORT", "REVERB_SERVER_PORT"],
      ["path", "PREFIX", "REVERB_SERVER_PATH"],
      ["hostname", "NAME", "REVERB_HOST"],
      ["config", "FILE", null],
      ["env-file", "FILE", null],
      ["debug", null, null],
      ["quiet", null, null],
      ["production", null, null],
      ["help", null, null],
      ["version", null, null],
    ];
    for (const [flag, value, env] of expected) {
      const line = lineFor(flag);
      assert.ok(line, `--${flag} is listed`);
      if (value) assert.match(line, new RegExp(`--${flag} ${value}\\b`));
      if (env) assert.ok(line.includes(`[env ${env}]`), `--${flag} names ${env}: ${line}`);
    }
  });

  it("shows Reverb's defaults for host and port", () => {
    assert.ok(lineFor("host")?.includes("(default 0.0.0.0)"));
    assert.ok(lineFor("port")?.includes("(default 8080)"));
  });

  it("lists no flag the parser does not accept", () => {
    for (const line of lines.filter((l) => l.trimStart().startsWith("--"))) {
      const name = line.trim().split(/\s+/)[0]!;
      const argv = /^[A-Z]/.test(line.trim().split(/\s+/)[1] ?? "") ? [name, "x"] : [name];
      assert.doesNotThrow(() => parseArgs(argv), name);
    }
  });
});
