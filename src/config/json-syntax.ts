/** @module Locates the first JSON syntax error as line and column; runtimes word JSON.parse errors differently (Bun gives no position). */

/** Where and why `text` is not valid JSON, or undefined when it is. */
export function findJsonSyntaxError(text: string): { line: number; column: number; problem: string } | undefined {
  let i = 0;
  const fail = (problem: string): never => {
    throw { offset: i, problem };
  };
  const space = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const expect = (literal: string) => {
    if (text.startsWith(literal, i)) i += literal.length;
    else fail(`expected ${literal}`);
  };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail("unescaped control character in string");
      if (text[i] === "\\") {
        i++;
        if (text[i] === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) i += 4;
        else if (!'"\\/bfnrt'.includes(text[i] ?? "x")) fail("invalid escape in string");
      }
      i++;
    }
    if (i >= text.length) fail("unterminated string");
    i++;
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === "{") return container("}", true);
    if (c === "[") return container("]", false);
    if (c === '"') return string();
    if (c === "t") return expect("true");
    if (c === "f") return expect("false");
    if (c === "n") return expect("null");
    const number = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!number) fail(c === undefined ? "unexpected end of file" : `unexpected character ${JSON.stringify(c)}`);
    i += number![0].length;
  };
  const container = (close: string, isObject: boolean) => {
    i++;
    space();
    if (text[i] === close) return void i++;
    for (;;) {
      if (isObject) {
        space();
        if (text[i] !== '"') fail(text[i] === close ? "trailing comma" : "expected a quoted key");
        string();
        space();
        expect(":");
      }
      value();
      space();
      if (text[i] === ",") {
        i++;
        space();
        if (text[i] === close) fail("trailing comma");
        continue;
      }
      if (text[i] === close) return void i++;
      fail(i >= text.length ? "unexpected end of file" : `expected , or ${close}`);
    }
  };
  try {
    value();
    space();
    if (i < text.length) fail("unexpected text after the JSON value");
    return undefined;
  } catch (error) {
    const { offset, problem } = error as { offset: number; problem: string };
    const before = text.slice(0, offset).split("\n");
    return { line: before.length, column: before.at(-1)!.length + 1, problem };
  }
}
