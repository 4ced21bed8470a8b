/**
 * The Bun entry's `OssClient`: the core client with Bun's runtime pieces
 * injected, so `bucket.uploadFile(key, "./big.iso")` needs no wiring.
 *
 * @module
 */
import process from "node:process";
import { OssClient as BaseOssClient, type OssClientOptions } from "../../client/oss_client.ts";
import { mergeEnvOptions } from "../../client/env_options.ts";
import { withPlatform } from "../../client/platform.ts";
import { withBunFetch } from "./default_fetch.ts";
import { bunPlatform } from "./platform.ts";

/**
 * OSS client for Bun: files by path, checkpoint files beside them.
 *
 * @example On Bun, with OSS credentials in the environment (so not run by the doc tests, which run on Deno)
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { OssClient } from "@ossup/ossup/bun";
 *
 * const bucket = OssClient.fromEnv().bucket("examplebucket"); // OSS_ENDPOINT, OSS_ACCESS_KEY_ID, …
 * const result = await bucket.uploadFile("big.iso", "./big.iso", { routines: 4, checkpoint: true });
 * assert.equal(result.crc64Verified, true);
 * ```
 */
export class OssClient extends BaseOssClient {
  /**
   * Creates a client with Bun's platform injected (see {@linkcode OssClientOptions}).
   *
   * @param options Where and how to connect; see {@linkcode OssClientOptions}.
   */
  constructor(options: OssClientOptions) {
    super(withPlatform(withBunFetch(options), bunPlatform));
  }

  /**
   * A client configured from `OSS_ENDPOINT`, `OSS_REGION`, `OSS_ACCESS_KEY_ID`,
   * `OSS_ACCESS_KEY_SECRET` and `OSS_SESSION_TOKEN`; `options` win over them.
   *
   * @param options Options that override the environment.
   * @returns The client.
   */
  static fromEnv(options: Partial<OssClientOptions> = {}): OssClient {
    return new OssClient(mergeEnvOptions(process.env, options));
  }
}
