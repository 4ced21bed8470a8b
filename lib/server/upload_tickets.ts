/**
 * Upload tickets: short-lived HMAC tokens that let a browser upload one
 * object (one bucket and key) through a signing route, without ever holding
 * the access key secret. The application's own session route (which knows
 * who the user is) issues a ticket; {@linkcode createSigningRoute} verifies
 * it on every signing request.
 *
 * A ticket is `v1.<payload>.<mac>`: the payload is base64url JSON
 * `{ b: bucket, k: key, e: expiry in unix seconds, n: nonce }`, the mac is
 * base64url HMAC-SHA256 of `v1.<payload>` under the tickets' secret. It is a
 * bearer token: anyone holding it may upload that one object until it expires.
 *
 * @module
 */

/**
 * What a valid ticket allows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type UploadTicket, UploadTickets } from "@ossup/ossup/server";
 *
 * const tickets = new UploadTickets({ secret: "at least thirty-two characters of secret" });
 * const ticket: UploadTicket | undefined = await tickets.verify(
 *   await tickets.issue({ bucket: "uploads", key: "user-7/video.mp4" }),
 * );
 * assert.equal(ticket?.key, "user-7/video.mp4");
 * assert.ok(ticket.expiresAt > new Date());
 * ```
 */
export interface UploadTicket {
  /** The bucket the ticket is for. */
  bucket: string;
  /** The one object key the ticket is for. */
  key: string;
  /** When the ticket stops being accepted. */
  expiresAt: Date;
}

/**
 * Options of {@linkcode UploadTickets}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UploadTickets, type UploadTicketsOptions } from "@ossup/ossup/server";
 *
 * let now = Date.parse("2030-01-01T00:00:00Z");
 * const options: UploadTicketsOptions = { secret: "a random string of 32+ characters...", ttlSeconds: 600, now: () => now };
 * const tickets = new UploadTickets(options);
 * const ticket = await tickets.issue({ bucket: "uploads", key: "a.bin" });
 * now += 601_000;
 * assert.equal(await tickets.verify(ticket), undefined); // expired
 * ```
 */
export interface UploadTicketsOptions {
  /**
   * The HMAC key: at least 32 bytes (or characters), random, known only to
   * the server. Not the OSS access key secret.
   */
  secret: string | Uint8Array;
  /** How long an issued ticket is valid, in seconds. Default 900 (15 minutes). */
  ttlSeconds?: number;
  /** Milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
}

/**
 * Default ticket lifetime: 15 minutes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_TICKET_TTL_SECONDS, UploadTickets } from "@ossup/ossup/server";
 *
 * // Twice the default lifetime, for slow connections.
 * const now = Date.parse("2030-01-01T00:00:00Z");
 * const tickets = new UploadTickets({
 *   secret: "at least thirty-two characters of secret",
 *   ttlSeconds: 2 * DEFAULT_TICKET_TTL_SECONDS,
 *   now: () => now,
 * });
 * const scope = await tickets.verify(await tickets.issue({ bucket: "uploads", key: "a.bin" }));
 * assert.equal(scope?.expiresAt.getTime(), now + 30 * 60_000);
 * ```
 */
export const DEFAULT_TICKET_TTL_SECONDS = 900;

const PREFIX = "v1";
const encoder = new TextEncoder();

/**
 * Issues and verifies upload tickets.
 *
 * @example A session route issues, the signing route verifies
 * ```ts
 * import assert from "node:assert/strict";
 * import { UploadTickets } from "@ossup/ossup/server";
 *
 * const tickets = new UploadTickets({ secret: crypto.getRandomValues(new Uint8Array(32)) });
 * const ticket = await tickets.issue({ bucket: "uploads", key: "user-7/video.mp4" });
 * const scope = await tickets.verify(ticket);
 * assert.deepEqual([scope?.bucket, scope?.key], ["uploads", "user-7/video.mp4"]);
 * assert.equal(await tickets.verify(ticket.slice(0, -2) + "xx"), undefined); // tampered with
 * ```
 */
export class UploadTickets {
  readonly #key: Promise<CryptoKey>;
  readonly #ttl: number;
  readonly #now: () => number;

  /**
   * Prepares the HMAC key.
   *
   * @param options Secret, lifetime and clock.
   * @throws {TypeError} When the secret is missing or shorter than 32 bytes.
   * @throws {RangeError} When `ttlSeconds` is not a positive number.
   */
  constructor(options: UploadTicketsOptions) {
    const secret = typeof options?.secret === "string"
      ? encoder.encode(options.secret)
      : options?.secret;
    if (!(secret instanceof Uint8Array) || secret.length < 32) {
      throw new TypeError("UploadTickets needs a secret of at least 32 bytes");
    }
    const ttl = options.ttlSeconds ?? DEFAULT_TICKET_TTL_SECONDS;
    if (!(ttl > 0) || !Number.isFinite(ttl)) throw new RangeError("ttlSeconds must be > 0");
    this.#ttl = ttl;
    this.#now = options.now ?? Date.now;
    this.#key = crypto.subtle.importKey(
      "raw",
      new Uint8Array(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
  }

  /**
   * Issues a ticket for one object.
   *
   * @param scope The bucket and key; `ttlSeconds` overrides the default lifetime.
   * @returns The ticket, to hand to the page.
   * @throws {TypeError} When bucket or key is empty.
   */
  async issue(scope: { bucket: string; key: string; ttlSeconds?: number }): Promise<string> {
    if (!scope?.bucket || !scope.key) throw new TypeError("a ticket needs a bucket and a key");
    const ttl = scope.ttlSeconds ?? this.#ttl;
    if (!(ttl > 0) || !Number.isFinite(ttl)) throw new RangeError("ttlSeconds must be > 0");
    const nonce = base64url(crypto.getRandomValues(new Uint8Array(12)));
    const payload = base64url(encoder.encode(JSON.stringify({
      b: scope.bucket,
      k: scope.key,
      e: Math.floor(this.#now() / 1000 + ttl),
      n: nonce,
    })));
    const signed = `${PREFIX}.${payload}`;
    const mac = await crypto.subtle.sign("HMAC", await this.#key, encoder.encode(signed));
    return `${signed}.${base64url(new Uint8Array(mac))}`;
  }

  /**
   * Checks a ticket: its MAC (in constant time, by `crypto.subtle.verify`) and expiry.
   *
   * @param ticket The ticket as the page sent it.
   * @returns What it allows, or `undefined` when it is malformed, tampered with or expired.
   */
  async verify(ticket: string | null | undefined): Promise<UploadTicket | undefined> {
    if (typeof ticket !== "string" || ticket.length > 4096) return undefined;
    const parts = ticket.split(".");
    if (parts.length !== 3 || parts[0] !== PREFIX) return undefined;
    const mac = fromBase64url(parts[2]);
    if (!mac) return undefined;
    const valid = await crypto.subtle.verify(
      "HMAC",
      await this.#key,
      mac,
      encoder.encode(`${parts[0]}.${parts[1]}`),
    );
    if (!valid) return undefined;
    const bytes = fromBase64url(parts[1]);
    if (!bytes) return undefined;
    let claims: { b?: unknown; k?: unknown; e?: unknown };
    try {
      claims = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      return undefined;
    }
    const { b, k, e } = claims;
    if (typeof b !== "string" || typeof k !== "string" || typeof e !== "number") return undefined;
    if (this.#now() >= e * 1000) return undefined;
    return { bucket: b, key: k, expiresAt: new Date(e * 1000) };
  }
}

function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  try {
    const s = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(s, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}
