/**
 * HTTP/1.1 on the wire: a request's head, and an answer's head and body framing, for the
 * transports that speak it on sockets themselves (`bun/socket_fetch.ts`,
 * `node_api/socket_request.ts`).
 *
 * @module
 */

/**
 * The head of a request: its line, a `host` field unless `headers` has one, `headers`, then
 * the framing fields (`content-length` or `transfer-encoding`), which replace any of the same
 * name in `headers`.
 *
 * @param method The method, e.g. `GET`.
 * @param url Where to.
 * @param headers The caller's fields, read and not changed: the head is written from them
 *   directly, as copying a `Headers` to add a field costs more than the rest of the head
 *   (2–6 µs a request on Node and Deno).
 * @param framing The body's length (`content-length`) or `chunked`; none for no body.
 * @returns The head, blank line included.
 */
export function requestHead(
  method: string,
  url: URL,
  headers: Headers,
  framing?: number | "chunked",
): string {
  let head = `${method} ${url.pathname}${url.search} HTTP/1.1\r\n`;
  if (!headers.has("host")) head += `host: ${url.host}\r\n`;
  headers.forEach((value, name) => {
    if (framing !== undefined && (name === "content-length" || name === "transfer-encoding")) {
      return;
    }
    head += `${name}: ${value}\r\n`;
  });
  if (framing === "chunked") head += "transfer-encoding: chunked\r\n";
  else if (framing !== undefined) head += `content-length: ${framing}\r\n`;
  return head + "\r\n";
}

/** Statuses whose answer has no body: a `Response` cannot be made with one. */
export const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([101, 103, 204, 205, 304]);

/** The most bytes an answer's head may take. */
export const MAX_HEAD_BYTES = 64 * 1024;

/** An answer's status line and fields, and whether its connection can carry another request. */
export interface AnswerHead {
  status: number;
  statusText: string;
  headers: Headers;
  keepAlive: boolean;
}

/**
 * Parses an answer's head: its text up to, not including, the blank line.
 *
 * @param text The head.
 * @returns Status, fields and keep-alive.
 * @throws {Error} When it is not an HTTP/1.x answer head.
 */
export function parseAnswerHead(text: string): AnswerHead {
  const lines = text.split("\r\n");
  const match = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0]);
  if (!match) throw new Error(`not an HTTP/1.x answer: ${lines[0].slice(0, 60)}`);
  const headers = new Headers();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw new Error("malformed answer header");
    headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const connection = (headers.get("connection") ?? "").toLowerCase();
  const keepAlive = match[1] === "1"
    ? !/\bclose\b/.test(connection)
    : /\bkeep-alive\b/.test(connection);
  return { status: Number(match[2]), statusText: match[3] ?? "", headers, keepAlive };
}

/**
 * Where the blank line ending a head starts (its CRLFCRLF), or -1.
 *
 * @param buffer Bytes from the start of the head.
 * @returns The index of the CRLFCRLF, or -1 when there is none yet.
 */
export function indexOfHeadEnd(buffer: Uint8Array): number {
  for (let i = 0; i + 3 < buffer.byteLength; i++) {
    if (buffer[i] === 13 && buffer[i + 1] === 10 && buffer[i + 2] === 13 && buffer[i + 3] === 10) {
      return i;
    }
  }
  return -1;
}

/** How an answer's body is delimited, and its length when it is given. */
export interface BodyFraming {
  mode: "length" | "chunked" | "close" | "none";
  /** The body's length in `"length"` mode, else 0. */
  length: number;
}

/**
 * Whether `status` is an interim answer (100 Continue and the like), which the final answer
 * follows on the same connection. 101 Switching Protocols is final.
 *
 * @param status The answer's status.
 * @returns True for 1xx other than 101.
 */
export function isInterim(status: number): boolean {
  return status >= 100 && status < 200 && status !== 101;
}

/**
 * How the body of the answer with `head` is delimited: none (a HEAD request, or a status that
 * has none), chunked, by content-length, or until the connection closes.
 *
 * @param head The answer's head.
 * @param headRequest Whether the request was a HEAD.
 * @returns The framing.
 * @throws {Error} When the content-length is not a whole number.
 */
export function bodyFraming(head: AnswerHead, headRequest: boolean): BodyFraming {
  if (headRequest || NULL_BODY_STATUSES.has(head.status)) return { mode: "none", length: 0 };
  if (/(^|,)\s*chunked\s*$/i.test(head.headers.get("transfer-encoding") ?? "")) {
    return { mode: "chunked", length: 0 };
  }
  const length = head.headers.get("content-length");
  if (length === null) return { mode: "close", length: 0 };
  const n = Number(length);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`bad content-length: ${length}`);
  return { mode: "length", length: n };
}

/**
 * The size in a chunked body's size line (hex digits, then any `;extension`).
 *
 * @param line The line without its CRLF.
 * @returns The chunk's size in bytes; 0 ends the body.
 * @throws {Error} When it is not a size.
 */
export function parseChunkSize(line: string): number {
  const size = parseInt(line.split(";")[0].trim(), 16);
  if (!Number.isSafeInteger(size) || size < 0) throw new Error(`bad chunk size: ${line}`);
  return size;
}

/**
 * A head's bytes as text, one character per byte, as `fetch` gives field values (byte strings).
 *
 * @param bytes The head's bytes.
 * @returns The text.
 */
export function latin1Text(bytes: Uint8Array): string {
  // Heads are ASCII almost always, which UTF-8 decodes the same, natively and fast (a head of
  // 300 bytes: about 1 µs, where spreading the bytes into String.fromCharCode took 10).
  let ascii = true;
  for (let i = 0; i < bytes.length && ascii; i++) ascii = bytes[i] < 0x80;
  if (ascii) return asciiDecoder.decode(bytes);
  let text = "";
  for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
  return text;
}

const asciiDecoder = new TextDecoder();

/**
 * A head's text as bytes, one byte per character (field values are byte strings: `Headers`
 * refuses characters above U+00FF), followed by `after` when given (a small body, sent with its
 * head in one write).
 *
 * @param text The head.
 * @param after Bytes to follow it in the same buffer.
 * @returns Its bytes.
 */
export function latin1Bytes(text: string, after?: Uint8Array): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(text.length + (after?.byteLength ?? 0));
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  if (after !== undefined) bytes.set(after, text.length);
  return bytes;
}
