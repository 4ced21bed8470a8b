/**
 * Credentials for the client: a static pair, an STS token, or an async
 * provider whose temporary credentials are cached and refreshed before they
 * expire. The core never reads environment variables; runtime entry points
 * do that and pass the result here.
 *
 * @module
 */

import type { OssCredentials } from "../signing/signing.ts";

export type { OssCredentials };

/**
 * Credentials with an optional expiry, as an {@linkcode OssCredentialsProvider} returns them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CredentialsCache, type ExpiringOssCredentials } from "@ossup/ossup";
 *
 * const creds: ExpiringOssCredentials = {
 *   accessKeyId: "STS.id",
 *   accessKeySecret: "secret",
 *   securityToken: "token",
 *   expiration: new Date(Date.now() + 3600_000),
 * };
 * const cache = new CredentialsCache(() => Promise.resolve(creds));
 * assert.equal((await cache.get()).securityToken, "token");
 * ```
 */
export interface ExpiringOssCredentials extends OssCredentials {
  /** When these credentials stop working (STS tokens); `undefined` for long-lived keys. */
  expiration?: Date;
}

/**
 * An async function returning (possibly temporary) credentials. The client
 * calls it on first use and again shortly before `expiration`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { OssCredentialsProvider } from "@ossup/ossup";
 * import { listen } from "@ossup/ossup/server";
 *
 * // Your application's STS route, here a stand-in on a local port.
 * const app = await listen(() =>
 *   Response.json({ id: "STS.id", secret: "secret", token: "token", expiration: "2030-01-01T00:00:00Z" })
 * );
 *
 * const provider: OssCredentialsProvider = async () => {
 *   const res = await fetch(`${app.url}/api/sts`);
 *   const { id, secret, token, expiration } = await res.json();
 *   return { accessKeyId: id, accessKeySecret: secret, securityToken: token, expiration: new Date(expiration) };
 * };
 * const creds = await provider();
 * assert.equal(creds.accessKeyId, "STS.id");
 * assert.equal(creds.expiration?.getUTCFullYear(), 2030);
 *
 * await app.close();
 * ```
 */
export type OssCredentialsProvider = () => Promise<ExpiringOssCredentials>;

/** Refresh this long before expiry, so a signed request does not arrive with a dead token. */
const REFRESH_MARGIN_MS = 5 * 60 * 1000;

function checkCredentials(c: unknown): OssCredentials {
  const creds = c as Partial<OssCredentials> | null;
  if (
    !creds || typeof creds.accessKeyId !== "string" || creds.accessKeyId === "" ||
    typeof creds.accessKeySecret !== "string" || creds.accessKeySecret === ""
  ) {
    throw new TypeError("credentials need a non-empty accessKeyId and accessKeySecret");
  }
  if (creds.securityToken !== undefined && typeof creds.securityToken !== "string") {
    throw new TypeError("credentials.securityToken must be a string");
  }
  return creds as OssCredentials;
}

/**
 * Caches credentials: static ones as they are, a provider's until shortly
 * before they expire. Concurrent callers share one refresh. A failed refresh
 * keeps using credentials that have not expired yet.
 *
 * @example A provider of STS tokens
 * ```ts
 * import assert from "node:assert/strict";
 * import { CredentialsCache } from "@ossup/ossup";
 *
 * let now = Date.parse("2030-01-01T00:00:00Z"); // the cache's clock
 * let calls = 0;
 * const cache = new CredentialsCache(() =>
 *   Promise.resolve({
 *     accessKeyId: "STS.id",
 *     accessKeySecret: "secret",
 *     securityToken: `token-${++calls}`,
 *     expiration: new Date(now + 3600_000),
 *   }), () => now);
 * assert.equal((await cache.get()).securityToken, "token-1"); // calls the provider
 * now += 54 * 60_000;
 * assert.equal((await cache.get()).securityToken, "token-1"); // reused…
 * now += 2 * 60_000;
 * assert.equal((await cache.get()).securityToken, "token-2"); // …until 5 minutes before expiry
 * ```
 */
export class CredentialsCache {
  #provider?: OssCredentialsProvider;
  #clock: () => number;
  #current?: ExpiringOssCredentials;
  #refreshAt = Infinity;
  #pending?: Promise<OssCredentials>;

  /**
   * Caches the credentials of `source` (fixed, or a provider called again before they expire).
   *
   * @param source Static credentials or a provider.
   * @param clock Milliseconds since the epoch; defaults to `Date.now`.
   */
  constructor(source: OssCredentials | OssCredentialsProvider, clock: () => number = Date.now) {
    this.#clock = clock;
    if (typeof source === "function") this.#provider = source;
    else this.#current = { ...checkCredentials(source) };
  }

  /** True when credentials come from a provider (they can be refreshed). */
  get refreshable(): boolean {
    return this.#provider !== undefined;
  }

  /** The credentials to sign with now. */
  get(): Promise<OssCredentials> {
    const current = this.#current;
    if (current && this.#clock() < this.#refreshAt) return Promise.resolve(current);
    if (!this.#provider) return Promise.resolve(current!);
    this.#pending ??= this.#refresh().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  /** Forgets provider credentials (e.g. after OSS said the token expired), forcing a refresh. */
  invalidate(): void {
    if (this.#provider) this.#refreshAt = -Infinity;
  }

  async #refresh(): Promise<OssCredentials> {
    const old = this.#current;
    try {
      const fresh = await this.#provider!();
      checkCredentials(fresh);
      if (fresh.expiration !== undefined && !(fresh.expiration instanceof Date)) {
        throw new TypeError("credentials.expiration must be a Date");
      }
      this.#current = { ...fresh };
      const now = this.#clock();
      const expires = fresh.expiration?.getTime() ?? Infinity;
      // Short-lived tokens are refreshed half-way through their life instead.
      this.#refreshAt = expires - Math.min(REFRESH_MARGIN_MS, (expires - now) / 2);
      return this.#current;
    } catch (err) {
      if (old && (old.expiration === undefined || old.expiration.getTime() > this.#clock())) {
        return old;
      }
      throw err;
    }
  }
}
