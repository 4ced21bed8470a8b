/**
 * `oss://bucket/key` URLs, as ossutil writes them.
 *
 * @module
 */

import { assertBucketName } from "../client/endpoint.ts";
import { UsageError } from "./cli_error.ts";

/** A parsed `oss://bucket[/key]`. */
export interface OssUrl {
  /** The bucket name. */
  bucket: string;
  /** The key or prefix after `bucket/`; `""` when absent. */
  key: string;
}

/**
 * Whether an argument names OSS rather than a local path.
 *
 * @param arg A command-line argument.
 * @returns `true` for `oss://…`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isOssUrl } from "./oss_url.ts";
 *
 * assert.equal(isOssUrl("oss://b/k"), true);
 * assert.equal(isOssUrl("./k"), false);
 * ```
 */
export function isOssUrl(arg: string): boolean {
  return /^oss:\/\//i.test(arg);
}

/**
 * Parses `oss://bucket`, `oss://bucket/`, `oss://bucket/dir/key`.
 *
 * @param arg The argument.
 * @returns Bucket and key (`""` when none).
 * @throws {UsageError} When it is not an `oss://` URL or the bucket name is invalid.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseOssUrl } from "./oss_url.ts";
 *
 * assert.deepEqual(parseOssUrl("oss://examplebucket/dir/a.bin"), { bucket: "examplebucket", key: "dir/a.bin" });
 * ```
 */
export function parseOssUrl(arg: string): OssUrl {
  if (!isOssUrl(arg)) {
    throw new UsageError(`"${arg}" is not an OSS URL; write oss://bucket/key`);
  }
  const rest = arg.slice("oss://".length);
  const slash = rest.indexOf("/");
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const key = slash < 0 ? "" : rest.slice(slash + 1);
  if (bucket === "") throw new UsageError(`"${arg}" names no bucket; write oss://bucket/key`);
  try {
    assertBucketName(bucket);
  } catch {
    throw new UsageError(
      `"${bucket}" in ${arg} is not a valid bucket name: 3-63 characters of a-z, 0-9 and -, ` +
        "starting and ending with a letter or digit",
    );
  }
  return { bucket, key };
}

/**
 * Parses an `oss://bucket/key` that must name an object.
 *
 * @param arg The argument.
 * @returns Bucket and a non-empty key.
 * @throws {UsageError} When the URL has no key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseObjectUrl } from "./oss_url.ts";
 *
 * assert.equal(parseObjectUrl("oss://b-1/a.txt").key, "a.txt");
 * assert.throws(() => parseObjectUrl("oss://b-1/"), { code: "Usage" }); // names no object
 * ```
 */
export function parseObjectUrl(arg: string): OssUrl {
  const url = parseOssUrl(arg);
  if (url.key === "" || url.key.endsWith("/")) {
    throw new UsageError(`${arg} names no object; write oss://${url.bucket}/path/to/key`);
  }
  return url;
}
