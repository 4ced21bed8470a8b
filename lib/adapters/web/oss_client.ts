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
 * ```ts ignore
 * import { OssClient } from "@ossup/ossup/web";
 *
 * const client = new OssClient({
 *   endpoint: "oss-cn-hangzhou.aliyuncs.com",
 *   credentials: async () => (await fetch("/api/sts-token")).json(),
 * });
 * const file = document.querySelector("input")!.files![0];
 * await client.bucket("examplebucket").uploadFile(file.name, file, { routines: 4, checkpoint: true });
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
