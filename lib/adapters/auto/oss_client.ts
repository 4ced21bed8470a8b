/**
 * The JSR entry (`mod.ts`)'s `OssClient`: the core client with Deno, Bun and Node's runtime pieces
 * injected, so `bucket.uploadFile(key, "./big.iso")` needs no wiring.
 *
 * @module
 */
import process from "node:process";
import { OssClient as BaseOssClient, type OssClientOptions } from "../../client/oss_client.ts";
import { mergeEnvOptions } from "../../client/env_options.ts";
import { withPlatform } from "../../client/platform.ts";
import { withBunFetch } from "../bun/default_fetch.ts";
import { withDenoFetch } from "../deno/default_fetch.ts";
import { withHttpFetch } from "../node_api/http_fetch.ts";
import { autoPlatform } from "./platform.ts";

/**
 * OSS client for Deno, Bun and Node alike: files by path, checkpoint files beside them.
 *
 * @example
 * ```ts ignore
 * import { OssClient } from "@ossup/ossup";
 *
 * const client = OssClient.fromEnv(); // OSS_ENDPOINT, OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET...
 * await client.bucket("examplebucket").uploadFile("big.iso", "./big.iso", { checkpoint: true });
 * ```
 */
export class OssClient extends BaseOssClient {
  /**
   * Creates a client whose file uploads use the adapter of the runtime it runs on (see {@linkcode OssClientOptions}).
   *
   * @param options Where and how to connect; see {@linkcode OssClientOptions}.
   */
  constructor(options: OssClientOptions) {
    super(withPlatform(withRuntimeFetch(options), autoPlatform));
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

/** Each runtime's leanest `fetch` for uploads: `node:http` on Node and Deno, sockets for parts on Bun. */
function withRuntimeFetch(options: OssClientOptions): OssClientOptions {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  if (g.Deno !== undefined) return withDenoFetch(options);
  if (g.Bun !== undefined) return withBunFetch(options);
  return withHttpFetch(options);
}
