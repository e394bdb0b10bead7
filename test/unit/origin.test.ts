/** @module allowed_origins globs: what matches, and that no pattern or header makes matching slow. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isOriginAllowed, matchesGlob, MAX_ORIGIN_LENGTH } from "../../src/protocol/origin.ts";

const glob = (pattern: string, text: string) => matchesGlob(pattern.split("*"), text);

describe("origin globs", () => {
  it("matches literal hosts exactly", () => {
    assert.equal(glob("laravel.com", "laravel.com"), true);
    assert.equal(glob("laravel.com", "laravel.co"), false);
    assert.equal(glob("laravel.com", "xlaravel.com"), false);
    assert.equal(glob("laravel.com", ""), false);
  });

  it("lets * stand for any run of characters, empty included", () => {
    const cases: Array<[string, string, boolean]> = [
      ["*.laravel.com", "www.laravel.com", true],
      ["*.laravel.com", "a.b.laravel.com", true],
      ["*.laravel.com", ".laravel.com", true],
      ["*.laravel.com", "laravel.com", false],
      ["*.laravel.com", "evil-laravel.com", false],
      ["*.laravel.com", "www.laravel.com.evil.com", false],
      ["app.*", "app.test", true],
      ["app.*", "app.", true],
      ["app.*", "ap.test", false],
      ["*", "", true],
      ["a*b*c", "abc", true],
      ["a*b*c", "aXbYc", true],
      ["a*b*c", "acb", false],
      ["a*b*c", "abcb", false],
      ["*ab*ab*", "abab", true],
      ["*ab*ab*", "aab", false],
      ["a*a", "a", false],
      ["a*a", "aa", true],
      ["**.x", "y.x", true],
      ["*.*.*.example.com", "a.b.c.example.com", true],
      ["*.*.*.example.com", "a.b.example.com", false],
    ];
    for (const [pattern, text, expected] of cases) assert.equal(glob(pattern, text), expected, `${pattern} vs ${text}`);
  });

  it("agrees with a reference regular expression on many random cases", () => {
    let seed = 42;
    const random = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n);
    const pick = (alphabet: string, length: number) => Array.from({ length }, () => alphabet[random(alphabet.length)]).join("");
    for (let i = 0; i < 5_000; i++) {
      const pattern = pick("ab.*", random(7));
      const text = pick("ab.", random(9));
      const reference = new RegExp(`^${pattern.split("*").map((s) => s.replace(/\./g, "\\.")).join(".*")}$`).test(text);
      assert.equal(glob(pattern, text), reference, `${pattern} vs ${text}`);
    }
  });

  it("stays fast on the pattern and header that froze the regex matcher", () => {
    const origins = ["*.*.*.*.*.*.*.*.example.com"];
    const hostile = `https://${"a.".repeat(1_000)}example.co`;
    const started = performance.now();
    for (let i = 0; i < 100; i++) assert.equal(isOriginAllowed(origins, hostile), false);
    // Generous: the backtracking regex took seconds per call on such input; this takes microseconds.
    assert.ok(performance.now() - started < 1_000, `${performance.now() - started} ms`);
  });

  it("refuses an Origin header longer than any host, unless every origin is allowed", () => {
    const long = `https://${"a".repeat(MAX_ORIGIN_LENGTH)}.example.com`;
    assert.equal(isOriginAllowed(["*.example.com"], long), false);
    assert.equal(isOriginAllowed(["*"], long), true);
  });

  it("compares host names case-insensitively and ignores scheme and port", () => {
    assert.equal(isOriginAllowed(["Laravel.COM"], "https://LARAVEL.com:8443"), true);
    assert.equal(isOriginAllowed(["laravel.com"], "http://laravel.com"), true);
    assert.equal(isOriginAllowed(["laravel.com"], "not a url"), false);
    assert.equal(isOriginAllowed(["laravel.com"], null), false);
  });
});
