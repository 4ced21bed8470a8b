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
 * Bad flags exit with status 2. The flags are `ossup serve`'s (`serve_flags.ts`).
 *
 * @module
 */

import { realpathSync } from "node:fs";
import process from "node:process";
import { UsageError } from "../errors/errors.ts";
import { createOssApp } from "./app.ts";
import { createAuthenticator } from "./auth.ts";
import { nodeSha1 } from "../adapters/node_api/node_sha1.ts";
import { nodeSha256 } from "../adapters/node_api/node_sha256.ts";
import { DiskStorage } from "./disk_storage.ts";
import { FaultInjector, FAULTS_CONTROL_HEADER, FAULTS_CONTROL_PATH } from "./faults.ts";
import { parseFlags } from "../command_line/flags.ts";
import {
  SERVE_FLAGS,
  SERVE_FLAGS_HELP,
  type ServeOptions,
  serveOptionsFromFlags,
} from "./serve_flags.ts";
import { listen } from "./listen.ts";
import { type RunningLink, startLink } from "./link.ts";
import { formatLinkSpec } from "./link_spec.ts";
import { MemoryStorage } from "./memory_storage.ts";
import type { Storage } from "./storage.ts";

export type { ServeOptions };

/** The usage text: the flags as {@linkcode SERVE_FLAGS_HELP} documents them for both programs. */
export const USAGE =
  `Usage: main.ts (--memory | --data DIR) --access-key-id ID --access-key-secret SECRET [flags]
       (the same flags as \`ossup serve --data DIR | --memory\`)

${SERVE_FLAGS_HELP}
  The secret may come from OSSUP_ACCESS_KEY_SECRET instead of --access-key-secret.
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
 * import assert from "node:assert/strict";
 * import { parseArgs } from "./main.ts";
 *
 * const o = parseArgs(["--memory", "--access-key-id", "ak", "--access-key-secret", "sk"], {});
 * assert.equal(o.host, "127.0.0.1");
 * assert.equal(o.port, 0); // a free port
 * assert.throws(() => parseArgs(["--port", "x"], {}), { code: "Usage" });
 * ```
 */
export function parseArgs(
  argv: string[],
  env: Record<string, string | undefined>,
): ServeOptions {
  const args = parseFlags(argv, SERVE_FLAGS, { help: "--help" });
  if (args.positionals.length > 0) {
    // Never echo it: a stray value could be a secret.
    throw new UsageError("unexpected argument (flags start with --)");
  }
  return serveOptionsFromFlags(args, {
    accessKeySecret: { value: env.OSSUP_ACCESS_KEY_SECRET, from: "OSSUP_ACCESS_KEY_SECRET" },
  });
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
 * import assert from "node:assert/strict";
 * import { parseArgs, serve } from "./main.ts";
 *
 * const server = await serve(parseArgs(["--memory", "--access-key-id", "ak", "--access-key-secret", "sk"], {}));
 * const res = await fetch(server.url); // ListBuckets, unsigned
 * assert.equal(res.status, 403); // anonymous access is refused
 * await res.body?.cancel();
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
      sha256: nodeSha256,
      sha1: nodeSha1,
    }),
    faults: o.faultsToken === undefined
      ? undefined
      : new FaultInjector({ controlToken: o.faultsToken }),
  });
  let server;
  let link: RunningLink | undefined;
  try {
    // Behind a link, the server itself listens on a free loopback port and the link takes the
    // address asked for: every client then pays the link's costs.
    server = await listen(app.fetch, {
      host: o.link ? "127.0.0.1" : o.host,
      port: o.link ? 0 : o.port,
      bodyIdleTimeoutMs: o.bodyIdleTimeoutMs,
      engine: o.engine,
    });
    if (o.link) {
      link = await startLink({ ...o.link, target: server.url, host: o.host, port: o.port })
        .catch(async (err) => {
          await server!.close();
          throw err;
        });
    }
  } catch (err) {
    await storage.close();
    throw err;
  }
  return {
    url: link?.url ?? server.url,
    close: async () => {
      await link?.close();
      await server.close();
      await storage.close();
    },
  };
}

async function main(): Promise<void> {
  if (process.argv.includes("--help") || process.argv.includes("-h")) {
    process.stdout.write(USAGE);
    return;
  }
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
  const through = options.link ? `, through a link ${formatLinkSpec(options.link)}` : "";
  console.log(
    `ossup server listening on ${server.url} (${storage}, region ${options.region}${through})`,
  );
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
