/**
 * Turns any failure into an exit code and ONE line on stderr that says what
 * failed, why, and what to do. Expected failures never show a stack trace;
 * unexpected ones do only with `--verbose`. No secret ever appears: client
 * errors never carry one, and flag values are never echoed.
 *
 * @module
 */

import {
  AbortError,
  CheckpointError,
  CheckpointIoError,
  IntegrityError,
  NetworkError,
  OssError,
  OssupError,
  SourceChangedError,
  TimeoutError,
} from "../errors/errors.ts";
import { CliError, EXIT, NotedFailure, UsageError } from "./cli_error.ts";

const AUTH_CODES = new Set([
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "AccessDenied",
  "InvalidSecurityToken",
  "SecurityTokenExpired",
  "RequestTimeTooSkewed",
]);

const HINTS: Record<string, string> = {
  InvalidAccessKeyId: "check --access-key-id or OSS_ACCESS_KEY_ID",
  SignatureDoesNotMatch:
    "the access key secret does not match the key ID: check --access-key-secret or OSS_ACCESS_KEY_SECRET",
  AccessDenied: "the key is not allowed to do this: check its RAM policy and the bucket policy",
  InvalidSecurityToken: "check --sts-token or OSS_SESSION_TOKEN",
  SecurityTokenExpired: "get a new STS token and pass it with --sts-token or OSS_SESSION_TOKEN",
  RequestTimeTooSkewed: "this machine's clock is off: set it right",
  NoSuchBucket: "check the bucket name, or create it with `ossup mb oss://<bucket>`",
  NoSuchKey: "check the key with `ossup ls oss://<bucket>/<prefix>`",
  BucketAlreadyExists: "bucket names are global: pick another",
  BucketNotEmpty: "remove its objects first",
};

/** What to print and how to exit. */
export interface ErrorReport {
  /** Process exit code, one of `EXIT`. */
  exitCode: number;
  /** One line, without the `ossup: ` prefix. */
  message: string;
}

/** Context for {@linkcode reportError}. */
export interface ReportContext {
  /** Add request IDs and, for unexpected errors, the stack. */
  verbose: boolean;
  /** The endpoint, for network messages. */
  endpoint?: string;
}

/** What each local file error means, given the path it happened on. */
const LOCAL_FILE_PROBLEMS: Record<string, (path: string) => string> = {
  ENOENT: (p) => `no such file or folder: ${p} (check the path)`,
  ENOTDIR: (p) => `${p}: a part of this path is a file, not a folder (check the path)`,
  EISDIR: (p) => `${p} is a folder; give the path of a file`,
  EACCES: (p) => `permission denied on ${p}: check its owner and mode, or pick another path`,
  EPERM: (p) => `operation not permitted on ${p}: check its owner and mode, or pick another path`,
  EROFS: (p) => `${p} is on a read-only file system: pick another path`,
  ENAMETOOLONG: (p) => `the path ${p} is too long`,
  ELOOP: (p) => `too many symbolic links in ${p}`,
  ENOSPC: (p) => `no space left on the device writing ${p}: free some space`,
  EDQUOT: (p) => `disk quota exceeded writing ${p}: free some space`,
};

/**
 * The one-line message for a local file system error (a Node-style error
 * with `code` and, usually, `path`), or `undefined` for any other error.
 * These are the user's paths or disk, not a bug: exit code 2.
 */
function localFileProblem(err: unknown): string | undefined {
  const e = err as { code?: unknown; path?: unknown; dest?: unknown };
  if (typeof e?.code !== "string") return undefined;
  const describe = LOCAL_FILE_PROBLEMS[e.code];
  if (describe === undefined) return undefined;
  const path = typeof e.path === "string" ? e.path : undefined;
  return describe(path ?? "a local file");
}

function ossReason(err: OssError): string {
  // OssError's message is "<Operation>: <status> <Code>: <OSS message> (request ID …)".
  const m = /^(?:[^:]+: )?\d+ [^:]+: (.*?)(?: \(request ID [^)]*\))?$/s.exec(err.message);
  return (m ? m[1] : err.message).trim().replace(/\.$/, "");
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}

const CHECKPOINT_IO_HINTS: Record<string, string> = {
  ENOSPC: "the disk is full: free some space, or put checkpoints elsewhere with --checkpoint-dir",
  EDQUOT:
    "the disk quota is used up: free some space, or put checkpoints elsewhere with --checkpoint-dir",
  QuotaExceededError: "the browser's storage quota is used up",
  EISDIR: "a directory is in the checkpoint's place: pass another path with --checkpoint",
  EACCES: "no permission there: pass a writable place with --checkpoint or --checkpoint-dir",
  EPERM: "no permission there: pass a writable place with --checkpoint or --checkpoint-dir",
  EROFS: "the file system is read-only: pass a writable place with --checkpoint-dir",
};

function checkpointIoMessage(err: CheckpointIoError): string {
  const hint = CHECKPOINT_IO_HINTS[err.systemCode ?? ""] ??
    "check the disk, or pass another place with --checkpoint or --checkpoint-dir";
  return `checkpoint I/O failed: ${err.message}; ${hint}`;
}

/**
 * Classifies an error.
 *
 * @param err What was thrown.
 * @param ctx Verbosity and endpoint.
 * @returns Exit code and message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetworkError } from "@ossup/ossup";
 * import { reportError } from "./error_report.ts";
 *
 * const r = reportError(new NetworkError("PutObject failed: connection refused"), { verbose: false });
 * assert.equal(r.exitCode, 4);
 * assert.match(r.message, /^cannot reach the endpoint: .*; check --endpoint or OSS_ENDPOINT and the network$/);
 * ```
 */
export function reportError(err: unknown, ctx: ReportContext): ErrorReport {
  if (err instanceof NotedFailure) {
    const report = reportError(err.cause, ctx);
    return { ...report, message: `${report.message}; ${err.note}` };
  }
  if (err instanceof UsageError) return { exitCode: EXIT.usage, message: oneLine(err.message) };
  if (err instanceof CliError) return { exitCode: err.exitCode, message: oneLine(err.message) };
  if (err instanceof AbortError) {
    return { exitCode: EXIT.interrupted, message: "interrupted" };
  }
  if (err instanceof OssError) {
    const auth = AUTH_CODES.has(err.code) || err.status === 401 || err.status === 403;
    const op = err.operation ? `${err.operation} ` : "";
    const hint = HINTS[err.code] ? `; ${HINTS[err.code]}` : "";
    const id = ctx.verbose && err.requestId ? ` [request ID ${err.requestId}]` : "";
    return {
      exitCode: auth ? EXIT.auth : EXIT.oss,
      message: oneLine(
        `${op}refused by ${ctx.endpoint ?? "OSS"}: ${err.status} ${err.code}: ${
          ossReason(err)
        }${hint}${id}`,
      ),
    };
  }
  if (err instanceof NetworkError || err instanceof TimeoutError) {
    return {
      exitCode: EXIT.network,
      message: oneLine(
        `cannot reach ${ctx.endpoint ?? "the endpoint"}: ${err.message}; check --endpoint or ` +
          "OSS_ENDPOINT and the network",
      ),
    };
  }
  if (err instanceof IntegrityError || err instanceof SourceChangedError) {
    return { exitCode: EXIT.integrity, message: oneLine(`integrity check failed: ${err.message}`) };
  }
  if (err instanceof CheckpointIoError) {
    return { exitCode: EXIT.checkpointIo, message: oneLine(checkpointIoMessage(err)) };
  }
  if (err instanceof CheckpointError) {
    return { exitCode: EXIT.checkpoint, message: oneLine(err.message) };
  }
  if (err instanceof OssupError) {
    return { exitCode: EXIT.unexpected, message: oneLine(`${err.code}: ${err.message}`) };
  }
  if (err instanceof TypeError || err instanceof RangeError) {
    // Arguments the library refused (a bad key, a part size out of range...).
    const stack = ctx.verbose && err.stack ? ` ${err.stack}` : "";
    return { exitCode: EXIT.usage, message: oneLine(`${err.message}${stack}`) };
  }
  const local = localFileProblem(err);
  if (local !== undefined) {
    return { exitCode: EXIT.usage, message: oneLine(local) };
  }
  const e = err as { code?: string; message?: string; stack?: string };
  if (typeof e?.code === "string" && /^E[A-Z]+$/.test(e.code)) {
    return { exitCode: EXIT.unexpected, message: oneLine(e.message ?? e.code) };
  }
  const text = ctx.verbose && e?.stack
    ? e.stack
    : `${e?.message ?? String(err)} (run with --verbose ` +
      "for details and report it)";
  return { exitCode: EXIT.unexpected, message: ctx.verbose ? text : oneLine(text) };
}
