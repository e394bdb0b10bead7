/** @module The `.env` parser follows Laravel's (phpdotenv) rules: comments, `export`, quotes, escapes, `${VAR}` expansion, line-numbered errors. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DotenvError, parseDotenv } from "../../src/config/dotenv.ts";

/** Asserts that parsing fails with a DotenvError on `line` whose message is `message`. */
function assertDotenvError(text: string, line: number, message: string): void {
  assert.throws(
    () => parseDotenv(text),
    (error: unknown) => {
      assert.ok(error instanceof DotenvError, `expected DotenvError, got ${String(error)}`);
      assert.equal(error.line, line);
      assert.equal(error.message, message);
      return true;
    },
  );
}

describe("dotenv: lines and names", () => {
  it("skips comments, indented comments and blank lines", () => {
    assert.deepEqual(parseDotenv("# heading\n\nA=1\n   # indented comment\n\t\nB=2\n"), { A: "1", B: "2" });
  });

  it("accepts an `export` prefix", () => {
    assert.deepEqual(parseDotenv("export A=1\nexport  B=two"), { A: "1", B: "two" });
  });

  it("allows spaces around `=` and leading indentation", () => {
    assert.deepEqual(parseDotenv("A = 1\nB=  2\n  C =3"), { A: "1", B: "2", C: "3" });
  });

  it("accepts names with underscores, digits and dots", () => {
    assert.deepEqual(parseDotenv("_A1=x\nREVERB_APP_ID=123\nmy.name=y"), { _A1: "x", REVERB_APP_ID: "123", "my.name": "y" });
  });

  it("a later definition replaces an earlier one", () => {
    assert.deepEqual(parseDotenv("A=1\nA=2"), { A: "2" });
  });

  it("returns nothing for an empty file", () => {
    assert.deepEqual(parseDotenv(""), {});
    assert.deepEqual(parseDotenv("\n\n# only comments\n"), {});
  });
});

describe("dotenv: unquoted values", () => {
  it("strips an inline comment that follows whitespace", () => {
    assert.deepEqual(parseDotenv("A=value # a comment\nB=value\t# tab comment"), { A: "value", B: "value" });
  });

  it("keeps `#` that is not preceded by whitespace", () => {
    assert.deepEqual(parseDotenv("A=a#b\nB=pass#word#1"), { A: "a#b", B: "pass#word#1" });
  });

  it("a value that is only a comment is empty", () => {
    assert.deepEqual(parseDotenv("A= # nothing here\nB=#x"), { A: "", B: "" });
  });

  it("trims trailing whitespace", () => {
    assert.deepEqual(parseDotenv("A=value   \nB=x\t"), { A: "value", B: "x" });
  });

  it("keeps backslashes literally", () => {
    assert.deepEqual(parseDotenv("A=C:\\path\\n"), { A: "C:\\path\\n" });
  });

  it("empty values are empty strings", () => {
    assert.deepEqual(parseDotenv("A=\nB=\"\"\nC=''"), { A: "", B: "", C: "" });
  });
});

describe("dotenv: quoted values", () => {
  it("single quotes are literal: no escapes, no expansion", () => {
    assert.deepEqual(parseDotenv("X=1\nA='a ${X} \\n \\\" # not a comment'"), { X: "1", A: 'a ${X} \\n \\" # not a comment' });
  });

  it("double quotes keep spaces and `#`", () => {
    assert.deepEqual(parseDotenv('A="  hello # world  "'), { A: "  hello # world  " });
  });

  it("double quotes understand \\n \\r \\t \\f \\v \\\" \\\\ \\$", () => {
    assert.deepEqual(parseDotenv('A="1\\n2\\r3\\t4\\f5\\v6\\"7\\\\8\\$9"'), { A: '1\n2\r3\t4\f5\v6"7\\8$9' });
  });

  it("an unknown escape in double quotes keeps its backslash", () => {
    assert.deepEqual(parseDotenv('A="a\\qb"'), { A: "a\\qb" });
  });

  it("double-quoted values may span lines", () => {
    assert.deepEqual(parseDotenv('A="line one\nline two\n  line three"\nB=after'), {
      A: "line one\nline two\n  line three",
      B: "after",
    });
  });

  it("single-quoted values may span lines", () => {
    assert.deepEqual(parseDotenv("A='one\ntwo'\nB=3"), { A: "one\ntwo", B: "3" });
  });

  it("allows a comment after the closing quote", () => {
    assert.deepEqual(parseDotenv("A='x' # ok\nB=\"y\"   # ok\nC=\"z\"#tight"), { A: "x", B: "y", C: "z" });
  });

  it("a quoted `#` at the start is a value, not a comment", () => {
    assert.deepEqual(parseDotenv('A="#not a comment"'), { A: "#not a comment" });
  });
});

describe("dotenv: ${VAR} expansion", () => {
  it("expands variables defined on earlier lines, unquoted and double-quoted", () => {
    assert.deepEqual(parseDotenv('HOST=example.com\nURL=https://${HOST}/x\nQ="${HOST}:${HOST}"'), {
      HOST: "example.com",
      URL: "https://example.com/x",
      Q: "example.com:example.com",
    });
  });

  it("expands variables from the real environment", () => {
    assert.deepEqual(parseDotenv("A=${FROM_ENV}-x", { FROM_ENV: "real" }), { A: "real-x" });
  });

  it("the real environment wins over an earlier line of the file", () => {
    assert.deepEqual(parseDotenv("APP_NAME=file\nB=${APP_NAME}", { APP_NAME: "env" }), { APP_NAME: "file", B: "env" });
  });

  it("unknown variables and later lines expand to an empty string", () => {
    assert.deepEqual(parseDotenv("A=[${NOPE}]\nB=${LATER}\nLATER=x"), { A: "[]", B: "", LATER: "x" });
  });

  it("an escaped \\${X} in double quotes stays literal", () => {
    assert.deepEqual(parseDotenv('X=1\nA="\\${X} and ${X}"'), { X: "1", A: "${X} and 1" });
  });

  it("a variable referring to itself sees only the environment", () => {
    assert.deepEqual(parseDotenv("PATH_X=${PATH_X}:/bin", { PATH_X: "/usr" }), { PATH_X: "/usr:/bin" });
  });
});

describe("dotenv: line endings", () => {
  it("reads CRLF files like LF files", () => {
    assert.deepEqual(parseDotenv("# c\r\nA=1\r\nB='two'\r\n\r\nC=\"3\" # x\r\n"), { A: "1", B: "two", C: "3" });
  });

  it("no stray \\r is left in values of CRLF files", () => {
    const values = parseDotenv("A=value\r\nB=\"x\r\ny\"\r\n");
    assert.equal(values["A"], "value");
    assert.equal(values["B"], "x\ny");
  });

  it("counts lines in CRLF files for errors", () => {
    assertDotenvError("A=1\r\n\r\nbroken\r\n", 3, 'expected NAME=value, found "broken"');
  });
});

describe("dotenv: errors name the line", () => {
  it("a line without `=`", () => {
    assertDotenvError("A=1\nnovalue\n", 2, 'expected NAME=value, found "novalue"');
  });

  it("an invalid name", () => {
    assertDotenvError("1A=x", 1, 'expected NAME=value, found "1A=x"');
    assertDotenvError("# c\nA B=x", 2, 'expected NAME=value, found "A B=x"');
  });

  it("an unterminated double quote, reported at the line it opened", () => {
    assertDotenvError('A=1\nB="open\nC=2\n', 2, 'B has an unterminated " quote');
  });

  it("an unterminated single quote", () => {
    assertDotenvError("A=1\n\nB='open\n", 3, "B has an unterminated ' quote");
  });

  it("junk after the closing quote", () => {
    assertDotenvError('A=1\n\nB="x" junk\n', 3, "unexpected text after the closing quote of B");
    assertDotenvError("A='x'y", 1, "unexpected text after the closing quote of A");
  });

  it("an escaped quote does not close a double-quoted value", () => {
    assertDotenvError('A="x\\"', 1, 'A has an unterminated " quote');
  });
});
