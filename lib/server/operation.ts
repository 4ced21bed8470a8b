/**
 * Maps a request (method, bucket, key, sub-resources, copy header) to the
 * name of the OSS API it calls, e.g. `PUT /b/k?partNumber=1&uploadId=x` →
 * `"UploadPart"`, by the routes of the client's operation table
 * (`lib/client/operations.ts`). Fault rules and the authenticator match on these names.
 *
 * @module
 */

import { OPERATIONS, type OssOperation, routeOperation } from "../client/operations.ts";
import { ServerError } from "./server_error.ts";

/** Sub-resources OSS recognises that this server does not implement. */
const UNSUPPORTED_SUBRESOURCES = [
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
 * import assert from "node:assert/strict";
 * import { operationOf } from "./operation.ts";
 *
 * const op = operationOf("PUT", "b", "k", [["partNumber", "1"], ["uploadId", "x"]], new Headers());
 * assert.equal(op, "UploadPart");
 * ```
 */
export function operationOf(
  method: string,
  bucket: string | undefined,
  key: string | undefined,
  query: [string, string | undefined][],
  headers: Headers,
): OssOperation {
  const m = method.toUpperCase();
  const scope = bucket === undefined ? "service" : key === undefined ? "bucket" : "object";
  const operation = routeOperation(m, scope, query, headers.has("x-oss-copy-source"));
  // A sub-resource is unsupported unless the operation routed to is the one that uses it
  // (GET ?tagging on an object is GetObjectTagging; PUT ?tagging is still not implemented).
  const routedBy = (name: string) =>
    operation !== undefined &&
    OPERATIONS[operation].routes.some((r) => r.anyOf?.includes(name));
  for (const name of UNSUPPORTED_SUBRESOURCES) {
    if (query.some(([k]) => k === name) && !routedBy(name)) {
      throw new ServerError(
        501,
        "NotImplemented",
        `The '${name}' sub-resource is not implemented by this server.`,
      );
    }
  }
  if (operation === undefined) throw methodNotAllowed(m, RESOURCE_TYPES[scope]);
  return operation;
}

/** The `ResourceType` a `MethodNotAllowed` answer names, per scope. */
const RESOURCE_TYPES = { service: "Service", bucket: "Bucket", object: "Object" } as const;
