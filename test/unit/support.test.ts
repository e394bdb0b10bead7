/** @module Support utilities: SHA-256/HMAC/MD5 against published vectors and node:crypto, comparisons, suggestions, paths, JSON positions, channel kinds, origins. */

import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { describe, it } from "node:test";
import { channelKind, isValidChannelName } from "../../src/channels/channel-kind.ts";
import { findJsonSyntaxError } from "../../src/config/json-syntax.ts";
import { isOriginAllowed } from "../../src/protocol/origin.ts";
import { closest } from "../../src/support/closest.ts";
import { dirname, isAbsolutePath, resolvePath } from "../../src/support/paths.ts";
import { hmacSha256Hex, md5Hex } from "../../src/support/hashes.ts";
import { timingSafeEqual } from "../../src/support/timing-safe-equal.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);

/** Deterministic PRNG (mulberry32) so random-input tests are reproducible. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = ["a", "Z", "0", " ", ":", "\n", "é", "ß", "€", "中", "😀", "\u0000", "\u007f"];
function randomText(next: () => number, length: number): string {
  return Array.from({ length }, () => ALPHABET[Math.floor(next() * ALPHABET.length)]).join("");
}

describe("hmacSha256Hex", () => {
  it("matches RFC 4231 test cases 1, 2 and 5 (the ones with text keys)", () => {
    assert.equal(hmacSha256Hex("\x0b".repeat(20), "Hi There"), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    assert.equal(hmacSha256Hex("Jefe", "what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    assert.equal(hmacSha256Hex("\x0c".repeat(20), "Test With Truncation").slice(0, 32), "a3b6167473100ee06e0c796c2955552b");
  });

  it("matches the RFC 4231 shape for keys longer than a block (case 6 structure, text key)", () => {
    const key = "k".repeat(131);
    const message = "Test Using Larger Than Block-Size Key - Hash Key First";
    assert.equal(hmacSha256Hex(key, message), createHmac("sha256", key).update(message).digest("hex"));
  });

  it("agrees with node:crypto on random UTF-8 keys and messages, including keys over 64 bytes", () => {
    const next = prng(42);
    for (let i = 0; i < 300; i++) {
      const key = randomText(next, Math.floor(next() * 90));
      const message = randomText(next, Math.floor(next() * 300));
      assert.equal(hmacSha256Hex(key, message), createHmac("sha256", key).update(message).digest("hex"), JSON.stringify({ key, message }));
    }
  });

  it("keys of exactly 64 and 65 bytes", () => {
    for (const key of ["x".repeat(64), "x".repeat(65), "é".repeat(32), "é".repeat(33)]) {
      assert.equal(hmacSha256Hex(key, "message"), createHmac("sha256", key).update("message").digest("hex"));
    }
  });

  it("keeps each secret's precomputed key apart, whatever the order of use", () => {
    const next = prng(9);
    const secrets = ["a", "b", "reverb-secret", "x".repeat(100)];
    for (let i = 0; i < 200; i++) {
      const secret = secrets[Math.floor(next() * secrets.length)]!;
      const message = randomText(next, 40);
      assert.equal(hmacSha256Hex(secret, message), createHmac("sha256", secret).update(message).digest("hex"));
    }
  });

  it("signs a Pusher channel-auth string as Laravel does", () => {
    const expected = createHmac("sha256", "reverb-secret").update("1234.5678:private-test").digest("hex");
    assert.equal(hmacSha256Hex("reverb-secret", "1234.5678:private-test"), expected);
  });
});

describe("md5Hex", () => {
  it("matches the RFC 1321 test suite", () => {
    const vectors: Array<[string, string]> = [
      ["", "d41d8cd98f00b204e9800998ecf8427e"],
      ["a", "0cc175b9c0f1b6a831c399e269772661"],
      ["abc", "900150983cd24fb0d6963f7d28e17f72"],
      ["message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
      ["abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"],
      ["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"],
      ["1234567890".repeat(8), "57edf4a22be3c955ac49da2e2107b67a"],
    ];
    for (const [input, digest] of vectors) assert.equal(md5Hex(utf8(input)), digest, JSON.stringify(input));
  });

  it("agrees with node:crypto at every padding boundary, on random bytes and on UTF-8 JSON bodies", () => {
    const next = prng(7);
    for (let length = 0; length <= 200; length++) {
      const bytes = Uint8Array.from({ length }, () => Math.floor(next() * 256));
      assert.equal(md5Hex(bytes), createHash("md5").update(bytes).digest("hex"), `length ${length}`);
    }
    const body = utf8(JSON.stringify({ name: "évènement 😀", channels: ["private-中"], data: "x".repeat(5000) }));
    assert.equal(md5Hex(body), createHash("md5").update(body).digest("hex"));
  });
});

describe("timingSafeEqual", () => {
  it("is true only for identical strings", () => {
    assert.equal(timingSafeEqual("", ""), true);
    assert.equal(timingSafeEqual("abc", "abc"), true);
    assert.equal(timingSafeEqual("abc", "abd"), false);
    assert.equal(timingSafeEqual("abc", "ab"), false);
    assert.equal(timingSafeEqual("ab", "abc"), false);
    assert.equal(timingSafeEqual("", "a"), false);
    assert.equal(timingSafeEqual("a", "a\u0000"), false);
    assert.equal(timingSafeEqual("A", "a"), false);
    assert.equal(timingSafeEqual("€", "€"), true);
    assert.equal(timingSafeEqual("€", "¬"), false);
  });
});

describe("closest", () => {
  it("suggests a near candidate and nothing for a far one", () => {
    assert.equal(closest("prot", ["host", "port", "path"]), "port");
    assert.equal(closest("secrett", ["app_id", "key", "secret"]), "secret");
    assert.equal(closest("local_crt", ["local_cert", "local_pk", "passphrase"]), "local_cert");
    assert.equal(closest("PORT", ["host", "port"]), "port");
    assert.equal(closest("banana", ["host", "port", "path"]), undefined);
    assert.equal(closest("x", []), undefined);
  });
});

describe("paths", () => {
  it("isAbsolutePath recognizes POSIX and Windows forms", () => {
    for (const path of ["/etc/x", "C:\\x", "c:/x", "\\\\server\\share\\x"]) assert.equal(isAbsolutePath(path), true, path);
    for (const path of ["x", "./x", "../x", "C:x", ""]) assert.equal(isAbsolutePath(path), false, path);
  });

  it("resolvePath joins relative paths to the base and keeps absolute ones", () => {
    assert.equal(resolvePath("/home/me", "reverb.json"), "/home/me/reverb.json");
    assert.equal(resolvePath("/home/me/", "conf/reverb.json"), "/home/me/conf/reverb.json");
    assert.equal(resolvePath("/home/me", "/etc/reverb.json"), "/etc/reverb.json");
    assert.equal(resolvePath("/", "x"), "/x");
    assert.equal(resolvePath("C:\\Users\\me", "reverb.json"), "C:\\Users\\me\\reverb.json");
    assert.equal(resolvePath("C:\\Users\\me\\", "reverb.json"), "C:\\Users\\me\\reverb.json");
    assert.equal(resolvePath("C:\\Users\\me", "D:\\certs\\a.crt"), "D:\\certs\\a.crt");
    assert.equal(resolvePath("C:/Users/me", "a.crt"), "C:/Users/me/a.crt");
    assert.equal(resolvePath("/home/me", "\\\\server\\share\\a.crt"), "\\\\server\\share\\a.crt");
  });

  it("dirname returns the directory part", () => {
    assert.equal(dirname("/etc/resound/reverb.json"), "/etc/resound");
    assert.equal(dirname("/reverb.json"), "/");
    assert.equal(dirname("reverb.json"), ".");
    assert.equal(dirname("conf/reverb.json"), "conf");
    assert.equal(dirname("C:\\resound\\reverb.json"), "C:\\resound");
    assert.equal(dirname("C:/resound/reverb.json"), "C:/resound");
    assert.equal(dirname("\\\\server\\share\\reverb.json"), "\\\\server\\share");
  });

  it("a file at a Windows drive root resolves its neighbours to an absolute path on that drive", () => {
    const resolved = resolvePath(dirname("C:\\reverb.json"), "ws.crt");
    assert.ok(isAbsolutePath(resolved), resolved);
    assert.match(resolved, /^C:[\\/]ws\.crt$/);
  });
});

describe("findJsonSyntaxError", () => {
  it("returns undefined for valid JSON", () => {
    for (const text of ['{"a":[1,2.5,-3e2,true,false,null,"\\u00e9\\n"]}', "  []  ", "0", '"x"', '{\r\n "a": {}\r\n}']) {
      assert.equal(findJsonSyntaxError(text), undefined, text);
    }
  });

  it("reports line, column and problem", () => {
    const cases: Array<[string, { line: number; column: number; problem: string }]> = [
      ['{"a":1,}', { line: 1, column: 8, problem: "trailing comma" }],
      ["[1,2,]", { line: 1, column: 6, problem: "trailing comma" }],
      ['{\n  "server": {\n    "port": 1,\n  }\n}', { line: 4, column: 3, problem: "trailing comma" }],
      ['{\n  "a": 1\n  "b": 2\n}', { line: 3, column: 3, problem: "expected , or }" }],
      ["{\n  a: 1\n}", { line: 2, column: 3, problem: "expected a quoted key" }],
      ['{"a" 1}', { line: 1, column: 6, problem: "expected :" }],
      ['{"a": tru}', { line: 1, column: 7, problem: "expected true" }],
      ["{'a': 1}", { line: 1, column: 2, problem: "expected a quoted key" }],
      ['{"a": "x', { line: 1, column: 9, problem: "unterminated string" }],
      ['{"a": 1', { line: 1, column: 8, problem: "unexpected end of file" }],
      ["", { line: 1, column: 1, problem: "unexpected end of file" }],
      ['{"a": "\\x"}', { line: 1, column: 9, problem: "invalid escape in string" }],
      ['{"a": "line\nbreak"}', { line: 1, column: 12, problem: "unescaped control character in string" }],
      ["{} x", { line: 1, column: 4, problem: "unexpected text after the JSON value" }],
      ["[01]", { line: 1, column: 3, problem: "expected , or ]" }],
      ["{\n\n  \"a\": @\n}", { line: 3, column: 8, problem: 'unexpected character "@"' }],
    ];
    for (const [text, expected] of cases) {
      assert.deepEqual(findJsonSyntaxError(text), expected, JSON.stringify(text));
      assert.throws(() => JSON.parse(text), SyntaxError, `JSON.parse also rejects ${JSON.stringify(text)}`);
    }
  });
});

describe("channelKind", () => {
  const flags = (name: string) => {
    const kind = channelKind(name);
    return [kind.authenticated, kind.presence, kind.cache, kind.encrypted];
  };
  const table: Array<[string, [boolean, boolean, boolean, boolean]]> = [
    ["foo", [false, false, false, false]],
    ["", [false, false, false, false]],
    ["private-foo", [true, false, false, false]],
    ["presence-foo", [true, true, false, false]],
    ["cache-foo", [false, false, true, false]],
    ["private-cache-foo", [true, false, true, false]],
    ["presence-cache-foo", [true, true, true, false]],
    ["private-encrypted-foo", [true, false, false, true]],
    ["private-encrypted-cache-x", [true, false, true, true]],
    ["privatefoo", [false, false, false, false]],
    ["presencefoo", [false, false, false, false]],
    ["cachefoo", [false, false, false, false]],
    ["private-cachefoo", [true, false, false, false]],
    ["private-encryptedfoo", [true, false, false, false]],
    ["Private-foo", [false, false, false, false]],
    ["presence-encrypted-x", [true, true, false, false]],
    ["cache-private-x", [false, false, true, false]],
    ["#server-to-user-1", [false, false, false, false]],
    ["private-user-1", [true, false, false, false]],
  ];
  for (const [name, expected] of table) {
    it(`${JSON.stringify(name)} is [authenticated, presence, cache, encrypted] = ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(flags(name), expected);
    });
  }
});

describe("isValidChannelName", () => {
  it("accepts 1 to 164 characters of A-Za-z0-9_-=@,.;", () => {
    for (const name of ["a", "test-channel", "private-encrypted-cache-x", "A_z-0=9@,.;", "x".repeat(164)]) {
      assert.equal(isValidChannelName(name), true, name);
    }
  });

  it("refuses empty, too long, and any other character", () => {
    for (const name of ["", "x".repeat(165), "a b", "a/b", "a:b", "a#b", "#server-to-user-1", "é", "a\n", "a*", "a|b", "[]"]) {
      assert.equal(isValidChannelName(name), false, JSON.stringify(name));
    }
  });
});

describe("isOriginAllowed", () => {
  const cases: Array<[string[], string | null, boolean]> = [
    [["*"], "http://anything.example", true],
    [["*"], null, true],
    [["laravel.com"], "http://localhost", false],
    [["laravel.com"], "http://sub.laravel.com", false],
    [["*.laravel.com"], "http://laravel.com", false],
    [["*.laravel.com"], "https://sub.laravel.com", true],
    [["*.laravel.com"], "https://a.b.laravel.com", true],
    [["localhost"], "http://localhost", true],
    [["localhost"], "http://localhost:3000", true],
    [["localhost", "*.localhost"], "http://sub.localhost", true],
    [["laravel.com"], "http://laravel.com", true],
    [["laravel.com"], "https://laravel.com:8443/path?q=1", true],
    [["laravel.com"], null, false],
    [["laravel.com"], "", false],
    [["laravel.com"], "not a url", false],
    [["Laravel.com"], "http://laravel.com", true], // host names are case-insensitive (Reverb compares case-sensitively)
    [["https://app.com"], "https://app.com", false],
    [["app.com:443"], "https://app.com", false],
    [["laravel.com"], "http://laravelXcom", false],
    [["lara*.com"], "http://laravel.com", true],
    [["*"], "", true],
  ];
  for (const [allowed, origin, expected] of cases) {
    it(`${JSON.stringify(allowed)} ${expected ? "allows" : "refuses"} Origin ${JSON.stringify(origin)}`, () => {
      assert.equal(isOriginAllowed(allowed, origin), expected);
    });
  }
});
