/**
 * `ossup serve`: the local OSS-compatible server. With no `--data` or
 * `--memory` it serves the embedded default (`./.ossup`) and lets other
 * `ossup` commands in this folder share it; with either it is the server of
 * `lib/server/main.ts`, with the same flags (`lib/server/serve_flags.ts`).
 *
 * @module
 */

import { join } from "node:path";
import { serve } from "../server/main.ts";
import { FAULTS_CONTROL_HEADER, FAULTS_CONTROL_PATH } from "../server/faults.ts";
import { serveAddressFromFlags, serveOptionsFromFlags } from "../server/serve_flags.ts";
import { formatLinkSpec } from "../server/link_spec.ts";
import type { CliContext } from "./cli_context.ts";
import { EXIT, UsageError } from "./cli_error.ts";
import { openLocalServer } from "./local_server.ts";

/**
 * Runs the server until Ctrl-C or SIGTERM.
 *
 * @param ctx The command context.
 * @returns The exit code.
 */
export async function serveCommand(ctx: CliContext): Promise<number> {
  const a = ctx.args;
  let close: () => Promise<void>;
  if (a.strings.get("data") === undefined && a.booleans.get("memory") !== true) {
    const { host, port } = serveAddressFromFlags(a);
    if (a.strings.has("link")) throw new UsageError("--link needs --data DIR or --memory");
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
    const options = serveOptionsFromFlags(a, {
      accessKeyId: { value: ctx.env.OSS_ACCESS_KEY_ID || undefined, from: "OSS_ACCESS_KEY_ID" },
      accessKeySecret: {
        value: ctx.env.OSS_ACCESS_KEY_SECRET || undefined,
        from: "OSS_ACCESS_KEY_SECRET",
      },
    });
    const running = await serve(options);
    close = running.close;
    ctx.out(
      `ossup server listening on ${running.url} (${
        options.dataDir ? `data directory ${options.dataDir}` : "memory storage"
      }, region ${options.region}${
        options.link ? `, through a link ${formatLinkSpec(options.link)}` : ""
      })\n`,
    );
    if (options.faultsToken !== undefined) {
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
