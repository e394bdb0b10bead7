/** @module rawMember: the exact source text of a top-level JSON member, used to relay client-event data byte for byte. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rawMember } from "../../src/protocol/raw-json.ts";

describe("rawMember", () => {
  it("returns scalars as written", () => {
    const json = '{"a":1,"b":-1.5e+10,"c":true,"d":null,"e":"s","f":12345678901234567890}';
    assert.equal(rawMember(json, "a"), "1");
    assert.equal(rawMember(json, "b"), "-1.5e+10");
    assert.equal(rawMember(json, "c"), "true");
    assert.equal(rawMember(json, "d"), "null");
    assert.equal(rawMember(json, "e"), '"s"');
    assert.equal(rawMember(json, "f"), "12345678901234567890");
  });

  it("returns nested objects and arrays whole", () => {
    const data = '{"x":[1,{"y":[[],{}]},"z"],"w":{"v":{"u":[]}}}';
    assert.equal(rawMember(`{"event":"client-x","data":${data},"channel":"c"}`, "data"), data);
    assert.equal(rawMember('{"data":[[1,[2,[3]]],[]]}', "data"), "[[1,[2,[3]]],[]]");
    assert.equal(rawMember('{"data":{}}', "data"), "{}");
    assert.equal(rawMember('{"data":[]}', "data"), "[]");
  });

  it("is not fooled by brackets, braces, commas and escaped quotes inside strings", () => {
    const data = '{"a":"}]\\"{[,","b":["\\\\",""],"c":"\\"\\\\\\""}';
    assert.doesNotThrow(() => JSON.parse(data));
    assert.equal(rawMember(`{"data":${data},"after":1}`, "data"), data);
    assert.equal(rawMember(`{"data":${data},"after":1}`, "after"), "1");
    assert.equal(rawMember('{"s":"a\\"b","data":2}', "data"), "2");
    assert.equal(rawMember('{"s":"ends with backslash\\\\","data":3}', "data"), "3");
  });

  it("keeps unicode escapes and raw unicode unchanged", () => {
    assert.equal(rawMember('{"data":"\\u00e9\\ud83d\\ude00"}', "data"), '"\\u00e9\\ud83d\\ude00"');
    assert.equal(rawMember('{"data":{"é":"😀"}}', "data"), '{"é":"😀"}');
  });

  it("takes the last of duplicated keys, as JSON.parse does", () => {
    assert.equal(rawMember('{"data":1,"data":{"x":2}}', "data"), '{"x":2}');
    assert.equal(rawMember('{"data":[1],"other":0,"data":"last"}', "data"), '"last"');
  });

  it("matches key names written with escapes", () => {
    assert.equal(rawMember('{"d\\u0061ta":[1]}', "data"), "[1]");
    assert.equal(rawMember('{"data":0,"\\u0064ata":5}', "data"), "5");
    assert.equal(rawMember('{"dat\\"a":1}', "data"), undefined);
    assert.equal(rawMember('{"a\\"b":7}', 'a"b'), "7");
  });

  it("tolerates whitespace everywhere and returns the value without surrounding whitespace", () => {
    const json = ' \n{ \t"event" : "x" ,\r\n "data"\n:\t{ "a" : [ 1 , 2 ] }  \n, "n" : 5 \n} ';
    assert.equal(rawMember(json, "data"), '{ "a" : [ 1 , 2 ] }');
    assert.equal(rawMember(json, "n"), "5");
    assert.equal(rawMember('{"data" : 7 }', "data"), "7");
  });

  it("returns undefined for an absent key, an empty object, and nested-only occurrences", () => {
    assert.equal(rawMember("{}", "data"), undefined);
    assert.equal(rawMember('{"event":"x"}', "data"), undefined);
    assert.equal(rawMember('{"x":{"data":1},"y":["data"]}', "data"), undefined);
    assert.equal(rawMember('{"datum":1,"Data":2}', "data"), undefined);
  });

  it("finds keys that follow deeply nested values", () => {
    const deep = "[".repeat(50) + "]".repeat(50);
    assert.equal(rawMember(`{"a":${deep},"data":"x"}`, "data"), '"x"');
    assert.equal(rawMember(`{"data":${deep}}`, "data"), deep);
  });
});
