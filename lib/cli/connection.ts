/**
 * Where `ossup` sends requests: the endpoint and key from flags or the
 * environment, as ossutil users expect, or, with no endpoint configured,
 * the embedded default (the local server with data in `./.ossup`).
 *
 * @module
 */

import { OssClient } from "../adapters/auto/oss_client.ts";
import { OssError } from "../errors/errors.ts";
import type { Bucket } from "../client/bucket.ts";
import type { FlagSpec, ParsedArgs } from "../command_line/flags.ts";
import { CliError, EXIT, UsageError } from "./cli_error.ts";
import { type LocalServer, openLocalServer } from "./local_server.ts";
import { readOssutilConfig } from "./ossutil_config.ts";

/** Flags every command accepts. */
export const GLOBAL_FLAGS: Record<string, FlagSpec> = {
  endpoint: { type: "string", short: "e" },
  region: { type: "string" },
  "access-key-id": { type: "string", short: "i" },
  "access-key-secret": { type: "string", short: "k" },
  "sts-token": { type: "string", short: "t" },
  "signature-version": { type: "string" },
  "config-file": { type: "string" },
  verbose: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  json: { type: "boolean", short: "j" },
  help: { type: "boolean", short: "h" },
};

/** A configured client, and the local server behind it when embedded. */
export interface Connection {
  /** The client. */
  client: OssClient;
  /** Where requests go, for messages (no credentials). */
  endpoint: string;
  /** The local server when no endpoint is configured. */
  local?: LocalServer;
  /** A bucket handle; on the embedded default the bucket is created on first use. */
  bucket(name: string, create?: boolean): Promise<Bucket>;
  /** Stops the local server if this process started it. */
  close(): Promise<void>;
}

/** Options of {@linkcode connect}. */
export interface ConnectOptions {
  /** Writes one line to stderr. */
  note: (line: string) => void;
}

/**
 * Resolves the configuration and builds the client. Flags win over the
 * environment (`OSS_ENDPOINT`, `OSS_REGION`, `OSS_ACCESS_KEY_ID`,
 * `OSS_ACCESS_KEY_SECRET`, `OSS_SESSION_TOKEN`), the environment over
 * ossutil's config file (`--config-file`, default `~/.ossutilconfig`).
 *
 * @param args The parsed command line.
 * @param env The environment.
 * @param o Where to say that the embedded default is in use.
 * @returns The connection.
 * @throws {UsageError} When an endpoint is given without a key, or a value is malformed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 * import { parseFlags } from "../command_line/flags.ts";
 * import { connect, GLOBAL_FLAGS } from "./connection.ts";
 *
 * // A local OSS server stands in for the endpoint.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 *
 * const args = parseFlags(["--endpoint", server.url], GLOBAL_FLAGS); // flags win over the environment
 * const env = { OSS_ENDPOINT: "oss-cn-hangzhou.aliyuncs.com", OSS_ACCESS_KEY_ID: "ak", OSS_ACCESS_KEY_SECRET: "sk" };
 * const conn = await connect(args, env, { note: (l) => console.error(l) });
 * await conn.client.createBucket("examplebucket");
 * const names: string[] = [];
 * for await (const b of conn.client.listBuckets()) names.push(b.name);
 * assert.deepEqual(names, ["examplebucket"]);
 * await conn.close();
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export async function connect(
  args: ParsedArgs,
  env: Record<string, string | undefined>,
  o: ConnectOptions,
): Promise<Connection> {
  const file = await readOssutilConfig(args.strings.get("config-file"), env);
  const flag = (name: string, variable: string, fromFile?: string) =>
    args.strings.get(name) || env[variable] || fromFile || undefined;
  const endpoint = flag("endpoint", "OSS_ENDPOINT", file?.endpoint);
  const signatureVersion = args.strings.get("signature-version") ?? "v4";
  if (signatureVersion !== "v4" && signatureVersion !== "v1") {
    throw new UsageError(`--signature-version must be v4 or v1`);
  }
  const retry = { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 5_000 };
  if (endpoint === undefined) {
    const local = await openLocalServer({ bandwidth: env.OSSUP_LOCAL_BANDWIDTH || undefined });
    o.note(
      `ossup: no endpoint configured; using the local server at ${local.url} with data in ./${local.dir}` +
        `${local.shared ? " (ossup serve)" : ""} (set OSS_ENDPOINT or --endpoint for real OSS)`,
    );
    const client = new OssClient({
      endpoint: local.url,
      region: local.region,
      accessKeyId: local.accessKeyId,
      accessKeySecret: local.accessKeySecret,
      signatureVersion,
      retry,
    });
    return {
      client,
      endpoint: local.url,
      local,
      bucket: async (name, create = true) => {
        if (create) await createIfMissing(client, name);
        return client.bucket(name);
      },
      close: () => local.close(),
    };
  }
  const accessKeyId = flag("access-key-id", "OSS_ACCESS_KEY_ID", file?.accessKeyId);
  const accessKeySecret = flag("access-key-secret", "OSS_ACCESS_KEY_SECRET", file?.accessKeySecret);
  if (!accessKeyId || !accessKeySecret) {
    throw new UsageError(
      `no access key for ${endpoint}: set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET, ` +
        "pass --access-key-id and --access-key-secret, or write them in ~/.ossutilconfig",
    );
  }
  let client: OssClient;
  try {
    client = new OssClient({
      endpoint,
      // Unless told, the client signs for the local server's region at an IP or localhost endpoint.
      region: flag("region", "OSS_REGION"),
      accessKeyId,
      accessKeySecret,
      securityToken: flag("sts-token", "OSS_SESSION_TOKEN", file?.stsToken),
      signatureVersion,
      retry,
    });
  } catch (err) {
    // The client's messages name the endpoint and region, never the key.
    throw new UsageError(`bad configuration: ${(err as Error).message}`);
  }
  return {
    client,
    endpoint: client.endpoint,
    bucket: (name) => Promise.resolve(client.bucket(name)),
    close: () => Promise.resolve(),
  };
}

async function createIfMissing(client: OssClient, name: string): Promise<void> {
  try {
    await client.createBucket(name);
  } catch (err) {
    if (err instanceof OssError && err.code === "BucketAlreadyExists") return;
    throw err;
  }
}

/**
 * Rejects flags that only make sense with a configured endpoint when none is.
 *
 * @param conn The connection.
 * @param what The command, for the message.
 */
export function requireRemote(conn: Connection, what: string): void {
  if (conn.local) throw new CliError(EXIT.usage, `${what} needs a configured endpoint`);
}
