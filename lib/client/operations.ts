/**
 * The OSS API operations ossup knows, in one table: the HTTP method the client sends, the
 * sub-resources that select the operation (how the local server routes a request to it),
 * whether the signing route may sign it for an upload, and the parser of its answer.
 * The client, the server's router, the signing route and the fault rules all read this
 * table, so adding an operation is one row here and its call.
 *
 * @module
 */

import {
  parseCompleteMultipartUpload,
  parseCopyObject,
  parseInitiateMultipartUpload,
  parseListBuckets,
  parseListMultipartUploads,
  parseListObjects,
  parseListParts,
  parseUploadPartCopy,
  type TextResponse,
} from "./_responses.ts";
import type {
  CompleteMultipartUploadResult,
  CopyObjectResult,
  InitiateMultipartUploadResult,
  ListBucketsPage,
  ListMultipartUploadsPage,
  ListObjectsPage,
  ListPartsPage,
  UploadPartCopyResult,
} from "./results.ts";

/**
 * The name of an OSS API operation ossup knows (the client calls it or the local server
 * answers it), e.g. `"UploadPart"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { OssOperation, SignerContext } from "@ossup/ossup";
 *
 * const op: OssOperation = "CompleteMultipartUpload";
 * const uploads: OssOperation[] = ["InitiateMultipartUpload", "UploadPart", op];
 * // A signer's context names the operation, e.g. to sign uploads only:
 * const mayUpload = (context: SignerContext) => uploads.includes(context.operation);
 * assert.equal(mayUpload({ operation: "UploadPart", signatureVersion: "v4", now: new Date() }), true);
 * assert.equal(mayUpload({ operation: "DeleteObject", signatureVersion: "v4", now: new Date() }), false);
 * ```
 */
export type OssOperation =
  | "ListBuckets"
  | "GetBucketAcl"
  | "GetBucketLocation"
  | "GetBucketInfo"
  | "ListMultipartUploads"
  | "ListObjectsV2"
  | "ListObjects"
  | "PutBucketAcl"
  | "PutBucket"
  | "DeleteBucket"
  | "DeleteMultipleObjects"
  | "GetObjectAcl"
  | "GetObjectTagging"
  | "ListParts"
  | "GetObjectMeta"
  | "GetObject"
  | "HeadObject"
  | "PutObjectAcl"
  | "UploadPartCopy"
  | "UploadPart"
  | "CopyObject"
  | "PutObject"
  | "AppendObject"
  | "AbortMultipartUpload"
  | "DeleteObject"
  | "InitiateMultipartUpload"
  | "CompleteMultipartUpload";

/** What the table's parser of each operation with one returns. */
export interface OperationResults {
  ListBuckets: ListBucketsPage;
  ListMultipartUploads: ListMultipartUploadsPage;
  ListObjects: ListObjectsPage;
  ListParts: ListPartsPage;
  InitiateMultipartUpload: InitiateMultipartUploadResult;
  CompleteMultipartUpload: CompleteMultipartUploadResult;
  CopyObject: CopyObjectResult;
  UploadPartCopy: Omit<UploadPartCopyResult, "partNumber">;
}

/** An operation whose answer's body the client reads with the table's parser. */
export type ParsedOperation = keyof OperationResults;

/** An HTTP method OSS operations use. */
export type OssMethod = "GET" | "HEAD" | "PUT" | "POST" | "DELETE";

/**
 * One way a request is routed to an operation. A route with requirements (`anyOf`, `value`,
 * `copySource`) is tried before every route without; among each kind, table order decides.
 */
export interface OperationRoute {
  /** The methods this route answers. */
  methods: readonly OssMethod[];
  /** At least one of these query parameters (sub-resources) is present. */
  anyOf?: readonly string[];
  /** This query parameter has this value (`list-type=2`). */
  value?: readonly [string, string];
  /** The request carries `x-oss-copy-source`. */
  copySource?: true;
}

/** One row of {@linkcode OPERATIONS}. */
export interface OperationSpec {
  /** What the request addresses: the service, a bucket, or an object. */
  scope: "service" | "bucket" | "object";
  /** The method the client sends. */
  method: OssMethod;
  /** How the server recognises it (see {@linkcode OperationRoute}). */
  routes: readonly OperationRoute[];
  /** Whether the signing route's default policy signs it: an upload needs it. */
  uploadSignable: boolean;
  /** Reads the answer's XML body, for operations that have one the client reads. */
  parse?: (res: TextResponse) => unknown;
}

/** The table's type: every operation has a row; those in {@linkcode OperationResults} a parser. */
export type OperationTable = {
  readonly [O in OssOperation]: O extends ParsedOperation
    ? OperationSpec & { parse: (res: TextResponse) => OperationResults[O] }
    : OperationSpec;
};

const ANY_READ: readonly OssMethod[] = ["GET", "HEAD"];

/**
 * The operation table. Order matters to the server's router: among routes of the same kind
 * (with or without requirements), the first that matches names the operation.
 */
export const OPERATIONS: OperationTable = {
  ListBuckets: {
    scope: "service",
    method: "GET",
    routes: [{ methods: ANY_READ }],
    uploadSignable: false,
    parse: parseListBuckets,
  },
  // Bucket scope
  GetBucketAcl: {
    scope: "bucket",
    method: "GET",
    routes: [{ methods: ANY_READ, anyOf: ["acl"] }],
    uploadSignable: false,
  },
  GetBucketLocation: {
    scope: "bucket",
    method: "GET",
    routes: [{ methods: ANY_READ, anyOf: ["location"] }],
    uploadSignable: false,
  },
  GetBucketInfo: {
    scope: "bucket",
    method: "GET",
    // A HEAD on the bucket with no sub-resource reads its info too.
    routes: [{ methods: ANY_READ, anyOf: ["bucketInfo"] }, { methods: ["HEAD"] }],
    uploadSignable: false,
  },
  ListMultipartUploads: {
    scope: "bucket",
    method: "GET",
    routes: [{ methods: ANY_READ, anyOf: ["uploads"] }],
    uploadSignable: false,
    parse: parseListMultipartUploads,
  },
  ListObjectsV2: {
    scope: "bucket",
    method: "GET",
    routes: [{ methods: ANY_READ, value: ["list-type", "2"] }],
    uploadSignable: false,
  },
  ListObjects: {
    scope: "bucket",
    method: "GET",
    routes: [{ methods: ["GET"] }],
    uploadSignable: false,
    parse: parseListObjects,
  },
  PutBucketAcl: {
    scope: "bucket",
    method: "PUT",
    routes: [{ methods: ["PUT"], anyOf: ["acl"] }],
    uploadSignable: false,
  },
  PutBucket: {
    scope: "bucket",
    method: "PUT",
    routes: [{ methods: ["PUT"] }],
    uploadSignable: false,
  },
  DeleteBucket: {
    scope: "bucket",
    method: "DELETE",
    routes: [{ methods: ["DELETE"] }],
    uploadSignable: false,
  },
  DeleteMultipleObjects: {
    scope: "bucket",
    method: "POST",
    routes: [{ methods: ["POST"], anyOf: ["delete"] }],
    uploadSignable: false,
  },
  // Object scope
  GetObjectAcl: {
    scope: "object",
    method: "GET",
    routes: [{ methods: ["GET"], anyOf: ["acl"] }],
    uploadSignable: false,
  },
  GetObjectTagging: {
    scope: "object",
    method: "GET",
    routes: [{ methods: ["GET"], anyOf: ["tagging"] }],
    uploadSignable: false,
  },
  ListParts: {
    scope: "object",
    method: "GET",
    routes: [{ methods: ["GET"], anyOf: ["uploadId"] }],
    uploadSignable: true,
    parse: parseListParts,
  },
  GetObjectMeta: {
    scope: "object",
    method: "HEAD",
    routes: [{ methods: ANY_READ, anyOf: ["objectMeta"] }],
    uploadSignable: false,
  },
  GetObject: {
    scope: "object",
    method: "GET",
    routes: [{ methods: ["GET"] }],
    uploadSignable: false,
  },
  HeadObject: {
    scope: "object",
    method: "HEAD",
    routes: [{ methods: ["HEAD"] }],
    uploadSignable: true,
  },
  PutObjectAcl: {
    scope: "object",
    method: "PUT",
    routes: [{ methods: ["PUT"], anyOf: ["acl"] }],
    uploadSignable: false,
  },
  UploadPartCopy: {
    scope: "object",
    method: "PUT",
    routes: [{ methods: ["PUT"], anyOf: ["partNumber", "uploadId"], copySource: true }],
    uploadSignable: false,
    parse: parseUploadPartCopy,
  },
  UploadPart: {
    scope: "object",
    method: "PUT",
    routes: [{ methods: ["PUT"], anyOf: ["partNumber", "uploadId"] }],
    uploadSignable: true,
  },
  CopyObject: {
    scope: "object",
    method: "PUT",
    routes: [{ methods: ["PUT"], copySource: true }],
    uploadSignable: false,
    parse: parseCopyObject,
  },
  PutObject: {
    scope: "object",
    method: "PUT",
    routes: [{ methods: ["PUT"] }],
    uploadSignable: true,
  },
  AppendObject: {
    scope: "object",
    method: "POST",
    routes: [{ methods: ["POST"], anyOf: ["append"] }],
    uploadSignable: false,
  },
  AbortMultipartUpload: {
    scope: "object",
    method: "DELETE",
    routes: [{ methods: ["DELETE"], anyOf: ["uploadId"] }],
    uploadSignable: true,
  },
  DeleteObject: {
    scope: "object",
    method: "DELETE",
    routes: [{ methods: ["DELETE"] }],
    uploadSignable: false,
  },
  InitiateMultipartUpload: {
    scope: "object",
    method: "POST",
    routes: [{ methods: ["POST"], anyOf: ["uploads"] }],
    uploadSignable: true,
    parse: parseInitiateMultipartUpload,
  },
  CompleteMultipartUpload: {
    scope: "object",
    method: "POST",
    routes: [{ methods: ["POST"], anyOf: ["uploadId"] }],
    uploadSignable: true,
    parse: parseCompleteMultipartUpload,
  },
};

/**
 * Whether `name` is an operation of the table.
 *
 * @param name Any string, e.g. from a fault rule sent as JSON.
 * @returns `true` for a key of {@linkcode OPERATIONS}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isOssOperation } from "./operations.ts";
 *
 * assert.equal(isOssOperation("UploadPart"), true);
 * assert.equal(isOssOperation("uploadPart"), false);
 * ```
 */
export function isOssOperation(name: string): name is OssOperation {
  return Object.hasOwn(OPERATIONS, name);
}

/**
 * The operations the signing route's default policy signs: those an upload needs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UPLOAD_SIGNABLE_OPERATIONS } from "./operations.ts";
 *
 * assert.equal(UPLOAD_SIGNABLE_OPERATIONS.has("UploadPart"), true);
 * assert.equal(UPLOAD_SIGNABLE_OPERATIONS.has("DeleteObject"), false);
 * ```
 */
export const UPLOAD_SIGNABLE_OPERATIONS: ReadonlySet<OssOperation> = new Set(
  (Object.keys(OPERATIONS) as OssOperation[]).filter((o) => OPERATIONS[o].uploadSignable),
);

/** The routes of one scope, those with requirements first, each kind in table order. */
function routesOf(scope: OperationSpec["scope"]): [OssOperation, OperationRoute][] {
  const all: [OssOperation, OperationRoute][] = [];
  for (const name of Object.keys(OPERATIONS) as OssOperation[]) {
    const spec: OperationSpec = OPERATIONS[name];
    if (spec.scope !== scope) continue;
    for (const route of spec.routes) all.push([name, route]);
  }
  const requires = (r: OperationRoute) =>
    r.anyOf !== undefined || r.value !== undefined || r.copySource;
  return [...all.filter(([, r]) => requires(r)), ...all.filter(([, r]) => !requires(r))];
}

const ROUTES = {
  service: routesOf("service"),
  bucket: routesOf("bucket"),
  object: routesOf("object"),
};

/**
 * The operation a request calls, by the table's routes; `undefined` when none answers the
 * method on that resource.
 *
 * @param method HTTP method, upper case.
 * @param scope What is addressed.
 * @param query Decoded query pairs.
 * @param hasCopySource Whether the request carries `x-oss-copy-source`.
 * @returns The operation, or `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { routeOperation } from "./operations.ts";
 *
 * assert.equal(routeOperation("PUT", "object", [["partNumber", "1"], ["uploadId", "x"]], false), "UploadPart");
 * assert.equal(routeOperation("POST", "object", [], false), undefined);
 * ```
 */
export function routeOperation(
  method: string,
  scope: OperationSpec["scope"],
  query: readonly (readonly [string, string | undefined])[],
  hasCopySource: boolean,
): OssOperation | undefined {
  const has = (name: string) => query.some(([k]) => k === name);
  for (const [name, route] of ROUTES[scope]) {
    if (!route.methods.includes(method as OssMethod)) continue;
    if (route.anyOf && !route.anyOf.some(has)) continue;
    if (route.value && !query.some(([k, v]) => k === route.value![0] && v === route.value![1])) {
      continue;
    }
    if (route.copySource && !hasCopySource) continue;
    return name;
  }
  return undefined;
}
