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
  IntegrityError,
  NetworkError,
  OssError,
  OssupError,
  SourceChangedError,
  TimeoutError,
} from "../errors.ts";
import { CliError, EXIT } from "./cli_error.ts";

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
  /** Appended to retryable failures of resumable transfers. */
  resumeHint?: string;
}

function ossReason(err: OssError): string {
  // OssError's message is "<Operation>: <status> <Code>: <OSS message> (request ID …)".
  const m = /^(?:[^:]+: )?\d+ [^:]+: (.*?)(?: \(request ID [^)]*\))?$/s.exec(err.message);
  return (m ? m[1] : err.message).trim().replace(/\.$/, "");
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
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
 * import { reportError } from "./error_report.ts";
 * import { NetworkError } from "../errors.ts";
 *
 * const r = reportError(new NetworkError("PutObject failed: connection refused"), { verbose: false });
 * console.log(r.exitCode); // 4
 * ```
 */
export function reportError(err: unknown, ctx: ReportContext): ErrorReport {
  const resume = ctx.resumeHint ? `; ${ctx.resumeHint}` : "";
  if (err instanceof CliError) return { exitCode: err.exitCode, message: oneLine(err.message) };
  if (err instanceof AbortError) {
    return { exitCode: EXIT.interrupted, message: `interrupted${resume}` };
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
          `OSS_ENDPOINT and the network${resume}`,
      ),
    };
  }
  if (err instanceof IntegrityError || err instanceof SourceChangedError) {
    return { exitCode: EXIT.integrity, message: oneLine(`integrity check failed: ${err.message}`) };
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
  const e = err as { code?: string; message?: string; stack?: string };
  if (e?.code === "ENOSPC") {
    return { exitCode: EXIT.unexpected, message: `no space left on the device${resume}` };
  }
  if (typeof e?.code === "string" && /^E[A-Z]+$/.test(e.code)) {
    return { exitCode: EXIT.unexpected, message: oneLine(e.message ?? e.code) };
  }
  const text = ctx.verbose && e?.stack
    ? e.stack
    : `${e?.message ?? String(err)} (run with --verbose ` +
      "for details and report it)";
  return { exitCode: EXIT.unexpected, message: ctx.verbose ? text : oneLine(text) };
}
