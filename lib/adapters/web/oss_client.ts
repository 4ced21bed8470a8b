/**
 * The web entry's `OssClient`: the core client with the web's pieces
 * injected (IndexedDB checkpoints for `File`s).
 *
 * @module
 */

import { OssClient as BaseOssClient, type OssClientOptions } from "../../client/oss_client.ts";
import { withPlatform } from "../../client/platform.ts";
import { webPlatform } from "./platform.ts";

/**
 * OSS client for browsers and edge workers: uploads `Blob`s, `File`s and
 * streams; `checkpoint: true` on a `File` resumes from IndexedDB.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient } from "@ossup/ossup/web";
 * import { createAuthenticator, createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // Stand-ins: a local OSS server that accepts one STS key, and your application's STS route.
 * const sts = { accessKeyId: "STS.ak", accessKeySecret: "sk", securityToken: "token" };
 * const oss = createOssApp({ storage: new MemoryStorage(), authenticate: createAuthenticator({ credentials: [sts] }) });
 * const ossServer = await listen(oss.app.fetch);
 * await oss.storage.createBucket("examplebucket", { location: "oss-cn-hangzhou", acl: "private", storageClass: "Standard" });
 * const site = await listen(() => Response.json({ ...sts, expiration: new Date(Date.now() + 3600_000) }));
 *
 * // In the page: "/api/sts-token", and "oss-cn-hangzhou.aliyuncs.com" for the endpoint.
 * const client = new OssClient({
 *   endpoint: ossServer.url,
 *   credentials: async () => {
 *     const token = await (await fetch(`${site.url}/api/sts-token`)).json();
 *     return { ...token, expiration: new Date(token.expiration) };
 *   },
 * });
 * const file = new File(["hello"], "hello.txt"); // document.querySelector("input")!.files![0]
 * const result = await client.bucket("examplebucket").uploadFile(file.name, file, { routines: 4 });
 * assert.equal(result.size, 5);
 *
 * await site.close();
 * await ossServer.close();
 * await oss.storage.close();
 * ```
 */
export class OssClient extends BaseOssClient {
  /**
   * Creates a client with the web platform injected (see {@linkcode OssClientOptions}).
   *
   * @param options Where and how to connect; see {@linkcode OssClientOptions}.
   */
  constructor(options: OssClientOptions) {
    super(withPlatform(options, webPlatform));
  }
}
