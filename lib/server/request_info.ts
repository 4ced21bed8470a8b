/**
 * What the server knows about a request once it is addressed: the shape the
 * authenticator and the fault injector receive.
 *
 * @module
 */

/**
 * A request after addressing: bucket and key decoded, query decoded, and the
 * OSS operation name it maps to.
 *
 * @example
 * ```ts
 * import type { OssRequestInfo } from "./request_info.ts";
 *
 * const info: OssRequestInfo = {
 *   method: "PUT",
 *   bucket: "b",
 *   key: "dir/a+b c.bin",
 *   query: [["partNumber", "1"], ["uploadId", "0004B9895DBBB6EC"]],
 *   headers: new Headers(),
 *   operation: "UploadPart",
 * };
 * ```
 */
export interface OssRequestInfo {
  /** HTTP method, upper case. */
  method: string;
  /** Bucket name; `undefined` for service-level requests (ListBuckets). */
  bucket?: string;
  /** Object key, decoded exactly once (raw UTF-8 string); `undefined` for bucket-level requests. */
  key?: string;
  /** Query parameters in request order, decoded; `undefined` value for a flag like `uploads`. */
  query: [string, string | undefined][];
  /** Request headers. */
  headers: Headers;
  /** OSS API name, e.g. `"PutObject"`, `"UploadPart"`, `"CompleteMultipartUpload"`. */
  operation: string;
}
