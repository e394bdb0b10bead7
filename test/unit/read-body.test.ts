/** @module Bounded request-body reading: declared lengths, chunked bodies, and bodies that lie about their length. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readBody, readHead } from "../../src/http/read-body.ts";

const bytes = (size: number) => new Uint8Array(size).fill(120);

/** A POST whose body arrives as a stream of `chunks`, with an optional Content-Length header. */
function streamed(chunks: Uint8Array[], contentLength?: number): Request {
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent < chunks.length) controller.enqueue(chunks[sent++]!);
      else controller.close();
    },
  });
  const headers = contentLength === undefined ? undefined : { "content-length": String(contentLength) };
  return new Request("http://localhost/apps/1/events", { method: "POST", body, headers, duplex: "half" } as RequestInit);
}

describe("readBody", () => {
  it("returns a body within the limit, with or without a declared length", async () => {
    assert.deepEqual(await readBody(streamed([bytes(600), bytes(400)], 1000), 1000), bytes(1000));
    assert.deepEqual(await readBody(streamed([bytes(600), bytes(400)]), 1000), bytes(1000));
    assert.deepEqual(await readBody(new Request("http://localhost/", { method: "POST", body: "{}" }), 10), new TextEncoder().encode("{}"));
  });

  it("returns an empty body for a request without one", async () => {
    assert.deepEqual(await readBody(new Request("http://localhost/"), 10), new Uint8Array(0));
    assert.deepEqual(await readBody(streamed([], 0), 10), new Uint8Array(0));
  });

  it("refuses a declared length over the limit without reading the body", async () => {
    let pulled = false;
    const body = new ReadableStream<Uint8Array>({ pull: () => void (pulled = true) }, { highWaterMark: 0 });
    const request = new Request("http://localhost/", { method: "POST", body, headers: { "content-length": "1001" }, duplex: "half" } as RequestInit);
    assert.equal(await readBody(request, 1000), undefined);
    assert.equal(pulled, false);
  });

  it("stops reading a chunked body as soon as it passes the limit", async () => {
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        controller.enqueue(bytes(400));
      },
    }, { highWaterMark: 0 });
    const request = new Request("http://localhost/", { method: "POST", body, duplex: "half" } as RequestInit);
    assert.equal(await readBody(request, 1000), undefined);
    assert.ok(pulls <= 4, `read ${pulls} chunks of an endless body`);
  });

  it("refuses a body longer than its declared length when that is over the limit", async () => {
    assert.equal(await readBody(streamed([bytes(800), bytes(800)], 10), 1000), undefined);
  });
});

describe("readHead", () => {
  it("counts the request line and every header as sent", () => {
    const request = new Request("http://localhost/x", { headers: { "x-a": "12345" } });
    assert.deepEqual(readHead(request, "/apps/1/events"), {
      headerBytes: "GET".length + "/apps/1/events".length + 12 + "x-a".length + 5 + 4,
      host: undefined,
      contentLength: null,
    });
  });

  it("reads Host and Content-Length in the same pass, as headers.get would", () => {
    const headers = new Headers([["Host", "example.com:8080"], ["Content-Length", "17"], ["X-B", "1"]]);
    const request = new Request("http://localhost/x", { method: "POST", headers, body: "x".repeat(17) });
    const head = readHead(request, "/p");
    assert.equal(head.host, request.headers.get("host"));
    assert.equal(head.contentLength, request.headers.get("content-length"));
    let expected = "POST".length + "/p".length + 12;
    request.headers.forEach((value, key) => (expected += key.length + value.length + 4));
    assert.equal(head.headerBytes, expected);
  });
});
