/**
 * The Node entry's `OssClient`: the core client with Node's runtime pieces
 * injected, so `bucket.uploadFile(key, "./big.iso")` needs no wiring.
 *
 * @module
 */
import process from "node:process";
import { OssClient as BaseOssClient, type OssClientOptions } from "../../client/oss_client.ts";
import { mergeEnvOptions } from "../../client/env_options.ts";
import { withPlatform } from "../../client/platform.ts";
import { withHttpFetch } from "../node_api/http_fetch.ts";
import { nodePlatform } from "./platform.ts";

/**
 * OSS client for Node: files by path, checkpoint files beside them.
 *
 * @example
 * ```ts ignore
 * import { OssClient } from "@ossup/ossup/node";
 *
 * const client = OssClient.fromEnv(); // OSS_ENDPOINT, OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET...
 * await client.bucket("examplebucket").uploadFile("big.iso", "./big.iso", { checkpoint: true });
 * ```
 */
export class OssClient extends BaseOssClient {
  /**
   * Creates a client with Node's platform injected (see {@linkcode OssClientOptions}).
   *
   * @param options Where and how to connect; see {@linkcode OssClientOptions}.
   */
  constructor(options: OssClientOptions) {
    super(withPlatform(withHttpFetch(options), nodePlatform));
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
