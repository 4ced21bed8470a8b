/**
 * Client options from environment variables, as ossutil and the official
 * SDKs name them. The core only maps a record it is given; runtime entry
 * points pass their environment (`process.env`, `Deno.env.toObject()`).
 *
 * @module
 */

import type { OssClientOptions } from "./oss_client.ts";

/**
 * Maps `OSS_ENDPOINT`, `OSS_REGION`, `OSS_ACCESS_KEY_ID`,
 * `OSS_ACCESS_KEY_SECRET` and `OSS_SESSION_TOKEN` to client options; unset
 * or empty variables are left out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { clientOptionsFromEnv } from "@ossup/ossup";
 *
 * const options = clientOptionsFromEnv({ OSS_REGION: "cn-hangzhou", OSS_ACCESS_KEY_ID: "ak" });
 * assert.deepEqual(options, { region: "cn-hangzhou", accessKeyId: "ak" });
 * ```
 *
 * @param env The environment variables.
 * @returns The options they set.
 */
export function clientOptionsFromEnv(
  env: Record<string, string | undefined>,
): Partial<OssClientOptions> {
  const options: Partial<OssClientOptions> = {};
  const pick = (name: string) => (env[name] ? env[name] : undefined);
  const endpoint = pick("OSS_ENDPOINT");
  if (endpoint) options.endpoint = endpoint;
  const region = pick("OSS_REGION");
  if (region) options.region = region;
  const id = pick("OSS_ACCESS_KEY_ID");
  if (id) options.accessKeyId = id;
  const secret = pick("OSS_ACCESS_KEY_SECRET");
  if (secret) options.accessKeySecret = secret;
  const token = pick("OSS_SESSION_TOKEN");
  if (token) options.securityToken = token;
  return options;
}

/**
 * Joins options from the environment and explicit ones (which win), and
 * checks an endpoint was given one way or the other.
 *
 * @throws {TypeError} When neither names an endpoint.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mergeEnvOptions, OssClient } from "@ossup/ossup";
 *
 * const options = mergeEnvOptions(
 *   { OSS_ENDPOINT: "oss-cn-hangzhou.aliyuncs.com", OSS_ACCESS_KEY_ID: "ak", OSS_ACCESS_KEY_SECRET: "sk" },
 *   { timeout: 30_000 },
 * );
 * assert.equal(options.timeout, 30_000);
 * const client = new OssClient(options);
 * assert.equal(client.region, "cn-hangzhou"); // read from the endpoint
 * ```
 */
export function mergeEnvOptions(
  env: Record<string, string | undefined>,
  options: Partial<OssClientOptions>,
): OssClientOptions {
  const merged = { ...clientOptionsFromEnv(env), ...options };
  if (!merged.endpoint) {
    throw new TypeError(
      'no endpoint: set OSS_ENDPOINT or pass endpoint, e.g. "oss-cn-hangzhou.aliyuncs.com"',
    );
  }
  return merged as OssClientOptions;
}
