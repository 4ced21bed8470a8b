/**
 * The error types of ossup. Every error ossup raises on purpose is an
 * {@linkcode OssupError} with a stable `code`, so callers can branch on
 * `err.code` without parsing messages. As in jose, each class names its code
 * once, as `static code` (`NetworkError.code === "NetworkFailed"`), and
 * {@linkcode OssupErrorCode} lists them all. The errors that carry an OSS
 * server's answer ({@linkcode OssError}, and the local server's own) have the
 * server's code instead (`"NoSuchKey"`…): that vocabulary is OSS's, not ours.
 * Bad arguments raise the built-in `TypeError` / `RangeError` instead, as the
 * platform does.
 *
 * Messages never contain an access key secret, a signature or a security
 * token.
 *
 * @module
 */

/**
 * Options accepted by every ossup error constructor.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetworkError } from "@ossup/ossup";
 *
 * const reset = new Error("ECONNRESET");
 * const err = new NetworkError("connection reset", { cause: reset });
 * assert.equal(err.cause, reset);
 * ```
 */
export interface OssupErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * Every code ossup itself gives an error: one per class, its `static code`.
 * An {@linkcode OssError} carries OSS's code instead (any string).
 *
 * @example Exhaustive handling of ossup's own failures
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssupError, type OssupErrorCode, TimeoutError } from "@ossup/ossup";
 *
 * function advice(code: OssupErrorCode): string {
 *   switch (code) {
 *     case "NetworkFailed":
 *     case "Timeout":
 *       return "check the connection and run again";
 *     case "Aborted":
 *       return "run again to resume";
 *     default:
 *       return "see the message";
 *   }
 * }
 * const err: OssupError = new TimeoutError("UploadPart took too long");
 * assert.equal(advice(err.code as OssupErrorCode), "check the connection and run again");
 * ```
 */
export type OssupErrorCode =
  | "Generic"
  | "NetworkFailed"
  | "Timeout"
  | "Aborted"
  | "CrcMismatch"
  | "CheckpointLocked"
  | "CheckpointIo"
  | "SourceChanged"
  | "AppendConflict"
  | "Usage"
  | "CommandFailed"
  | "TransferFailed"
  | "FaultUnsupported"
  | "FileAlreadyExists"
  | "CallbackFailed";

/**
 * Base class of every error ossup raises on purpose.
 *
 * @example Branch on the stable code
 * ```ts
 * import assert from "node:assert/strict";
 * import { AbortError, OssupError } from "@ossup/ossup";
 *
 * let advice = "";
 * try {
 *   throw new AbortError("the upload was cancelled");
 * } catch (err) {
 *   if (err instanceof OssupError && err.code === "Aborted") advice = "run again to resume";
 * }
 * assert.equal(advice, "run again to resume");
 * ```
 */
export class OssupError extends Error {
  /** The code of an `OssupError` made without a more specific class. */
  static readonly code: OssupErrorCode = "Generic";

  /** Stable machine-readable code, e.g. `"NoSuchKey"`, `"NetworkFailed"`, `"CrcMismatch"`. */
  readonly code: string;

  /**
   * Creates an error with a stable `code`.
   *
   * @param code Stable machine-readable code.
   * @param message Human-readable message: what went wrong and what to do.
   * @param options The underlying cause, if any.
   */
  constructor(code: string, message: string, options?: OssupErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "OssupError";
    this.code = code;
  }
}

/**
 * Fields of an error answer from OSS (or an OSS-compatible server).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssError } from "@ossup/ossup";
 *
 * const err = new OssError({
 *   status: 404,
 *   code: "NoSuchKey",
 *   message: "The specified key does not exist.",
 *   requestId: "5C3D9175B6FC201293AD4890",
 *   operation: "GetObject",
 * });
 * assert.match(err.message, /The specified key does not exist/);
 * assert.equal(err.requestId, "5C3D9175B6FC201293AD4890");
 * ```
 */
export interface OssErrorInit {
  /** HTTP status of the answer. */
  status: number;
  /** OSS error code from the XML body, e.g. `"NoSuchKey"`; `"Unknown"` when the body had none. */
  code: string;
  /** OSS's message from the XML body, or a description of the status. */
  message: string;
  /** The `x-oss-request-id` of the answer, if any. */
  requestId?: string;
  /** The `HostId` of the error body, if any. */
  hostId?: string;
  /** OSS's detailed error code (`EC`), if any. */
  ec?: string;
  /** The operation that failed, e.g. `"UploadPart"`. */
  operation?: string;
  /** `x-oss-next-append-position` of the answer: the object's length, on `PositionNotEqualToLength`. */
  nextAppendPosition?: number;
}

/**
 * OSS answered a request with an error (HTTP status ≥ 300 with an OSS error body).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssError } from "@ossup/ossup";
 *
 * const err = new OssError({ status: 404, code: "NoSuchKey", message: "The specified key does not exist." });
 * assert.equal(err.status, 404);
 * assert.equal(err.code, "NoSuchKey");
 * ```
 */
export class OssError extends OssupError {
  /** HTTP status of the answer. */
  readonly status: number;
  /** The `x-oss-request-id` of the answer, if any. */
  readonly requestId?: string;
  /** The `HostId` of the error body, if any. */
  readonly hostId?: string;
  /** OSS's detailed error code (`EC`), if any. */
  readonly ec?: string;
  /** The operation that failed, e.g. `"UploadPart"`. */
  readonly operation?: string;
  /**
   * On AppendObject's `PositionNotEqualToLength`: the object's current length, where the
   * next append must start (OSS's `x-oss-next-append-position`).
   */
  readonly nextAppendPosition?: number;

  /**
   * Creates the error from what OSS answered.
   *
   * @param init The fields of the error answer.
   */
  constructor(init: OssErrorInit) {
    const where = init.operation ? `${init.operation}: ` : "";
    const id = init.requestId ? ` (request ID ${init.requestId})` : "";
    super(init.code, `${where}${init.status} ${init.code}: ${init.message}${id}`);
    this.name = "OssError";
    this.status = init.status;
    this.requestId = init.requestId;
    this.hostId = init.hostId;
    this.ec = init.ec;
    this.operation = init.operation;
    if (init.nextAppendPosition !== undefined) this.nextAppendPosition = init.nextAppendPosition;
  }
}

/**
 * OSS refused a write with `forbidOverwrite` because the object exists (409
 * `FileAlreadyExists`): nothing was written. Its code is OSS's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ObjectExistsError } from "@ossup/ossup";
 *
 * const err = new ObjectExistsError({
 *   status: 409,
 *   code: "FileAlreadyExists",
 *   message: "The object you specified already exists and can not be overwritten.",
 * });
 * assert.equal(err.code, "FileAlreadyExists");
 * assert.ok(err instanceof ObjectExistsError);
 * ```
 */
export class ObjectExistsError extends OssError {
  /** This class's code, OSS's: `"FileAlreadyExists"`. */
  static override readonly code: "FileAlreadyExists" = "FileAlreadyExists";
  /** Stable machine-readable code: this class's `static code`. */
  declare readonly code: "FileAlreadyExists";

  /**
   * Creates the error from what OSS answered.
   *
   * @param init The fields of the error answer (its code is set to `"FileAlreadyExists"`).
   */
  constructor(init: OssErrorInit) {
    super({ ...init, code: ObjectExistsError.code });
    this.name = "ObjectExistsError";
  }
}

/**
 * The upload callback failed (OSS's 203 `CallbackFailed`): the object **was stored**, but the
 * callback server could not be reached or did not answer 200 with JSON. Its code is OSS's;
 * `message` has OSS's reason.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CallbackFailedError } from "@ossup/ossup";
 *
 * const err = new CallbackFailedError({
 *   status: 203,
 *   code: "CallbackFailed",
 *   message: "Error status : 502.",
 * });
 * assert.equal(err.code, "CallbackFailed");
 * assert.equal(err.status, 203);
 * ```
 */
export class CallbackFailedError extends OssError {
  /** This class's code, OSS's: `"CallbackFailed"`. */
  static override readonly code: "CallbackFailed" = "CallbackFailed";
  /** Stable machine-readable code: this class's `static code`. */
  declare readonly code: "CallbackFailed";

  /**
   * Creates the error from what OSS answered.
   *
   * @param init The fields of the 203 answer (its code is set to `"CallbackFailed"`).
   */
  constructor(init: OssErrorInit) {
    super({
      ...init,
      code: CallbackFailedError.code,
      message: `the object was stored, but its upload callback failed: ${init.message}`,
    });
    this.name = "CallbackFailedError";
  }
}

/**
 * The error for an OSS error answer: the class of its code when ossup has one
 * ({@linkcode ObjectExistsError}, {@linkcode CallbackFailedError}), else an {@linkcode OssError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ObjectExistsError, ossErrorFor } from "@ossup/ossup";
 *
 * const err = ossErrorFor({ status: 409, code: "FileAlreadyExists", message: "exists" });
 * assert.ok(err instanceof ObjectExistsError);
 * ```
 *
 * @param init The fields of the error answer.
 * @returns The error.
 */
export function ossErrorFor(init: OssErrorInit): OssError {
  if (init.code === ObjectExistsError.code) return new ObjectExistsError(init);
  if (init.code === CallbackFailedError.code) return new CallbackFailedError(init);
  return new OssError(init);
}

/**
 * The request never got an answer: connection refused or reset, DNS failure,
 * or a body cut off midway. Code `"NetworkFailed"`. Retried by the client.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetworkError } from "@ossup/ossup";
 *
 * const err = new NetworkError("connection reset while sending UploadPart");
 * assert.equal(err.code, "NetworkFailed");
 * ```
 */
export class NetworkError extends OssupError {
  /** This class's code: `"NetworkFailed"`. */
  static override readonly code: "NetworkFailed" = "NetworkFailed";
  /** Stable machine-readable code: this class's `static code`. */
  declare readonly code: "NetworkFailed";

  /**
   * Creates a network error; `options.cause` keeps the underlying one.
   *
   * @param message What failed.
   * @param options The underlying cause, if any.
   */
  constructor(message: string, options?: OssupErrorOptions) {
    super(NetworkError.code, message, options);
    this.name = "NetworkError";
  }
}

/**
 * A request took longer than its timeout. Code `"Timeout"`. Retried by the client.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TimeoutError } from "@ossup/ossup";
 *
 * const err = new TimeoutError("UploadPart took longer than 60000 ms");
 * assert.equal(err.code, "Timeout");
 * ```
 */
export class TimeoutError extends OssupError {
  /** This class's code: `"Timeout"`. */
  static override readonly code: "Timeout" = "Timeout";
  /** Stable machine-readable code: this class's `static code`. */
  declare readonly code: "Timeout";

  /**
   * Creates a timeout error.
   *
   * @param message What timed out.
   * @param options The underlying cause, if any.
   */
  constructor(message: string, options?: OssupErrorOptions) {
    super(TimeoutError.code, message, options);
    this.name = "TimeoutError";
  }
}

/**
 * The caller's `AbortSignal` fired. Code `"Aborted"`. Never retried. An
 * aborted upload with a checkpoint can be resumed by calling it again.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AbortError } from "@ossup/ossup";
 *
 * const err = new AbortError("upload paused");
 * assert.equal(err.code, "Aborted");
 * ```
 */
export class AbortError extends OssupError {
  /** This class's code: `"Aborted"`. */
  static override readonly code: "Aborted" = "Aborted";
  /** Stable machine-readable code: this class's `static code`. */
  declare readonly code: "Aborted";

  /**
   * Creates an abort error.
   *
   * @param message What was aborted.
   * @param options The abort reason, if any.
   */
  constructor(message: string, options?: OssupErrorOptions) {
    super(AbortError.code, message, options);
    this.name = "AbortError";
  }
}

/**
 * Data failed an integrity check: a part's or the object's CRC64 from the
 * server differs from the CRC64 of the bytes sent. Code `"CrcMismatch"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { IntegrityError } from "@ossup/ossup";
 *
 * const err = new IntegrityError("part 3: server CRC64 1 != local CRC64 2");
 * assert.equal(err.code, "CrcMismatch");
 * ```
 */
export class IntegrityError extends OssupError {
  /** This class's code: `"CrcMismatch"`. */
  static override readonly code: "CrcMismatch" = "CrcMismatch";
  /** Stable machine-readable code: this class's `static code`. */
  declare readonly code: "CrcMismatch";

  /**
   * Creates an integrity error.
   *
   * @param message Which data, and the two checksums.
   * @param options The underlying cause, if any.
   */
  constructor(message: string, options?: OssupErrorOptions) {
    super(IntegrityError.code, message, options);
    this.name = "IntegrityError";
  }
}

/**
 * A checkpoint could not be used: another process holds it
 * (`"CheckpointLocked"`), or it could not be read or written
 * (`"CheckpointIo"`, raised as its subclass {@linkcode CheckpointIoError}).
 * A damaged checkpoint is not an error: it is set aside and the upload
 * starts over.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CheckpointError } from "@ossup/ossup";
 *
 * const err = new CheckpointError("CheckpointLocked", "big.iso.cp is in use by process 4242");
 * assert.equal(err.code, "CheckpointLocked");
 * ```
 */
export class CheckpointError extends OssupError {
  /** The code of a checkpoint held by someone else: `"CheckpointLocked"`. */
  static override readonly code: "CheckpointLocked" | "CheckpointIo" = "CheckpointLocked";
  /** Stable machine-readable code: this class's `static code`. */
  declare readonly code: "CheckpointLocked" | "CheckpointIo";

  /**
   * Creates a checkpoint error.
   *
   * @param code `"CheckpointLocked"` or `"CheckpointIo"`.
   * @param message What happened and what to do.
   * @param options The underlying cause, if any.
   */
  constructor(
    code: "CheckpointLocked" | "CheckpointIo",
    message: string,
    options?: OssupErrorOptions,
  ) {
    super(code, message, options);
    this.name = "CheckpointError";
  }
}

/**
 * The checkpoint store failed to read or write (a full disk, a directory
 * where the file should be, no permission, a quota): not a lock held by
 * someone else. Code `"CheckpointIo"`; `systemCode` is the operating
 * system's code (`"ENOSPC"`, `"EISDIR"`, `"EACCES"`…) when there is one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CheckpointIoError } from "@ossup/ossup";
 *
 * const err = new CheckpointIoError("cannot write checkpoint big.iso.cp", { systemCode: "ENOSPC" });
 * assert.equal(err.code, "CheckpointIo");
 * assert.equal(err.systemCode, "ENOSPC");
 * ```
 */
export class CheckpointIoError extends CheckpointError {
  /** This class's code: `"CheckpointIo"`. */
  static override readonly code: "CheckpointIo" = "CheckpointIo";
  /** Stable machine-readable code: this class's `static code`. */
  declare readonly code: "CheckpointIo";

  /** The operating system's error code, e.g. `"ENOSPC"`, when the store got one. */
  readonly systemCode?: string;

  /**
   * Creates a checkpoint I/O error; the message gets the system code appended.
   *
   * @param message What could not be done, naming the checkpoint.
   * @param options The underlying cause and its system code, if any.
   */
  constructor(message: string, options: OssupErrorOptions & { systemCode?: string } = {}) {
    super(
      CheckpointIoError.code,
      options.systemCode ? `${message} (${options.systemCode})` : message,
      options,
    );
    this.name = "CheckpointIoError";
    this.systemCode = options.systemCode;
  }
}

/**
 * The source changed while it was being uploaded (size or modification time),
 * so the parts already sent no longer match it. Code `"SourceChanged"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SourceChangedError } from "@ossup/ossup";
 *
 * const err = new SourceChangedError("big.iso changed during the upload; run again to upload it whole");
 * assert.equal(err.code, "SourceChanged");
 * ```
 */
export class SourceChangedError extends OssupError {
  /** This class's code: `"SourceChanged"`. */
  static override readonly code: "SourceChanged" = "SourceChanged";
  /** Stable machine-readable code: this class's `static code`. */
  declare readonly code: "SourceChanged";

  /**
   * Creates a source-changed error.
   *
   * @param message Which source changed and how.
   * @param options The underlying cause, if any.
   */
  constructor(message: string, options?: OssupErrorOptions) {
    super(SourceChangedError.code, message, options);
    this.name = "SourceChangedError";
  }
}

/**
 * `appendFile` found an object it may not continue: not appendable, longer than the file, or
 * holding bytes that are not the file's first bytes (its CRC-64 differs from theirs), so
 * appending the rest would mix two contents. Nothing was appended. Code `"AppendConflict"`.
 *
 * @example
 * ```ts
 * import { AppendConflictError } from "@ossup/ossup";
 * import assert from "node:assert/strict";
 *
 * const err = new AppendConflictError("logs/app.log holds 10 bytes that are not the first 10 bytes of app.log");
 * assert.equal(err.code, "AppendConflict");
 * ```
 */
export class AppendConflictError extends OssupError {
  /** This class's code: `"AppendConflict"`. */
  static override readonly code: "AppendConflict" = "AppendConflict";
  /** Stable machine-readable code: this class's `static code`. */
  declare readonly code: "AppendConflict";

  /**
   * Creates an append-conflict error.
   *
   * @param message Which object, what it holds, and what to do.
   * @param options The underlying cause, if any.
   */
  constructor(message: string, options?: OssupErrorOptions) {
    super(AppendConflictError.code, message, options);
    this.name = "AppendConflictError";
  }
}

/**
 * A command line ossup was given is wrong: an unknown flag, a missing or bad value. Code
 * `"Usage"`. Raised by the one flag parser every command uses (`ossup …` and the server's
 * `main.ts`); its message names the flag and what is allowed, never a flag's value (one could
 * be a secret).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UsageError } from "@ossup/ossup";
 *
 * const err = new UsageError("--port must be from 0 to 65535");
 * assert.equal(err.code, "Usage");
 * ```
 */
export class UsageError extends OssupError {
  /** This class's code: `"Usage"`. */
  static override readonly code: "Usage" = "Usage";
  /** Stable machine-readable code: this class's `static code`. */
  declare readonly code: "Usage";

  /**
   * Creates a usage error.
   *
   * @param message What is wrong and how to write it instead.
   * @param options The underlying cause, if any.
   */
  constructor(message: string, options?: OssupErrorOptions) {
    super(UsageError.code, message, options);
    this.name = "UsageError";
  }
}
