/**
 * `ossup serve`: the local OSS-compatible server. With no `--data` or
 * `--memory` it serves the embedded default (`./.ossup`) and lets other
 * `ossup` commands in this folder share it; with either it is the server of
 * `lib/server/main.ts` with the given key.
 *
 * @module
 */

import { join } from "node:path";
import { serve } from "../server/main.ts";
import { FAULTS_CONTROL_HEADER, FAULTS_CONTROL_PATH } from "../server/faults.ts";
import { parseWhole } from "./args.ts";
import type { CliContext } from "./cli_context.ts";
import { EXIT, UsageError } from "./cli_error.ts";
import { LOCAL_REGION, openLocalServer } from "./local_server.ts";

/**
 * Runs the server until Ctrl-C or SIGTERM.
 *
 * @param ctx The command context.
 * @returns The exit code.
 */
export async function serveCommand(ctx: CliContext): Promise<number> {
  const a = ctx.args;
  const host = a.strings.get("host") ?? "127.0.0.1";
  const portText = a.strings.get("port");
  const port = portText === undefined ? undefined : parseWhole("port", portText, 0, 65535);
  const dataDir = a.strings.get("data");
  const memory = a.booleans.get("memory") === true;
  if (dataDir !== undefined && memory) {
    throw new UsageError("give --data DIR or --memory, not both");
  }
  const faultsToken = a.strings.get("faults-token");
  if (faultsToken !== undefined && faultsToken.length < 8) {
    throw new UsageError("--faults-token must be at least 8 characters");
  }
  let close: () => Promise<void>;
  if (dataDir === undefined && !memory) {
    const local = await openLocalServer({
      owner: "serve",
      host,
      port,
      bandwidth: ctx.env.OSSUP_LOCAL_BANDWIDTH || undefined,
    });
    close = local.close;
    ctx.out(
      `ossup server listening on ${local.url} (data directory ${join(local.dir, "data")}, ` +
        `region ${local.region})\n`,
    );
    ctx.out(
      `access key ID ${local.accessKeyId} (secret in ${join(local.dir, "local-key.json")}); ` +
        "ossup commands run in this folder use this server\n",
    );
  } else {
    const accessKeyId = a.strings.get("access-key-id") || ctx.env.OSS_ACCESS_KEY_ID;
    const accessKeySecret = a.strings.get("access-key-secret") || ctx.env.OSS_ACCESS_KEY_SECRET;
    if (!accessKeyId || !accessKeySecret) {
      throw new UsageError(
        "serve --data/--memory needs the key to accept: --access-key-id and --access-key-secret " +
          "(or OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET)",
      );
    }
    const region = a.strings.get("region") || LOCAL_REGION;
    if (!/^[a-z0-9-]+$/.test(region) || region.startsWith("oss-")) {
      throw new UsageError('--region must look like "cn-hangzhou" (no "oss-" prefix)');
    }
    const running = await serve({
      host,
      port: port ?? 0,
      dataDir,
      credential: { accessKeyId, accessKeySecret, securityToken: a.strings.get("sts-token") },
      region,
      allowAnonymous: false,
      faultsToken,
      serviceHosts: [],
    });
    close = running.close;
    ctx.out(
      `ossup server listening on ${running.url} (${
        dataDir ? `data directory ${dataDir}` : "memory storage"
      }, region ${region})\n`,
    );
    if (faultsToken !== undefined) {
      ctx.out(`fault injection enabled: ${FAULTS_CONTROL_PATH} with ${FAULTS_CONTROL_HEADER}\n`);
    }
  }
  await new Promise<void>((resolve) => {
    const remove = ctx.onInterrupt(() => {
      remove();
      resolve();
    });
  });
  ctx.out("shutting down\n");
  await close();
  return EXIT.ok;
}
