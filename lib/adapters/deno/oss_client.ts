/**
 * The Deno entry's `OssClient`: the core client with Deno's runtime pieces
 * injected, so `bucket.uploadFile(key, "./big.iso")` needs no wiring.
 *
 * @module
 */

import { OssClient as BaseOssClient, type OssClientOptions } from "../../client/oss_client.ts";
import { mergeEnvOptions } from "../../client/env_options.ts";
import { withPlatform } from "../../client/platform.ts";
import { withDenoFetch } from "./default_fetch.ts";
import { denoPlatform } from "./platform.ts";

/**
 * OSS client for Deno: files by path, checkpoint files beside them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { OssClient } from "@ossup/ossup/deno";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS (`OssClient.fromEnv()` would read OSS_ENDPOINT and the keys), and a temporary directory for big.iso.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
 * await writeFile(join(dir, "big.iso"), new Uint8Array(250 * 1024));
 *
 * const path = join(dir, "big.iso");
 * const result = await bucket.uploadFile("big.iso", path, { routines: 2, checkpoint: true }); // big.iso.cp
 * assert.equal(result.parts, 3);
 * assert.equal(result.crc64Verified, true);
 *
 * await rm(dir, { recursive: true });
 * await server.close();
 * await storage.close();
 * ```
 */
export class OssClient extends BaseOssClient {
  /**
   * Creates a client with Deno's platform injected (see {@linkcode OssClientOptions}).
   *
   * @param options Where and how to connect; see {@linkcode OssClientOptions}.
   */
  constructor(options: OssClientOptions) {
    super(withPlatform(withDenoFetch(options), denoPlatform));
  }

  /**
   * A client configured from `OSS_ENDPOINT`, `OSS_REGION`, `OSS_ACCESS_KEY_ID`,
   * `OSS_ACCESS_KEY_SECRET` and `OSS_SESSION_TOKEN`; `options` win over them.
   *
   * @param options Options that override the environment.
   * @returns The client.
   */
  static fromEnv(options: Partial<OssClientOptions> = {}): OssClient {
    return new OssClient(
      mergeEnvOptions(
        (globalThis as unknown as { Deno: { env: { toObject(): Record<string, string> } } }).Deno
          .env.toObject(),
        options,
      ),
    );
  }
}
