/**
 * Maps a request (method, bucket, key, sub-resources, copy header) to the
 * name of the OSS API it calls, e.g. `PUT /b/k?partNumber=1&uploadId=x` →
 * `"UploadPart"`. Fault rules and the authenticator match on these names.
 *
 * @module
 */

import { ServerError } from "./server_error.ts";

/** Sub-resources OSS recognises that this server does not implement. */
const UNSUPPORTED_SUBRESOURCES = [
  "append",
  "symlink",
  "tagging",
  "restore",
  "lifecycle",
  "cors",
  "logging",
  "website",
  "referer",
  "versioning",
  "versions",
  "encryption",
  "policy",
  "replication",
  "worm",
  "inventory",
  "stat",
  "x-oss-process",
  "callback",
  "select",
];

function methodNotAllowed(method: string, resource: string): ServerError {
  return new ServerError(
    405,
    "MethodNotAllowed",
    "The specified method is not allowed against this resource.",
    { Method: method, ResourceType: resource },
  );
}

/**
 * The OSS API name of a request.
 *
 * @param method HTTP method (any case).
 * @param bucket Bucket, if addressed.
 * @param key Key, if addressed.
 * @param query Decoded query pairs.
 * @param headers Request headers (`x-oss-copy-source` selects the copy operations).
 * @returns The API name, e.g. `"PutObject"`.
 * @throws {ServerError} `MethodNotAllowed` (405) when the method does not apply;
 * `NotImplemented` (501) for sub-resources this server does not implement.
 *
 * @example
 * ```ts
 * import { operationOf } from "./operation.ts";
 *
 * const op = operationOf("PUT", "b", "k", [["partNumber", "1"], ["uploadId", "x"]], new Headers());
 * console.log(op); // UploadPart
 * ```
 */
export function operationOf(
  method: string,
  bucket: string | undefined,
  key: string | undefined,
  query: [string, string | undefined][],
  headers: Headers,
): string {
  const m = method.toUpperCase();
  const has = (name: string) => query.some(([k]) => k === name);
  for (const name of UNSUPPORTED_SUBRESOURCES) {
    if (has(name)) {
      throw new ServerError(
        501,
        "NotImplemented",
        `The '${name}' sub-resource is not implemented by this server.`,
      );
    }
  }
  if (bucket === undefined) {
    if (m === "GET" || m === "HEAD") return "ListBuckets";
    throw methodNotAllowed(m, "Service");
  }
  if (key === undefined) {
    switch (m) {
      case "GET":
      case "HEAD":
        if (has("acl")) return "GetBucketAcl";
        if (has("location")) return "GetBucketLocation";
        if (has("bucketInfo")) return "GetBucketInfo";
        if (has("uploads")) return "ListMultipartUploads";
        if (query.some(([k, v]) => k === "list-type" && v === "2")) return "ListObjectsV2";
        return m === "HEAD" ? "GetBucketInfo" : "ListObjects";
      case "PUT":
        return has("acl") ? "PutBucketAcl" : "PutBucket";
      case "DELETE":
        return "DeleteBucket";
      case "POST":
        if (has("delete")) return "DeleteMultipleObjects";
        throw methodNotAllowed(m, "Bucket");
      default:
        throw methodNotAllowed(m, "Bucket");
    }
  }
  switch (m) {
    case "GET":
      if (has("acl")) return "GetObjectAcl";
      if (has("uploadId")) return "ListParts";
      if (has("objectMeta")) return "GetObjectMeta";
      return "GetObject";
    case "HEAD":
      if (has("objectMeta")) return "GetObjectMeta";
      return "HeadObject";
    case "PUT":
      if (has("acl")) return "PutObjectAcl";
      if (has("partNumber") || has("uploadId")) {
        return headers.has("x-oss-copy-source") ? "UploadPartCopy" : "UploadPart";
      }
      return headers.has("x-oss-copy-source") ? "CopyObject" : "PutObject";
    case "DELETE":
      return has("uploadId") ? "AbortMultipartUpload" : "DeleteObject";
    case "POST":
      if (has("uploads")) return "InitiateMultipartUpload";
      if (has("uploadId")) return "CompleteMultipartUpload";
      throw methodNotAllowed(m, "Object");
    default:
      throw methodNotAllowed(m, "Object");
  }
}
