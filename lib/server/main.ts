/**
 * Command line of the local OSS-compatible server.
 *
 *     deno run -A lib/server/main.ts --port 0 --memory --access-key-id ID --access-key-secret SECRET
 *     bun run lib/server/main.ts ...
 *     node --import tsx lib/server/main.ts ...
 *     npm run serve -- ...
 *
 * Its first line on stdout contains the URL it listens on
 * (`http://127.0.0.1:PORT`). It binds 127.0.0.1 unless `--host` says
 * otherwise, never prints secrets, and shuts down on SIGINT / SIGTERM.
 * Bad flags exit with status 2.
 *
 * @module
 */

import { realpathSync } from "node:fs";
import process from "node:process";
import { UsageError } from "../errors/errors.ts";
import { createOssApp } from "./app.ts";
import { createAuthenticator, type ServerCredential } from "./auth.ts";
import { DiskStorage } from "./disk_storage.ts";
import { FaultInjector, FAULTS_CONTROL_HEADER, FAULTS_CONTROL_PATH } from "./faults.ts";
import { listen } from "./listen.ts";
import { MemoryStorage } from "./memory_storage.ts";
import type { Storage } from "./storage.ts";

/** The parsed command line. */
export interface ServeOptions {
  /** Interface to bind. Default `"127.0.0.1"`. */
  host: string;
  /** Port; `0` picks a free one. Default `0`. */
  port: number;
  /** Data directory (disk storage); memory storage when absent. */
  dataDir?: string;
  /** The accepted key. */
  credential: ServerCredential;
  /** Region without `oss-`. Default `"cn-hangzhou"`. */
  region: string;
  /** Accept unsigned requests. Default `false`. */
  allowAnonymous: boolean;
  /** Enables fault injection with this control token. Default: disabled. */
  faultsToken?: string;
  /** Extra host names that address the service (for `bucket.<host>`). */
  serviceHosts: string[];
  /** MD5 worker threads of the storage; default: the storage's (cores − 1, at most 4). */
  hashThreads?: number;
  /** Which server: see `listen`'s `engine`. Default `"auto"`. */
  engine?: "auto" | "native" | "node";
  /** Milliseconds a request body may stall before `RequestTimeout`; `0` never. Default: `listen`'s (60 s). */
  bodyIdleTimeoutMs?: number;
}

/** The usage text. */
export const USAGE =
  `Usage: main.ts (--memory | --data DIR) --access-key-id ID --access-key-secret SECRET
               [--host 127.0.0.1] [--port 0] [--region cn-hangzhou] [--sts-token TOKEN]
               [--allow-anonymous] [--faults-token TOKEN] [--service-host HOST]...
               [--hash-threads N] [--body-idle-timeout SECONDS] [--engine auto|native|node]

  --host HOST               interface to bind (default 127.0.0.1)
  --port PORT               port; 0 picks a free one (default 0)
  --memory                  keep everything in memory
  --data DIR                keep everything in DIR; survives restarts
  --access-key-id ID        the accepted AccessKey ID
  --access-key-secret S     its secret (or set OSSUP_ACCESS_KEY_SECRET)
  --sts-token TOKEN         make the key an STS key that requires this security token
  --region REGION           region without "oss-" (default cn-hangzhou)
  --allow-anonymous         accept unsigned requests
  --faults-token TOKEN      enable fault injection, controlled through
                            ${FAULTS_CONTROL_PATH} with header ${FAULTS_CONTROL_HEADER}: TOKEN
  --service-host HOST       also read HOST as the service host (bucket.HOST is virtual-hosted)
  --hash-threads N          worker threads computing the MD5 of large bodies; 0 hashes on the
                            socket thread (default: cores - 1, at most 4)
  --body-idle-timeout S     answer RequestTimeout (400) and discard the upload when a request
                            body sends nothing for S seconds; 0 never times out (default 60)
  --engine E                native (Deno.serve / Bun.serve), node (node:http), or auto: Deno.serve
                            on Deno unless --faults-token, node:http on Bun and Node (default auto);
                            behind Deno.serve, reset fault rules are refused
`;

/**
 * Parses the command line.
 *
 * @param argv The arguments after the script.
 * @param env Environment variables (for `OSSUP_ACCESS_KEY_SECRET`).
 * @returns The options.
 * @throws {UsageError} On an unknown flag, a missing or bad value.
 *
 * @example
 * ```ts
 * import { parseArgs } from "./main.ts";
 *
 * const o = parseArgs(["--memory", "--access-key-id", "ak", "--access-key-secret", "sk"], {});
 * console.log(o.host, o.port); // 127.0.0.1 0
 * ```
 */
export function parseArgs(
  argv: string[],
  env: Record<string, string | undefined>,
): ServeOptions {
  const values = new Map<string, string>();
  const serviceHosts: string[] = [];
  let memory = false;
  let allowAnonymous = false;
  const withValue = new Set([
    "--host",
    "--port",
    "--data",
    "--access-key-id",
    "--access-key-secret",
    "--sts-token",
    "--region",
    "--faults-token",
    "--service-host",
    "--hash-threads",
    "--body-idle-timeout",
    "--engine",
  ]);
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value: string | undefined;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    if (arg === "--memory" || arg === "--allow-anonymous") {
      if (value !== undefined) throw new UsageError(`${arg} takes no value`);
      if (arg === "--memory") memory = true;
      else allowAnonymous = true;
      continue;
    }
    if (!withValue.has(arg)) {
      // Only echo what looks like a flag name: a stray value could be a secret.
      throw new UsageError(
        arg.startsWith("--") && /^--[a-z-]+$/.test(arg)
          ? `unknown flag ${arg}`
          : `unexpected argument #${i + 1} (flags start with --)`,
      );
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined || value.startsWith("--")) {
        throw new UsageError(`${arg} needs a value`);
      }
    }
    if (value === "") throw new UsageError(`${arg} needs a non-empty value`);
    if (arg === "--service-host") serviceHosts.push(value);
    else if (values.has(arg)) throw new UsageError(`${arg} given twice`);
    else values.set(arg, value);
  }

  const dataDir = values.get("--data");
  if (memory === (dataDir !== undefined)) {
    throw new UsageError("give exactly one of --memory and --data DIR");
  }
  const portText = values.get("--port") ?? "0";
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new UsageError("--port must be from 0 to 65535");
  const accessKeyId = values.get("--access-key-id");
  if (accessKeyId === undefined) throw new UsageError("--access-key-id is required");
  const accessKeySecret = values.get("--access-key-secret") ?? env.OSSUP_ACCESS_KEY_SECRET;
  if (!accessKeySecret) {
    throw new UsageError("--access-key-secret (or OSSUP_ACCESS_KEY_SECRET) is required");
  }
  const faultsToken = values.get("--faults-token");
  if (faultsToken !== undefined && faultsToken.length < 8) {
    throw new UsageError("--faults-token must be at least 8 characters");
  }
  const hashThreadsText = values.get("--hash-threads");
  const hashThreads = hashThreadsText === undefined ? undefined : Number(hashThreadsText);
  if (hashThreadsText !== undefined && !/^\d{1,2}$/.test(hashThreadsText)) {
    throw new UsageError("--hash-threads must be an integer from 0 to 99");
  }
  const idleText = values.get("--body-idle-timeout");
  if (idleText !== undefined && !/^\d{1,7}(\.\d{1,3})?$/.test(idleText)) {
    throw new UsageError(
      "--body-idle-timeout must be a number of seconds, e.g. 60 or 0.5 (0: never)",
    );
  }
  const bodyIdleTimeoutMs = idleText === undefined
    ? undefined
    : Math.round(Number(idleText) * 1000);
  const engine = values.get("--engine") ?? "auto";
  if (engine !== "auto" && engine !== "native" && engine !== "node") {
    throw new UsageError("--engine must be auto, native or node");
  }
  const region = values.get("--region") ?? "cn-hangzhou";
  if (!/^[a-z0-9-]+$/.test(region) || region.startsWith("oss-")) {
    throw new UsageError('--region must look like "cn-hangzhou" (no "oss-" prefix)');
  }
  return {
    host: values.get("--host") ?? "127.0.0.1",
    port,
    dataDir,
    credential: { accessKeyId, accessKeySecret, securityToken: values.get("--sts-token") },
    region,
    allowAnonymous,
    faultsToken,
    serviceHosts,
    hashThreads,
    bodyIdleTimeoutMs,
    engine,
  };
}

/** A running server started by {@linkcode serve}. */
export interface RunningServer {
  /** `http://host:port`. */
  url: string;
  /** Stops listening and closes the storage. */
  close(): Promise<void>;
}

/**
 * Starts the server described by `o`.
 *
 * @param o The parsed command line.
 * @returns Its URL and a close function.
 *
 * @example
 * ```ts
 * import { parseArgs, serve } from "./main.ts";
 *
 * const server = await serve(parseArgs(["--memory", "--access-key-id", "ak", "--access-key-secret", "sk"], {}));
 * console.log(server.url);
 * await server.close();
 * ```
 */
export async function serve(o: ServeOptions): Promise<RunningServer> {
  const storageOptions = { hashThreads: o.hashThreads };
  const storage: Storage = o.dataDir
    ? await DiskStorage.open(o.dataDir, storageOptions)
    : new MemoryStorage(storageOptions);
  const { app } = createOssApp({
    storage,
    region: o.region,
    serviceHosts: o.serviceHosts,
    authenticate: createAuthenticator({
      credentials: [o.credential],
      allowAnonymous: o.allowAnonymous,
      region: o.region,
    }),
    faults: o.faultsToken === undefined
      ? undefined
      : new FaultInjector({ controlToken: o.faultsToken }),
  });
  let server;
  try {
    server = await listen(app.fetch, {
      host: o.host,
      port: o.port,
      bodyIdleTimeoutMs: o.bodyIdleTimeoutMs,
      engine: o.engine,
    });
  } catch (err) {
    await storage.close();
    throw err;
  }
  return {
    url: server.url,
    close: async () => {
      await server.close();
      await storage.close();
    },
  };
}

async function main(): Promise<void> {
  let options: ServeOptions;
  try {
    options = parseArgs(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`error: ${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  let server: RunningServer;
  try {
    server = await serve(options);
  } catch (err) {
    // Messages of listen/storage errors name addresses and paths, never the secret.
    process.stderr.write(`error: cannot start the server: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const storage = options.dataDir ? `data directory ${options.dataDir}` : "memory storage";
  console.log(`ossup server listening on ${server.url} (${storage}, region ${options.region})`);
  if (options.faultsToken !== undefined) {
    console.log(`fault injection enabled: ${FAULTS_CONTROL_PATH} with ${FAULTS_CONTROL_HEADER}`);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    const timer = setTimeout(() => process.exit(0), 5000);
    try {
      await server.close();
    } finally {
      clearTimeout(timer);
      process.exit(0);
    }
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

if (import.meta.main ?? isMainNode()) await main();

function isMainNode(): boolean {
  // Node (through tsx) has no `import.meta.main`: compare with the started script.
  const started = process.argv[1];
  if (!started) return false;
  const here = new URL(import.meta.url).pathname;
  // Installs through symlinks (npm link, pnpm) start the script by another path.
  let real = started;
  try {
    real = realpathSync(started);
  } catch { /* keep the path as given */ }
  return here === started || here === real || here === real.replace(/\\/g, "/");
}
