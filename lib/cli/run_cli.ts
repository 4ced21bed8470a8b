/**
 * `ossup`'s command dispatcher: parses the command line, runs one command,
 * prints failures as one line, and returns the exit code. The process edge
 * (signals, exit) is in `main.ts`.
 *
 * @module
 */

import process from "node:process";
import { type FlagSpec, parseFlags } from "../command_line/flags.ts";
import type { CliContext } from "./cli_context.ts";
import { EXIT, UsageError } from "./cli_error.ts";
import { copyCommand } from "./cmd_copy.ts";
import { uploadStdinCommand, writeObjectToStdout } from "./cmd_pipe.ts";
import { statCommand } from "./cmd_stat.ts";
import { OBJECT_WRITE_FLAGS, refuseObjectWriteFlags } from "./object_write_flags.ts";
import { downloadCommand } from "./cmd_download.ts";
import { lsCommand } from "./cmd_ls.ts";
import { treeCopyCommand, treeDownloadCommand, treeUploadCommand } from "./cmd_tree_copy.ts";
import { mbCommand, presignCommand, rmCommand } from "./cmd_objects.ts";
import { serveCommand } from "./cmd_serve.ts";
import { syncCommand } from "./cmd_sync.ts";
import { SERVE_FLAGS } from "../server/serve_flags.ts";
import { uploadCommand } from "./cmd_upload.ts";
import { connect, type Connection, GLOBAL_FLAGS } from "./connection.ts";
import { reportError } from "./error_report.ts";
import { HELP, VERSION } from "./help.ts";
import { isOssUrl, parseObjectUrl, parseOssUrl } from "./oss_url.ts";

const TRANSFER_FLAGS: Record<string, FlagSpec> = {
  "part-size": { type: "string" },
  parallel: { type: "string", short: "p" },
  checkpoint: { type: "boolean" }, // --no-checkpoint; --checkpoint PATH is handled below
  "checkpoint-dir": { type: "string" },
  "bigfile-threshold": { type: "string" },
  "bandwidth-limit": { type: "string" },
};

/** `cp -r`'s own flags. */
const TREE_FLAGS: Record<string, FlagSpec> = {
  recursive: { type: "boolean", short: "r" },
  jobs: { type: "string" },
  include: { type: "string", multiple: true },
  exclude: { type: "string", multiple: true },
};

/** `sync`'s own flags; it is always recursive. */
const SYNC_FLAGS: Record<string, FlagSpec> = {
  delete: { type: "boolean" },
  "dry-run": { type: "boolean" },
  checksum: { type: "boolean" },
};

const COMMAND_FLAGS: Record<string, Record<string, FlagSpec>> = {
  cp: { ...TRANSFER_FLAGS, ...TREE_FLAGS, ...OBJECT_WRITE_FLAGS },
  sync: { ...TRANSFER_FLAGS, ...TREE_FLAGS, ...SYNC_FLAGS, ...OBJECT_WRITE_FLAGS },
  cat: { "bandwidth-limit": { type: "string" } },
  stat: {},
  ls: { multipart: { type: "boolean", short: "m" } },
  rm: {
    bucket: { type: "boolean", short: "b" },
    multipart: { type: "boolean", short: "m" },
    recursive: { type: "boolean", short: "r" },
    "dry-run": { type: "boolean" },
    "older-than": { type: "string" },
  },
  mb: {},
  presign: {
    expires: { type: "string" },
    method: { type: "string" },
    "content-type": { type: "string" },
  },
  serve: SERVE_FLAGS,
};

/** The commands, for messages. */
const COMMANDS = "cp, sync, cat, stat, ls, rm, mb, presign, serve";

/** The process pieces a run uses; tests and `main.ts` fill them. */
export interface CliIo {
  /** Environment variables. */
  env: Record<string, string | undefined>;
  /** Writes to stdout. */
  out(text: string): void;
  /** Writes to stderr. */
  err(text: string): void;
  /**
   * Writes bytes to stdout, resolving once they are handed on (backpressure): `cat` and
   * `cp oss://… -`. Default: none, and those commands say that this embedding has no byte
   * output.
   */
  writeOut?(bytes: Uint8Array): Promise<void>;
  /**
   * Standard input as bytes: `cp - oss://…`. Default: none, and that command says that this
   * embedding has no standard input.
   */
  stdin?(): ReadableStream<Uint8Array>;
  /** Whether stderr is a terminal. */
  tty: boolean;
  /** Terminal width. */
  columns: number;
  /** Registers an interrupt handler; returns its remover. */
  onInterrupt(handler: () => void): () => void;
}

/** `--checkpoint PATH` takes a value but `--no-checkpoint` is boolean: split them before parsing. */
function takeCheckpointPath(argv: string[]): { argv: string[]; path?: string } {
  const rest: string[] = [];
  let path: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === "--checkpoint") {
      path = argv[++i];
      if (path === undefined) throw new UsageError("--checkpoint needs a path");
    } else if (arg.startsWith("--checkpoint=")) {
      path = arg.slice("--checkpoint=".length);
    } else {
      rest.push(arg);
    }
  }
  if (path === "") throw new UsageError("--checkpoint needs a path");
  return { argv: rest, path };
}

/**
 * Runs `ossup` with `argv` (the arguments after the program).
 *
 * @param argv The arguments.
 * @param io Environment, output and interrupts.
 * @returns The exit code (see `ossup --help`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 * import { runCli } from "./run_cli.ts";
 *
 * // A local OSS server with one bucket stands in for the endpoint.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * await storage.createBucket("examplebucket", { location: "oss-cn-hangzhou", acl: "private", storageClass: "Standard" });
 *
 * const out: string[] = [];
 * const code = await runCli(["ls"], {
 *   env: { OSS_ENDPOINT: server.url, OSS_ACCESS_KEY_ID: "ak", OSS_ACCESS_KEY_SECRET: "sk" },
 *   out: (text) => out.push(text),
 *   err: (text) => console.error(text),
 *   tty: false,
 *   columns: 80,
 *   onInterrupt: () => () => {},
 * });
 * assert.equal(code, 0);
 * assert.match(out.join(""), /examplebucket/);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let verbose = argv.includes("--verbose");
  let conn: Connection | undefined;
  try {
    const command = argv[0];
    if (command === undefined || command === "help" || command === "--help" || command === "-h") {
      io.out(HELP);
      return command === undefined ? EXIT.usage : EXIT.ok;
    }
    if (command === "--version" || command === "version") {
      io.out(`ossup ${VERSION}\n`);
      return EXIT.ok;
    }
    const spec = COMMAND_FLAGS[command];
    if (spec === undefined) {
      throw new UsageError(
        /^[a-z-]+$/.test(command)
          ? `unknown command "${command}"; commands: ${COMMANDS} (see ossup --help)`
          : `the first argument must be a command: ${COMMANDS} (see ossup --help)`,
      );
    }
    let rest = argv.slice(1);
    let checkpointPath: string | undefined;
    if (command === "cp" || command === "sync") {
      ({ argv: rest, path: checkpointPath } = takeCheckpointPath(rest));
    }
    const args = parseFlags(rest, { ...GLOBAL_FLAGS, ...spec });
    if (checkpointPath !== undefined) args.strings.set("checkpoint", checkpointPath);
    verbose = args.booleans.get("verbose") === true;
    if (args.booleans.get("help")) {
      io.out(HELP);
      return EXIT.ok;
    }
    const ctx: CliContext = {
      args,
      env: io.env,
      out: io.out,
      err: io.err,
      writeOut: io.writeOut ?? (() => {
        throw new UsageError("this embedding of ossup has no byte output: give CliIo.writeOut");
      }),
      stdin: io.stdin ?? (() => {
        throw new UsageError("this embedding of ossup has no standard input: give CliIo.stdin");
      }),
      tty: io.tty,
      columns: io.columns,
      verbose,
      quiet: args.booleans.get("quiet") === true,
      json: args.booleans.get("json") === true,
      onInterrupt: io.onInterrupt,
      connect: async () => {
        // --quiet: errors only, so not even the local-server notice.
        const note = (line: string) => ctx.quiet ? undefined : io.err(line + "\n");
        conn ??= await connect(args, io.env, { note });
        return conn;
      },
    };
    const p = args.positionals;
    const arity = (min: number, max: number, usage: string) => {
      if (p.length < min || p.length > max) throw new UsageError(`usage: ossup ${usage}`);
    };
    switch (command) {
      case "cp": {
        arity(
          2,
          2,
          "cp <file> oss://bucket/key  or  ossup cp oss://bucket/key <file|oss://bucket/key>",
        );
        const [src, dst] = p;
        // The tree engine reads the write flags itself (uploads take them, downloads refuse them).
        if (args.booleans.get("recursive")) return await treeCommand(ctx, src, dst);
        for (const flag of ["jobs", "include", "exclude"]) {
          if (args.strings.has(flag) || args.lists.has(flag)) {
            throw new UsageError(
              `--${flag} applies to folders: add -r (cp -r DIR oss://bucket/prefix/)`,
            );
          }
        }
        if (isOssUrl(src) && isOssUrl(dst)) {
          refuseObjectWriteFlags(ctx, "a copy inside OSS");
          return await copyCommand(ctx, parseObjectUrl(src), parseOssUrl(dst));
        }
        if (isOssUrl(src)) {
          refuseObjectWriteFlags(ctx, "a download");
          if (dst === "-") return await writeObjectToStdout(ctx, parseObjectUrl(src), true);
          return await downloadCommand(ctx, parseObjectUrl(src), dst);
        }
        if (!isOssUrl(dst)) {
          throw new UsageError(`one side of cp must be an oss:// URL, e.g. oss://bucket/${dst}`);
        }
        if (src === "-") return await uploadStdinCommand(ctx, parseOssUrl(dst));
        return await uploadCommand(ctx, src, parseOssUrl(dst));
      }
      case "sync":
        arity(2, 2, "sync <dir> oss://bucket/prefix/  or  ossup sync oss://bucket/prefix/ <dir>");
        return await syncCommand(ctx, p[0], p[1]);
      case "cat":
        arity(1, 1, "cat oss://bucket/key");
        return await writeObjectToStdout(ctx, parseObjectUrl(p[0]), false);
      case "stat":
        arity(1, 1, "stat oss://bucket/key");
        return await statCommand(ctx, parseObjectUrl(p[0]));
      case "ls":
        arity(0, 1, "ls [-m] [oss://bucket[/prefix]]");
        return await lsCommand(ctx, p[0]);
      case "rm":
        arity(
          1,
          1,
          "rm oss://bucket/key  (or rm -r oss://bucket/prefix, rm -m oss://bucket[/prefix])",
        );
        return await rmCommand(ctx, p[0]);
      case "mb":
        arity(1, 1, "mb oss://bucket");
        return await mbCommand(ctx, p[0]);
      case "presign":
        arity(1, 1, "presign oss://bucket/key [--expires SECONDS]");
        return await presignCommand(ctx, p[0]);
      case "serve":
        arity(0, 0, "serve [--host H] [--port P] [--data DIR | --memory]");
        return await serveCommand(ctx);
    }
    return EXIT.unexpected;
  } catch (err) {
    const report = reportError(err, { verbose, endpoint: conn?.endpoint });
    io.err(`ossup: ${report.message}\n`);
    return report.exitCode;
  } finally {
    await conn?.close().catch(() => {});
  }
}

/** `cp -r`: a folder up, a prefix down, or a prefix to another inside OSS. */
function treeCommand(ctx: CliContext, src: string, dst: string): Promise<number> {
  if (isOssUrl(src) && isOssUrl(dst)) {
    return treeCopyCommand(ctx, parseOssUrl(src), parseOssUrl(dst));
  }
  if (isOssUrl(src)) return treeDownloadCommand(ctx, parseOssUrl(src), dst);
  if (!isOssUrl(dst)) {
    throw new UsageError(`one side of cp -r must be an oss:// URL, e.g. oss://bucket/${dst}/`);
  }
  return treeUploadCommand(ctx, src, parseOssUrl(dst));
}

/**
 * The {@linkcode CliIo} of this process.
 *
 * @returns Real stdout/stderr, environment and signals.
 */
export function processIo(): CliIo {
  const handlers = new Set<() => void>();
  let interrupts = 0;
  const onSignal = (signal: string) => {
    interrupts++;
    if (handlers.size === 0 || interrupts > 1) {
      process.stderr.write(`\nossup: ${signal}: stopped\n`);
      process.exit(EXIT.interrupted);
    }
    for (const h of [...handlers]) h();
  };
  const sigint = () => onSignal("interrupted");
  const sigterm = () => onSignal("terminated");
  return {
    env: process.env,
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    writeOut: (bytes) =>
      new Promise<void>((resolve, reject) =>
        process.stdout.write(bytes, (err) => err ? reject(err) : resolve())
      ),
    stdin: () => {
      const chunks = process.stdin[Symbol.asyncIterator]();
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          const next = await chunks.next();
          if (next.done) controller.close();
          else controller.enqueue(next.value as Uint8Array);
        },
        async cancel() {
          await chunks.return?.();
        },
      });
    },
    tty: process.stderr.isTTY === true,
    columns: process.stderr.columns ?? 80,
    onInterrupt(handler) {
      if (handlers.size === 0) {
        process.on("SIGINT", sigint);
        process.on("SIGTERM", sigterm);
      }
      handlers.add(handler);
      return () => {
        handlers.delete(handler);
        if (handlers.size === 0) {
          process.off("SIGINT", sigint);
          process.off("SIGTERM", sigterm);
        }
      };
    },
  };
}
