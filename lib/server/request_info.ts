/**
 * What the server knows about a request once it is addressed: the shape the
 * authenticator and the fault injector receive.
 *
 * @module
 */

import type { RequestToSign } from "../signing/signing.ts";
import type { OssOperation } from "../client/operations.ts";

/**
 * A request after addressing: bucket and key decoded, query decoded, and the
 * OSS operation name it maps to.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { OssRequestInfo } from "@ossup/ossup/server";
 *
 * const info: OssRequestInfo = {
 *   method: "PUT",
 *   bucket: "b",
 *   key: "dir/a+b c.bin",
 *   query: [["partNumber", "1"], ["uploadId", "0004B9895DBBB6EC"]],
 *   headers: new Headers(),
 *   operation: "UploadPart",
 * };
 * const partNumber = Number(info.query.find(([name]) => name === "partNumber")?.[1]);
 * assert.equal(partNumber, 1);
 * ```
 */
export interface OssRequestInfo extends RequestToSign {
  /** OSS API name, e.g. `"PutObject"`, `"UploadPart"`, `"CompleteMultipartUpload"`. */
  operation: OssOperation;
}
