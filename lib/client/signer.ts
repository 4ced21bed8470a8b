/**
 * The signing hook: a client given a `signer` holds no credentials and asks
 * the signer to sign each request instead — for browsers, whose page must
 * never see the access key secret (see {@linkcode remoteSigner}).
 *
 * @module
 */

import type { RequestToSign } from "../signing/signing.ts";
import type { OssOperation } from "./operations.ts";

/**
 * What the client tells a {@linkcode OssSigner} besides the request.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient, type OssSigner, type SignerContext, signV4 } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 *
 * const seen: SignerContext[] = [];
 * const signer: OssSigner = (request, context) => {
 *   seen.push(context);
 *   const credentials = { accessKeyId: "ak", accessKeySecret: "sk" };
 *   return signV4(request, { credentials, region: "cn-hangzhou", now: context.now });
 * };
 * const client = new OssClient({ endpoint: server.url, signer });
 * await client.createBucket("examplebucket");
 * assert.equal(seen[0].operation, "PutBucket");
 * assert.equal(seen[0].signatureVersion, "v4");
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface SignerContext {
  /** OSS API name of the request, e.g. `"UploadPart"`. */
  operation: OssOperation;
  /** The client's signature version. A remote signer may use its own. */
  signatureVersion: "v4" | "v1";
  /** The client's region, when known. */
  region?: string;
  /** The client's signing time (its clock plus any skew correction learnt from OSS). */
  now: Date;
  /** The caller's signal: a signer that fetches should pass it on. */
  signal?: AbortSignal;
}

/**
 * Signs one request in place: adds its authentication headers
 * (`authorization`, `x-oss-date`, ...) to `request.headers`. Used by the
 * client instead of credentials when given as `OssClientOptions.signer`.
 * An {@linkcode OssupError} it throws is passed on (retried if retryable,
 * e.g. a `NetworkError`).
 *
 * @example Sign locally (what the client does with credentials)
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient, type OssSigner, signV4 } from "@ossup/ossup";
 * import { createAuthenticator, createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server that checks signatures stands in for OSS.
 * const { app, storage } = createOssApp({
 *   storage: new MemoryStorage(),
 *   authenticate: createAuthenticator({ credentials: [{ accessKeyId: "ak", accessKeySecret: "sk" }] }),
 * });
 * const server = await listen(app.fetch);
 *
 * const signer: OssSigner = (request, { now }) =>
 *   signV4(request, { credentials: { accessKeyId: "ak", accessKeySecret: "sk" }, region: "cn-hangzhou", now });
 * const client = new OssClient({ endpoint: server.url, signer });
 * await client.createBucket("examplebucket");
 * assert.deepEqual((await client.listBucketsPage()).buckets.map((b) => b.name), ["examplebucket"]);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export type OssSigner = (request: RequestToSign, context: SignerContext) => Promise<void>;
