/**
 * The flags of the local server, defined and documented once: `npm run serve` (this folder's
 * `main.ts`) and `ossup serve` parse the same set with the same parser
 * (`lib/command_line/flags.ts`) and read them with {@linkcode serveOptionsFromFlags}.
 *
 * @module
 */

import { UsageError } from "../errors/errors.ts";
import type { FlagSpec, ParsedArgs } from "../command_line/flags.ts";
import type { ServerCredential } from "./auth.ts";
import { FAULTS_CONTROL_HEADER, FAULTS_CONTROL_PATH } from "./faults.ts";
import type { LinkSettings } from "./link.ts";
import { parseLinkSpec } from "./link_spec.ts";

/** The parsed command line of the server. */
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
  /** Serve through a link emulator with these settings (`startLink`). Default: none. */
  link?: LinkSettings;
}

/**
 * The server's flags. The key flags have the short aliases of `ossup`'s connection flags.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseFlags } from "../command_line/flags.ts";
 * import { SERVE_FLAGS } from "./serve_flags.ts";
 *
 * const args = parseFlags(["--memory", "-i", "ak", "--service-host", "a", "--service-host", "b"], SERVE_FLAGS);
 * assert.deepEqual(args.lists.get("service-host"), ["a", "b"]);
 * ```
 */
export const SERVE_FLAGS: Record<string, FlagSpec> = {
  host: { type: "string" },
  port: { type: "string" },
  memory: { type: "boolean" },
  data: { type: "string" },
  "access-key-id": { type: "string", short: "i" },
  "access-key-secret": { type: "string", short: "k" },
  "sts-token": { type: "string", short: "t" },
  region: { type: "string" },
  "allow-anonymous": { type: "boolean" },
  "faults-token": { type: "string" },
  "service-host": { type: "string", multiple: true },
  "hash-threads": { type: "string" },
  "body-idle-timeout": { type: "string" },
  engine: { type: "string" },
  link: { type: "string" },
};

/** The documentation of {@linkcode SERVE_FLAGS}: the one text both programs print. */
export const SERVE_FLAGS_HELP = `  --host HOST               interface to bind (default 127.0.0.1)
  --port PORT               port; 0 picks a free one (default 0)
  --memory                  keep everything in memory
  --data DIR                keep everything in DIR; survives restarts
  -i, --access-key-id ID    the accepted AccessKey ID
  -k, --access-key-secret S its secret
  -t, --sts-token TOKEN     make the key an STS key that requires this security token
  --region REGION           region without "oss-" (default cn-hangzhou)
  --allow-anonymous         accept unsigned requests
  --faults-token TOKEN      enable fault injection, controlled through
                            ${FAULTS_CONTROL_PATH} with header ${FAULTS_CONTROL_HEADER}: TOKEN
  --service-host HOST       also read HOST as the service host (bucket.HOST is virtual-hosted);
                            may be repeated
  --hash-threads N          worker threads computing the MD5 of large bodies; 0 hashes on the
                            socket thread (default: cores - 1, at most 4)
  --body-idle-timeout S     answer RequestTimeout (400) and discard the upload when a request
                            body sends nothing for S seconds; 0 never times out (default 60)
  --engine E                native (Deno.serve / Bun.serve), node (node:http), or auto: Deno.serve
                            on Deno unless --faults-token, node:http on Bun and Node (default auto);
                            behind Deno.serve, reset fault rules are refused
  --link SPEC               serve as if far away: clients reach the server through a link
                            emulator (needs --data or --memory). SPEC is name=value pairs:
                            rtt=50ms (round trip, paid by each connection's handshake and each
                            request), rate=400Mbit (per direction, shared; or bytes/s: 50MB),
                            window=1MiB (bytes in flight per connection), resets=64MiB (mean
                            bytes a connection carries before it is reset; seeded: seed=N)
`;

/** What the program around the flags decides: the key from its environment. */
export interface ServeFlagsContext {
  /** The key ID when `--access-key-id` is absent, and the variable it came from. */
  accessKeyId?: { value: string | undefined; from: string };
  /** The secret when `--access-key-secret` is absent, and the variable it came from. */
  accessKeySecret?: { value: string | undefined; from: string };
}

/**
 * The address flags alone (`ossup serve` with neither `--data` nor `--memory` needs no more).
 *
 * @param args Parsed {@linkcode SERVE_FLAGS}.
 * @returns Host (default `127.0.0.1`) and port (absent when not given).
 * @throws {UsageError} For a bad port or an empty host.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseFlags } from "../command_line/flags.ts";
 * import { SERVE_FLAGS, serveAddressFromFlags } from "./serve_flags.ts";
 *
 * assert.deepEqual(
 *   serveAddressFromFlags(parseFlags(["--port", "9000"], SERVE_FLAGS)),
 *   { host: "127.0.0.1", port: 9000 },
 * );
 * ```
 */
export function serveAddressFromFlags(args: ParsedArgs): { host: string; port?: number } {
  for (const [name, value] of args.strings) {
    if (value === "") throw new UsageError(`--${name} needs a non-empty value`);
  }
  const portText = args.strings.get("port");
  const port = portText === undefined
    ? undefined
    : /^\d{1,5}$/.test(portText)
    ? Number(portText)
    : NaN;
  if (port !== undefined && !(port >= 0 && port <= 65535)) {
    throw new UsageError("--port must be from 0 to 65535");
  }
  return { host: args.strings.get("host") ?? "127.0.0.1", port };
}

/**
 * Reads parsed {@linkcode SERVE_FLAGS} into the options of `serve`: exactly one of `--memory`
 * and `--data DIR`, the key, and the checked values of the rest.
 *
 * @param args Parsed {@linkcode SERVE_FLAGS}.
 * @param context The key from the program's environment, when the flags lack it.
 * @returns The options.
 * @throws {UsageError} Naming the flag and what it allows; never a flag's value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseFlags } from "../command_line/flags.ts";
 * import { SERVE_FLAGS, serveOptionsFromFlags } from "./serve_flags.ts";
 *
 * const o = serveOptionsFromFlags(
 *   parseFlags(["--memory", "--access-key-id", "ak", "--access-key-secret", "sk"], SERVE_FLAGS),
 * );
 * assert.deepEqual([o.host, o.port, o.engine, o.dataDir], ["127.0.0.1", 0, "auto", undefined]);
 * ```
 */
export function serveOptionsFromFlags(
  args: ParsedArgs,
  context: ServeFlagsContext = {},
): ServeOptions {
  const { host, port } = serveAddressFromFlags(args);
  const values = args.strings;
  const dataDir = values.get("data");
  const memory = args.booleans.get("memory") === true;
  if (memory === (dataDir !== undefined)) {
    throw new UsageError("give exactly one of --memory and --data DIR");
  }
  const idFrom = context.accessKeyId ? ` (or ${context.accessKeyId.from})` : "";
  const accessKeyId = values.get("access-key-id") ?? context.accessKeyId?.value;
  if (!accessKeyId) throw new UsageError(`--access-key-id${idFrom} is required`);
  const secretFrom = context.accessKeySecret ? ` (or ${context.accessKeySecret.from})` : "";
  const accessKeySecret = values.get("access-key-secret") ?? context.accessKeySecret?.value;
  if (!accessKeySecret) throw new UsageError(`--access-key-secret${secretFrom} is required`);
  const faultsToken = values.get("faults-token");
  if (faultsToken !== undefined && faultsToken.length < 8) {
    throw new UsageError("--faults-token must be at least 8 characters");
  }
  const hashThreadsText = values.get("hash-threads");
  if (hashThreadsText !== undefined && !/^\d{1,2}$/.test(hashThreadsText)) {
    throw new UsageError("--hash-threads must be an integer from 0 to 99");
  }
  const idleText = values.get("body-idle-timeout");
  if (idleText !== undefined && !/^\d{1,7}(\.\d{1,3})?$/.test(idleText)) {
    throw new UsageError(
      "--body-idle-timeout must be a number of seconds, e.g. 60 or 0.5 (0: never)",
    );
  }
  const engine = values.get("engine") ?? "auto";
  if (engine !== "auto" && engine !== "native" && engine !== "node") {
    throw new UsageError("--engine must be auto, native or node");
  }
  const region = values.get("region") ?? "cn-hangzhou";
  if (!/^[a-z0-9-]+$/.test(region) || region.startsWith("oss-")) {
    throw new UsageError('--region must look like "cn-hangzhou" (no "oss-" prefix)');
  }
  const linkText = values.get("link");
  let link: LinkSettings | undefined;
  if (linkText !== undefined) {
    try {
      link = parseLinkSpec(linkText);
    } catch (err) {
      throw new UsageError(`--link: ${(err as Error).message}`);
    }
  }
  return {
    host,
    port: port ?? 0,
    dataDir,
    credential: { accessKeyId, accessKeySecret, securityToken: values.get("sts-token") },
    region,
    allowAnonymous: args.booleans.get("allow-anonymous") === true,
    faultsToken,
    serviceHosts: args.lists.get("service-host") ?? [],
    hashThreads: hashThreadsText === undefined ? undefined : Number(hashThreadsText),
    bodyIdleTimeoutMs: idleText === undefined ? undefined : Math.round(Number(idleText) * 1000),
    engine,
    link,
  };
}
