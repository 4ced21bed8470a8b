/**
 * The error hierarchy as jose has it: each class names its code once (`static code`), an
 * instance carries it, `OssupErrorCode` lists exactly those codes, and every error class of
 * lib/ descends from `OssupError`.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  AbortError,
  AppendConflictError,
  CallbackFailedError,
  CheckpointError,
  CheckpointIoError,
  IntegrityError,
  NetworkError,
  ObjectExistsError,
  OssError,
  ossErrorFor,
  OssupError,
  type OssupErrorCode,
  SourceChangedError,
  TimeoutError,
  UsageError,
} from "../lib/errors/errors.ts";
import { ServerError } from "../lib/server/server_error.ts";
import { StorageError } from "../lib/server/storage.ts";
import { FaultUnsupportedError } from "../lib/server/faults.ts";
import { CliError, EXIT, NotedFailure } from "../lib/cli/cli_error.ts";

// A Record over the union: adding a code to OssupErrorCode without a class (or the reverse)
// fails to compile here or fails the equality below.
const EVERY_CODE: Record<OssupErrorCode, true> = {
  Generic: true,
  NetworkFailed: true,
  Timeout: true,
  Aborted: true,
  CrcMismatch: true,
  CheckpointLocked: true,
  CheckpointIo: true,
  SourceChanged: true,
  AppendConflict: true,
  Usage: true,
  CommandFailed: true,
  TransferFailed: true,
  FaultUnsupported: true,
  FileAlreadyExists: true,
  CallbackFailed: true,
};

describe("error hierarchy", () => {
  const made: [{ code: string; name: string }, OssupError][] = [
    [OssupError, new OssupError(OssupError.code, "m")],
    [NetworkError, new NetworkError("m")],
    [TimeoutError, new TimeoutError("m")],
    [AbortError, new AbortError("m")],
    [IntegrityError, new IntegrityError("m")],
    [CheckpointError, new CheckpointError("CheckpointLocked", "m")],
    [CheckpointIoError, new CheckpointIoError("m", { systemCode: "ENOSPC" })],
    [SourceChangedError, new SourceChangedError("m")],
    [AppendConflictError, new AppendConflictError("m")],
    [UsageError, new UsageError("m")],
    [CliError, new CliError(EXIT.network, "m")],
    [NotedFailure, new NotedFailure(new Error("x"), "m")],
    [FaultUnsupportedError, new FaultUnsupportedError("Deno.serve", "m")],
    [
      ObjectExistsError,
      new ObjectExistsError({ status: 409, code: "FileAlreadyExists", message: "m" }),
    ],
    [
      CallbackFailedError,
      new CallbackFailedError({ status: 203, code: "CallbackFailed", message: "m" }),
    ],
  ];

  it("gives each instance its class's static code and the class's name", () => {
    for (const [cls, err] of made) {
      assert.equal(err.code, cls.code, cls.name);
      assert.equal(err.name, cls.name);
      assert.ok(err instanceof OssupError, cls.name);
    }
  });

  it("lists in OssupErrorCode exactly the classes' codes", () => {
    assert.deepEqual(
      [...new Set(made.map(([cls]) => cls.code))].sort(),
      Object.keys(EVERY_CODE).sort(),
    );
  });

  it("keeps the server's code on errors that carry an OSS answer", () => {
    const answers = [
      new OssError({ status: 404, code: "NoSuchKey", message: "m" }),
      new ServerError(404, "NoSuchKey", "m"),
      new StorageError("NoSuchKey", "m"),
    ];
    for (const err of answers) {
      assert.ok(err instanceof OssupError, err.name);
      assert.equal(err.code, "NoSuchKey");
    }
  });

  it("gives OSS answers with a class of their own that class, as OssErrors", () => {
    const exists = ossErrorFor({ status: 409, code: "FileAlreadyExists", message: "m" });
    assert.ok(exists instanceof ObjectExistsError && exists instanceof OssError);
    const callback = ossErrorFor({ status: 203, code: "CallbackFailed", message: "502" });
    assert.ok(callback instanceof CallbackFailedError);
    assert.match(callback.message, /object was stored/);
    assert.equal(
      ossErrorFor({ status: 404, code: "NoSuchKey", message: "m" }).constructor,
      OssError,
    );
  });

  it("has no error class in lib/ outside the hierarchy", () => {
    const lib = fileURLToPath(new URL("../lib/", import.meta.url));
    const outside: string[] = [];
    for (const file of readdirSync(lib, { recursive: true, encoding: "utf8" })) {
      // The sources, or the npm build's emitted modules (`--runtime npm`).
      if (!/\.[jt]s$/.test(file) || file.endsWith(".d.ts")) continue;
      const text = readFileSync(lib + file, "utf8");
      for (const m of text.matchAll(/class (\w+) extends (\w*Error)\b/g)) {
        if (m[2] === "Error" && m[1] !== "OssupError") outside.push(`${file}: ${m[1]}`);
      }
    }
    assert.deepEqual(outside, []);
  });
});
