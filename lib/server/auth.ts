/**
 * Request authentication for the local server, as OSS does it: signature V1
 * (`Authorization: OSS ak:signature`, and presigned `OSSAccessKeyId` /
 * `Expires` / `Signature`) and V4 (`Authorization: OSS4-HMAC-SHA256 ...`, and
 * presigned `x-oss-signature-version=OSS4-HMAC-SHA256`), STS security tokens,
 * clock skew and URL expiry. The signature is recomputed with the building
 * blocks of `../signing/signing.ts` and compared in constant time.
 *
 * Rejections carry OSS's codes and statuses (Alibaba Cloud documentation,
 * "403 errors" and the 0002-000000xx error pages):
 *
 * | Case                                              | Status | Code                    |
 * | ------------------------------------------------- | ------ | ----------------------- |
 * | no credentials, anonymous access not allowed      | 403    | `AccessDenied`          |
 * | malformed `Authorization` or signed URL           | 400    | `InvalidArgument`       |
 * | unknown AccessKey ID                              | 403    | `InvalidAccessKeyId`    |
 * | STS key without its token / token on a plain key  | 403    | `InvalidAccessKeyId`    |
 * | STS key with another token                        | 403    | `InvalidSecurityToken`  |
 * | V4 scope for another region than the server's     | 400    | `InvalidArgument`       |
 * | V4 scope for another product than `oss`           | 400    | `InvalidArgument`       |
 * | V4 scope for another day than `x-oss-date`'s      | 400    | `InvalidArgument`       |
 * | request time more than 15 minutes off             | 403    | `RequestTimeTooSkewed`  |
 * | presigned URL past its expiry                     | 403    | `AccessDenied`          |
 * | wrong secret or tampered request                  | 403    | `SignatureDoesNotMatch` |
 *
 * `SignatureDoesNotMatch` includes the server's `StringToSign` (and, for V4,
 * `CanonicalRequest`) so a client can see what differs; security tokens are
 * masked in them and neither secrets nor signatures ever appear.
 * `RequestTimeTooSkewed` includes `ServerTime`, and its `Date` header is the
 * server's clock, which clients use to correct theirs.
 *
 * The request body is not hashed: clients sign `UNSIGNED-PAYLOAD` (V4) and
 * `Content-MD5` is checked by the storage, as OSS does.
 *
 * @module
 */

import {
  ALGORITHM_V4,
  canonicalRequestV4,
  dateForV1,
  MAX_PRESIGN_V4_EXPIRES,
  type RequestToSign,
  type Sha1Primitives,
  type Sha256Primitives,
  signatureV1,
  signatureV4,
  stringToSignV1,
  stringToSignV4,
} from "../signing/signing.ts";
import {
  parseAuthorizationV1,
  parseAuthorizationV4,
  parseCredentialV4,
  signaturesEqual,
} from "./_authorization.ts";
import type { OssRequestInfo } from "./request_info.ts";
import { ServerError } from "./server_error.ts";

/**
 * A key pair the server accepts; with `securityToken` it is an STS key that requires that token.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { signV4 } from "@ossup/ossup";
 * import { createAuthenticator, type ServerCredential } from "@ossup/ossup/server";
 *
 * const sts: ServerCredential = { accessKeyId: "STS.ak", accessKeySecret: "sk", securityToken: "token" };
 * const authenticate = createAuthenticator({ credentials: [sts] });
 * async function signed(credentials: ServerCredential) {
 *   const operation = "GetObject" as const;
 *   const req = { method: "GET", bucket: "b", key: "k", query: [], headers: new Headers(), operation };
 *   await signV4(req, { credentials, region: "cn-hangzhou" });
 *   return req;
 * }
 * await authenticate(await signed(sts)); // signed with the key and its token: accepted
 * const withoutToken = { accessKeyId: sts.accessKeyId, accessKeySecret: sts.accessKeySecret };
 * await assert.rejects(authenticate(await signed(withoutToken)), { status: 403 });
 * ```
 */
export interface ServerCredential {
  /** The AccessKey ID. */
  accessKeyId: string;
  /** The AccessKey secret. */
  accessKeySecret: string;
  /** When set, requests signed with this key must carry this security token. */
  securityToken?: string;
}

/**
 * Options of {@linkcode createAuthenticator}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { signV4 } from "@ossup/ossup";
 * import { createAuthenticator } from "@ossup/ossup/server";
 *
 * const credentials = { accessKeyId: "ak", accessKeySecret: "sk" };
 * const authenticate = createAuthenticator({
 *   credentials: [credentials],
 *   region: "cn-hangzhou",
 *   maxSkewMs: 5 * 60_000,
 * });
 * // A request signed ten minutes ago is refused: more than maxSkewMs from the server's clock.
 * const req = { method: "GET", bucket: "b", key: "k", query: [], headers: new Headers() };
 * await signV4(req, { credentials, region: "cn-hangzhou", now: new Date(Date.now() - 10 * 60_000) });
 * await assert.rejects(authenticate({ ...req, operation: "GetObject" }), { code: "RequestTimeTooSkewed" });
 * ```
 */
export interface AuthOptions {
  /** The accepted keys. AccessKey IDs must be unique. */
  credentials: ServerCredential[];
  /** Let requests without any signature through. Default `false`. */
  allowAnonymous?: boolean;
  /** The server's clock, in milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
  /** Largest accepted difference between the request time and the server's clock. Default 15 min. */
  maxSkewMs?: number;
  /**
   * The region V4 signatures must be scoped to (e.g. `"cn-hangzhou"`), as OSS refuses a
   * signature for another region. Default: the region of the app that calls the authenticator
   * (`createOssApp`'s `region`), else `"cn-hangzhou"`.
   */
  region?: string;
  /**
   * The hashes V4 signatures are checked with. Default: `crypto.subtle`. The server's command
   * (`lib/server/main.ts`, `ossup serve`) passes `node:crypto`'s synchronous ones: on
   * `crypto.subtle` each check is two asynchronous jobs, most of its cost.
   */
  sha256?: Sha256Primitives;
  /** The HMAC-SHA1 V1 signatures are checked with. Default: `crypto.subtle`; as `sha256`. */
  sha1?: Sha1Primitives;
}

/**
 * What the server tells its authenticator about itself.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { signV4 } from "@ossup/ossup";
 * import { type AuthenticatedServer, createAuthenticator } from "@ossup/ossup/server";
 *
 * const credentials = { accessKeyId: "ak", accessKeySecret: "sk" };
 * const authenticate = createAuthenticator({ credentials: [credentials] });
 * const req = { method: "GET", bucket: "b", key: "k", query: [], headers: new Headers() };
 * await signV4(req, { credentials, region: "cn-beijing" });
 * // The app passes its region: a signature scoped to another one is refused.
 * const server: AuthenticatedServer = { region: "cn-hangzhou" };
 * await assert.rejects(authenticate({ ...req, operation: "GetObject" }, server), { status: 400 });
 * await authenticate({ ...req, operation: "GetObject" }, { region: "cn-beijing" });
 * ```
 */
export interface AuthenticatedServer {
  /** The server's region, without `oss-`. */
  region: string;
}

/**
 * Checks one request; resolves when it may proceed, throws a `ServerError` otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient } from "@ossup/ossup";
 * import { type Authenticator, createAuthenticator, createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * const authenticate: Authenticator = createAuthenticator({
 *   credentials: [{ accessKeyId: "ak", accessKeySecret: "sk" }],
 * });
 * const { app, storage } = createOssApp({ storage: new MemoryStorage(), authenticate });
 * const server = await listen(app.fetch);
 * const good = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await good.createBucket("examplebucket");
 * const bad = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "wrong" });
 * await assert.rejects(bad.listBucketsPage(), { code: "SignatureDoesNotMatch" });
 * await server.close();
 * await storage.close();
 * ```
 */
export type Authenticator = (req: OssRequestInfo, server?: AuthenticatedServer) => Promise<void>;

const DEFAULT_MAX_SKEW_MS = 15 * 60 * 1000;
const DEFAULT_REGION = "cn-hangzhou";
/** The only product an OSS V4 scope names here (`oss-cloudbox` is for CloudBox endpoints). */
const PRODUCT_V4 = "oss";

/**
 * Builds the authenticator the server runs on each request.
 *
 * @param o The accepted keys and the clock.
 * @returns The authenticator.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createAuthenticator } from "@ossup/ossup/server";
 *
 * const authenticate = createAuthenticator({
 *   credentials: [{ accessKeyId: "test-ak", accessKeySecret: "test-secret-key" }],
 * });
 * await assert.rejects(
 *   authenticate({ method: "GET", query: [], headers: new Headers(), operation: "ListBuckets" }),
 *   { status: 403, code: "AccessDenied" }, // anonymous access is refused
 * );
 * ```
 */
export function createAuthenticator(o: AuthOptions): Authenticator {
  const keys = new Map<string, ServerCredential>();
  for (const c of o.credentials) {
    if (typeof c?.accessKeyId !== "string" || c.accessKeyId === "") {
      throw new TypeError("every credential needs a non-empty accessKeyId");
    }
    if (typeof c.accessKeySecret !== "string" || c.accessKeySecret === "") {
      throw new TypeError("every credential needs a non-empty accessKeySecret");
    }
    if (keys.has(c.accessKeyId)) throw new TypeError("AccessKey IDs must be unique");
    keys.set(c.accessKeyId, { ...c });
  }
  const now = o.now ?? Date.now;
  const maxSkewMs = o.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  if (!(maxSkewMs >= 0)) throw new RangeError("maxSkewMs must be ≥ 0");

  return async (req, server) => {
    const ctx: Ctx = {
      keys,
      now,
      maxSkewMs,
      region: o.region ?? server?.region ?? DEFAULT_REGION,
      sha256: o.sha256,
      sha1: o.sha1,
    };
    const authorization = req.headers.get("authorization");
    if (authorization !== null) {
      if (authorization.startsWith(`${ALGORITHM_V4} `)) return await verifyHeaderV4(ctx, req);
      if (authorization.startsWith("OSS ")) return await verifyHeaderV1(ctx, req);
      // The value carries a signature: never echo it.
      throw invalidArgument("Authorization header is invalid.");
    }
    if (queryValue(req, "x-oss-signature-version") !== undefined) {
      return await verifyPresignedV4(ctx, req);
    }
    if (
      queryValue(req, "OSSAccessKeyId") !== undefined ||
      queryValue(req, "Signature") !== undefined
    ) {
      return await verifyPresignedV1(ctx, req);
    }
    if (o.allowAnonymous) return;
    throw new ServerError(403, "AccessDenied", "Anonymous access is forbidden for this operation.");
  };
}

interface Ctx {
  keys: Map<string, ServerCredential>;
  now: () => number;
  maxSkewMs: number;
  region: string;
  sha256?: Sha256Primitives;
  sha1?: Sha1Primitives;
}

// ---------------------------------------------------------------------------------------------
// V1

async function verifyHeaderV1(ctx: Ctx, req: OssRequestInfo): Promise<void> {
  const auth = parseAuthorizationV1(req.headers.get("authorization")!);
  if (!auth) throw invalidArgument("Authorization header is invalid.");
  const cred = credentialFor(ctx, auth.accessKeyId);
  checkToken(cred, req);
  const date = dateForV1(req.headers);
  if (date === undefined) {
    throw new ServerError(403, "AccessDenied", "OSS authentication requires a valid Date.");
  }
  checkSkew(ctx, date, Date.parse(date));
  const stringToSign = stringToSignV1(req, date);
  const expected = await signatureV1(cred.accessKeySecret, stringToSign, ctx.sha1);
  if (!signaturesEqual(expected, auth.signature)) {
    throw signatureMismatch(req, cred.accessKeyId, { StringToSign: stringToSign });
  }
}

async function verifyPresignedV1(ctx: Ctx, req: OssRequestInfo): Promise<void> {
  const accessKeyId = queryValue(req, "OSSAccessKeyId");
  const expires = queryValue(req, "Expires");
  const signature = queryValue(req, "Signature");
  if (!accessKeyId || !expires || !signature) {
    throw new ServerError(
      403,
      "AccessDenied",
      "A V1 signed URL needs the OSSAccessKeyId, Expires and Signature parameters.",
    );
  }
  if (!/^\d+$/.test(expires)) throw invalidArgument("Expires is invalid.", "Expires", expires);
  const cred = credentialFor(ctx, accessKeyId);
  checkToken(cred, req);
  const expiresMs = Number(expires) * 1000;
  if (ctx.now() > expiresMs) throw expired(ctx, expiresMs);
  const unsigned: RequestToSign = {
    ...req,
    query: req.query.filter(([k]) => !["OSSAccessKeyId", "Expires", "Signature"].includes(k)),
  };
  const stringToSign = stringToSignV1(unsigned, expires);
  const expected = await signatureV1(cred.accessKeySecret, stringToSign, ctx.sha1);
  if (!signaturesEqual(expected, signature)) {
    throw signatureMismatch(req, cred.accessKeyId, { StringToSign: stringToSign });
  }
}

// ---------------------------------------------------------------------------------------------
// V4

async function verifyHeaderV4(ctx: Ctx, req: OssRequestInfo): Promise<void> {
  const auth = parseAuthorizationV4(req.headers.get("authorization")!);
  if (!auth) throw invalidArgument("Authorization header is invalid.");
  const isoDate = req.headers.get("x-oss-date");
  if (isoDate === null) {
    throw new ServerError(403, "AccessDenied", "A V4 signature requires the x-oss-date header.");
  }
  const time = parseIsoBasic(isoDate);
  if (time === undefined) throw invalidArgument("x-oss-date is invalid.", "x-oss-date", isoDate);
  checkScope(ctx, auth, isoDate, "Authorization header");
  const cred = credentialFor(ctx, auth.accessKeyId);
  checkToken(cred, req);
  checkSkew(ctx, isoDate, time);
  const canonical = canonicalRequestV4(req, auth.additionalHeaders);
  const stringToSign = await stringToSignV4(
    canonical,
    isoDate,
    auth.region,
    auth.product,
    ctx.sha256,
  );
  const expected = await signatureV4(
    cred.accessKeySecret,
    auth.day,
    auth.region,
    stringToSign,
    auth.product,
    ctx.sha256,
  );
  if (!signaturesEqual(expected, auth.signature)) {
    throw signatureMismatch(req, cred.accessKeyId, {
      CanonicalRequest: canonical,
      StringToSign: stringToSign,
    });
  }
}

async function verifyPresignedV4(ctx: Ctx, req: OssRequestInfo): Promise<void> {
  const version = queryValue(req, "x-oss-signature-version");
  if (version !== ALGORITHM_V4) {
    throw invalidArgument(
      "x-oss-signature-version is invalid.",
      "x-oss-signature-version",
      version ?? "",
    );
  }
  const credential = parseCredentialV4(queryValue(req, "x-oss-credential") ?? "");
  const isoDate = queryValue(req, "x-oss-date");
  const expires = queryValue(req, "x-oss-expires");
  const signature = queryValue(req, "x-oss-signature");
  if (!credential || !isoDate || !expires || !signature) {
    throw new ServerError(
      403,
      "AccessDenied",
      "A V4 signed URL needs valid x-oss-credential, x-oss-date, x-oss-expires and " +
        "x-oss-signature parameters.",
    );
  }
  const time = parseIsoBasic(isoDate);
  if (time === undefined) throw invalidArgument("x-oss-date is invalid.", "x-oss-date", isoDate);
  if (!/^\d+$/.test(expires) || Number(expires) < 1 || Number(expires) > MAX_PRESIGN_V4_EXPIRES) {
    throw invalidArgument("x-oss-expires is invalid.", "x-oss-expires", expires);
  }
  checkScope(ctx, credential, isoDate, "x-oss-credential");
  const cred = credentialFor(ctx, credential.accessKeyId);
  checkToken(cred, req);
  const server = ctx.now();
  if (time - server > ctx.maxSkewMs) {
    throw new ServerError(403, "AccessDenied", "Request is not yet valid: x-oss-date is ahead.", {
      RequestTime: isoDate,
      ServerTime: isoSeconds(server),
    });
  }
  const expiresMs = time + Number(expires) * 1000;
  if (server > expiresMs) throw expired(ctx, expiresMs);
  const additional = (queryValue(req, "x-oss-additional-headers") ?? "").split(";").filter((h) =>
    h !== ""
  );
  const unsigned: RequestToSign = {
    ...req,
    query: req.query.filter(([k]) => k !== "x-oss-signature"),
  };
  const canonical = canonicalRequestV4(unsigned, additional);
  const stringToSign = await stringToSignV4(
    canonical,
    isoDate,
    credential.region,
    credential.product,
    ctx.sha256,
  );
  const expected = await signatureV4(
    cred.accessKeySecret,
    credential.day,
    credential.region,
    stringToSign,
    credential.product,
    ctx.sha256,
  );
  if (!signaturesEqual(expected, signature)) {
    throw signatureMismatch(req, cred.accessKeyId, {
      CanonicalRequest: canonical,
      StringToSign: stringToSign,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Shared checks

function credentialFor(ctx: Ctx, accessKeyId: string): ServerCredential {
  const cred = ctx.keys.get(accessKeyId);
  if (!cred) throw unknownKey(accessKeyId);
  return cred;
}

function unknownKey(accessKeyId: string): ServerError {
  return new ServerError(
    403,
    "InvalidAccessKeyId",
    "The OSS Access Key Id you provided does not exist in our records.",
    { OSSAccessKeyId: accessKeyId },
  );
}

/**
 * STS: a temporary key is only valid with its token, and a token makes OSS treat the key as a
 * temporary one (so a long-term key with a token is unknown).
 */
function checkToken(cred: ServerCredential, req: OssRequestInfo): void {
  const inHeader = req.headers.get("x-oss-security-token") ?? undefined;
  const inQuery = queryValue(req, "security-token") ?? queryValue(req, "x-oss-security-token");
  if (inHeader !== undefined && inQuery !== undefined) {
    throw invalidArgument("The security token is given both in the URL and in the headers.");
  }
  const token = inHeader ?? inQuery;
  if (cred.securityToken === undefined) {
    if (token !== undefined) throw unknownKey(cred.accessKeyId);
    return;
  }
  if (token === undefined) throw unknownKey(cred.accessKeyId);
  if (!signaturesEqual(token, cred.securityToken)) {
    throw new ServerError(
      403,
      "InvalidSecurityToken",
      "The security token you provided is invalid.",
    );
  }
}

/**
 * A V4 signature binds a day, a region and a product: OSS refuses one scoped to another region
 * than the endpoint's (EC 0002-00000226 / 0002-00000228: `InvalidArgument`, "Invalid signing
 * region in Authorization header."), a Credential whose product is not `oss` (0002-00000213) and
 * a signing day other than the request time's (0002-00000212 / 0002-00000223). Without these a
 * signature made for one region, or a key derived for one day, would be accepted everywhere.
 *
 * @param where Where the scope was read: `"Authorization header"` or `"x-oss-credential"`.
 */
function checkScope(
  ctx: Ctx,
  scope: { day: string; region: string; product: string },
  isoDate: string,
  where: "Authorization header" | "x-oss-credential",
): void {
  const header = where === "Authorization header";
  if (scope.product !== PRODUCT_V4) {
    throw invalidArgument(
      `Invalid credential in ${where}: the product must be ${PRODUCT_V4}.`,
      "Credential",
      scope.product,
      "0002-00000213",
    );
  }
  if (scope.region !== ctx.region) {
    throw invalidArgument(
      `Invalid signing region in ${where}.`,
      "Region",
      scope.region,
      header ? "0002-00000228" : "0002-00000226",
    );
  }
  if (scope.day !== isoDate.slice(0, 8)) {
    throw invalidArgument(
      `Invalid signing date in ${where}: it must be the day of x-oss-date.`,
      "SignDate",
      scope.day,
      header ? "0002-00000212" : "0002-00000223",
    );
  }
}

function checkSkew(ctx: Ctx, requestTime: string, time: number): void {
  if (Number.isNaN(time)) {
    throw new ServerError(403, "AccessDenied", "OSS authentication requires a valid Date.");
  }
  const server = ctx.now();
  if (Math.abs(server - time) <= ctx.maxSkewMs) return;
  throw new ServerError(
    403,
    "RequestTimeTooSkewed",
    "The difference between the request time and the current time is too large.",
    {
      RequestTime: requestTime,
      ServerTime: isoSeconds(server),
      MaxAllowedSkewMilliseconds: String(ctx.maxSkewMs),
    },
    { date: new Date(server).toUTCString() },
  );
}

function expired(ctx: Ctx, expiresMs: number): ServerError {
  const server = ctx.now();
  return new ServerError(403, "AccessDenied", "Request has expired.", {
    Expires: isoSeconds(expiresMs),
    ServerTime: isoSeconds(server),
  }, { date: new Date(server).toUTCString() });
}

/**
 * `SignatureDoesNotMatch` with what the server signed. Security tokens are part of what is
 * signed, so they are masked; the secret and the signatures never enter these texts.
 */
function signatureMismatch(
  req: OssRequestInfo,
  accessKeyId: string,
  signed: { CanonicalRequest?: string; StringToSign: string },
): ServerError {
  const tokens = [
    req.headers.get("x-oss-security-token"),
    queryValue(req, "security-token"),
    queryValue(req, "x-oss-security-token"),
  ].filter((t): t is string => !!t);
  const mask = (s: string) => tokens.reduce((acc, t) => acc.replaceAll(t, "****"), s);
  const extra: Record<string, string> = { OSSAccessKeyId: accessKeyId };
  if (signed.CanonicalRequest !== undefined) {
    extra.CanonicalRequest = mask(signed.CanonicalRequest);
  }
  extra.StringToSign = mask(signed.StringToSign);
  extra.StringToSignBytes = Array.from(
    new TextEncoder().encode(extra.StringToSign),
    (b) => b.toString(16).padStart(2, "0"),
  ).join(" ");
  return new ServerError(
    403,
    "SignatureDoesNotMatch",
    "The request signature we calculated does not match the signature you provided. " +
      "Check your key and signing method.",
    extra,
  );
}

function invalidArgument(
  message: string,
  name?: string,
  value?: string,
  ec?: string,
): ServerError {
  const extra: Record<string, string> = {};
  if (name !== undefined) extra.ArgumentName = name;
  if (value !== undefined) extra.ArgumentValue = value;
  if (ec !== undefined) extra.EC = ec;
  return new ServerError(400, "InvalidArgument", message, extra);
}

function queryValue(req: OssRequestInfo, name: string): string | undefined {
  for (const [k, v] of req.query) if (k === name) return v ?? "";
  return undefined;
}

/** Parses `20231216T162057Z`; `undefined` when malformed. */
function parseIsoBasic(s: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  const t = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  return Number.isNaN(t) ? undefined : t;
}

/** `2017-04-28T07:17:20Z`, OSS's `ServerTime` format. */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
