/**
 * Test helpers that talk to the local server over real sockets: `ossFetch`
 * (signed `fetch`, path-style) and `rawRequest` (hand-written HTTP/1.1 over
 * `node:net`, for Host headers, raw paths and malformed requests).
 *
 * @module
 */

import { connect } from "node:net";
import { concatBytes } from "../lib/_concat_bytes.ts";
import { signV1, signV4 } from "../lib/signing/signing.ts";
import type { TestServer } from "./_server.ts";

/** One OSS call. */
export interface OssCall {
  method?: string;
  bucket?: string;
  key?: string;
  query?: [string, string | undefined][];
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  /** `"v4"` (default), `"v1"`, or `false` for an anonymous request. */
  sign?: "v4" | "v1" | false;
}

/** Encodes a key for a path: every byte but unreserved characters and `/`. */
export function encodeKey(key: string): string {
  return encodeURIComponent(key).replace(
    /[!'()*]/g,
    (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase(),
  ).replaceAll("%2F", "/");
}

/** Encodes query pairs (flags without `=`). */
export function encodeQuery(query: [string, string | undefined][]): string {
  return query.map(([k, v]) =>
    v === undefined ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`
  ).join("&");
}

/** Signs `headers` in place for the call. */
export async function signCall(server: TestServer, call: OssCall, headers: Headers): Promise<void> {
  const sign = call.sign ?? "v4";
  if (sign === false) return;
  const req = {
    method: call.method ?? "GET",
    bucket: call.bucket,
    key: call.key,
    query: call.query ?? [],
    headers,
  };
  const credentials = { accessKeyId: server.accessKeyId, accessKeySecret: server.accessKeySecret };
  if (sign === "v1") await signV1(req, { credentials });
  else await signV4(req, { credentials, region: server.region });
}

/** Path (and query) of a path-style call. */
export function pathOf(call: OssCall): string {
  let path = "/";
  if (call.bucket !== undefined) path += call.bucket + "/";
  if (call.key !== undefined) path += encodeKey(call.key);
  const q = encodeQuery(call.query ?? []);
  return q === "" ? path : `${path}?${q}`;
}

/** A signed path-style request with `fetch`. */
export async function ossFetch(server: TestServer, call: OssCall): Promise<Response> {
  const headers = new Headers(call.headers);
  if (typeof call.body === "string") call = { ...call, body: new TextEncoder().encode(call.body) };
  await signCall(server, call, headers);
  return await fetch(server.url + pathOf(call), {
    method: call.method ?? "GET",
    headers,
    body: call.body as Uint8Array<ArrayBuffer> | undefined,
  });
}

/** `fetch` then read the body as text. */
export async function ossText(
  server: TestServer,
  call: OssCall,
): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await ossFetch(server, call);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** An answer read off a raw socket. */
export interface RawResponse {
  status: number;
  headers: Headers;
  body: Uint8Array;
  text: string;
}

/** Options of {@linkcode rawRequest}. */
export interface RawRequest {
  method: string;
  /** Request target exactly as sent, e.g. `/b/a%2Bb`. */
  target: string;
  /** Header lines in order (Host must be included by the caller if wanted; default the endpoint). */
  headers?: [string, string][];
  /** Body bytes written after the headers. */
  body?: Uint8Array | string;
  /** Half-close the socket after writing (to cut a body short). Default `false`. */
  endAfterWrite?: boolean;
  /** Close the socket once the bytes are written: a client that went away. Default `false`. */
  closeAfterWrite?: boolean;
  /**
   * Resolve as soon as a whole answer arrived (then close), rather than when
   * the server closes: for a client that stalls while the server answers
   * (Deno.serve keeps such a socket open until the client leaves). Default `false`.
   */
  untilAnswered?: boolean;
}

/**
 * Sends one hand-written HTTP/1.1 request (with `Connection: close`) and
 * reads the answer; resolves `undefined` when the server closed the
 * connection without answering.
 */
export function rawRequest(server: TestServer, r: RawRequest): Promise<RawResponse | undefined> {
  const [host, port] = server.endpoint.split(":");
  const headers = r.headers ?? [];
  const lines = [`${r.method} ${r.target} HTTP/1.1`];
  if (!headers.some(([k]) => k.toLowerCase() === "host")) lines.push(`Host: ${server.endpoint}`);
  for (const [k, v] of headers) lines.push(`${k}: ${v}`);
  lines.push("Connection: close", "", "");
  const head = new TextEncoder().encode(lines.join("\r\n"));
  const body = typeof r.body === "string" ? new TextEncoder().encode(r.body) : r.body;
  return new Promise((resolve) => {
    const chunks: Uint8Array[] = [];
    const socket = connect({ host, port: Number(port) }, () => {
      socket.write(head);
      if (body && body.length > 0) socket.write(body);
      if (r.endAfterWrite) socket.end();
      if (r.closeAfterWrite) socket.write(new Uint8Array(0), () => socket.destroy());
    });
    socket.on("data", (d: Uint8Array) => {
      chunks.push(new Uint8Array(d));
      if (!r.untilAnswered) return;
      const answer = parseRaw(concatBytes(chunks));
      const length = answer?.headers.get("content-length");
      if (answer && length !== null && answer.body.length === Number(length)) {
        socket.destroy();
        resolve(answer);
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => resolve(parseRaw(concatBytes(chunks))));
  });
}

function indexOfCrlfCrlf(b: Uint8Array): number {
  for (let i = 0; i + 3 < b.length; i++) {
    if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  }
  return -1;
}

function parseRaw(all: Uint8Array): RawResponse | undefined {
  let data = all;
  for (;;) {
    const end = indexOfCrlfCrlf(data);
    if (end === -1) return undefined;
    const head = new TextDecoder().decode(data.subarray(0, end)).split("\r\n");
    const status = Number(head[0].split(" ")[1]);
    const headers = new Headers();
    for (const line of head.slice(1)) {
      const colon = line.indexOf(":");
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
    let rest = data.subarray(end + 4);
    if (status === 100) {
      data = rest;
      continue;
    }
    if (headers.get("transfer-encoding")?.includes("chunked")) rest = dechunk(rest);
    else if (headers.has("content-length")) {
      rest = rest.subarray(0, Number(headers.get("content-length")));
    }
    return { status, headers, body: rest, text: new TextDecoder().decode(rest) };
  }
}

function dechunk(b: Uint8Array): Uint8Array {
  const out: Uint8Array[] = [];
  let at = 0;
  for (;;) {
    let lineEnd = at;
    while (lineEnd + 1 < b.length && !(b[lineEnd] === 13 && b[lineEnd + 1] === 10)) lineEnd++;
    if (lineEnd + 1 >= b.length) break;
    const size = parseInt(new TextDecoder().decode(b.subarray(at, lineEnd)), 16);
    if (!(size > 0)) break;
    out.push(b.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return concatBytes(out);
}

/** Signed headers of a raw call, as header lines. */
export async function signedHeaderLines(
  server: TestServer,
  call: OssCall,
  extra: Record<string, string> = {},
): Promise<[string, string][]> {
  const headers = new Headers({ ...call.headers, ...extra });
  await signCall(server, call, headers);
  return [...headers];
}
