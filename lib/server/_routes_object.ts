/**
 * Object operations: PutObject, AppendObject, GetObject, HeadObject, GetObjectMeta,
 * DeleteObject, DeleteMultipleObjects, CopyObject, Get/PutObjectAcl.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { buildXml, childElements, childText, parseXml } from "../xml/xml.ts";
import { checkObjectKey } from "./addressing.ts";
import { COPY_SOURCE_CONDITIONS, evaluateConditions } from "./_conditions.ts";
import {
  bucketOf,
  copySource,
  keyOf,
  type OpContext,
  type OpHandler,
  queryValue,
  readSmallBody,
  requestBody,
} from "./_op_context.ts";
import { checkAcl, OBJECT_ACLS, objectHeadersFromRequest } from "./_object_headers.ts";
import { parseRange } from "./_range.ts";
import {
  emptyResponse,
  httpDate,
  isoDate,
  objectResponseHeaders,
  quoteEtag,
  urlEncodeKey,
  xmlResponse,
} from "./_responses.ts";
import { requireBucket } from "./_routes_bucket.ts";
import { GET_CONDITIONS } from "./_conditions.ts";
import { ServerError } from "./server_error.ts";
import { tagPairs } from "../client/object_write_options.ts";
import { answerWithCallback, uploadCallbackOf } from "./_upload_callback.ts";
import { type ObjectHeaders, type ObjectMeta, StorageError } from "./storage.ts";
import { copyHeaders } from "./_storage_rules.ts";

/** Base64 of the MD5 an upper-case hex ETag stands for (OSS's `Content-MD5` answer header). */
function etagToContentMd5(etag: string): string | undefined {
  if (!/^[0-9A-Fa-f]{32}$/.test(etag)) return undefined;
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = parseInt(etag.slice(i * 2, i * 2 + 2), 16);
  return btoa(String.fromCharCode(...bytes));
}

/** Answer headers of a write that stored an object. */
export function writtenObjectHeaders(
  meta:
    & { etag: string; crc64: bigint }
    & Partial<
      Pick<ObjectMeta, "serverSideEncryption" | "serverSideEncryptionKeyId">
    >,
): Headers {
  const h = new Headers({
    "etag": quoteEtag(meta.etag),
    "x-oss-hash-crc64ecma": meta.crc64.toString(),
  });
  const md5 = etagToContentMd5(meta.etag);
  if (md5 !== undefined) h.set("content-md5", md5);
  if (meta.serverSideEncryption !== undefined) {
    h.set("x-oss-server-side-encryption", meta.serverSideEncryption);
    if (meta.serverSideEncryptionKeyId !== undefined) {
      h.set("x-oss-server-side-encryption-key-id", meta.serverSideEncryptionKeyId);
    }
  }
  return h;
}

/** `FileAlreadyExists` (409) when the request says `x-oss-forbid-overwrite: true` and the object exists. */
export async function refuseOverwrite(op: OpContext, bucket: string, key: string): Promise<void> {
  if (op.c.req.header("x-oss-forbid-overwrite")?.toLowerCase() !== "true") return;
  try {
    await op.storage.getObject(bucket, key);
  } catch {
    return;
  }
  throw new ServerError(
    409,
    "FileAlreadyExists",
    "The object you specified already exists and can not be overwritten.",
  );
}

const putObject: OpHandler = async (op) => {
  const bucket = bucketOf(op);
  const key = keyOf(op);
  checkObjectKey(key);
  await requireBucket(op);
  const headers = objectHeadersFromRequest(op.c.req.raw.headers);
  const callback = uploadCallbackOf(op);
  await refuseOverwrite(op, bucket, key);
  const meta = await op.storage.putObject(bucket, key, requestBody(op), headers);
  const written = writtenObjectHeaders(meta);
  if (callback) {
    return await answerWithCallback(op, callback, meta, written, op.settings.callbackHosts);
  }
  return emptyResponse(200, written);
};

/** The `position` of an AppendObject: a decimal byte offset, required. */
function appendPosition(op: OpContext): number {
  const raw = queryValue(op, "position");
  if (raw === undefined || !/^\d{1,16}$/.test(raw)) {
    throw new ServerError(
      400,
      "InvalidArgument",
      raw === undefined
        ? "AppendObject needs the position parameter: the object's current length (0 for a new object)."
        : "The position parameter must be a non-negative integer.",
      { ArgumentName: "position", ArgumentValue: raw ?? "" },
    );
  }
  return Number(raw);
}

/** OSS's answer to an append at the wrong position: the right one in `x-oss-next-append-position`. */
async function wrongPosition(op: OpContext, bucket: string, key: string): Promise<ServerError> {
  let length = 0;
  try {
    length = (await op.storage.getObject(bucket, key)).meta.size;
  } catch {
    // Gone meanwhile: a new object starts at 0.
  }
  return new ServerError(
    409,
    "PositionNotEqualToLength",
    "Position is not equal to file length.",
    {},
    { "x-oss-next-append-position": String(length) },
  );
}

const appendObject: OpHandler = async (op) => {
  const bucket = bucketOf(op);
  const key = keyOf(op);
  checkObjectKey(key);
  await requireBucket(op);
  const position = appendPosition(op);
  const body = requestBody(op);
  const limit = op.settings.maxAppendableSize;
  if (body.length !== undefined && position + body.length > limit) {
    throw new ServerError(
      400,
      "EntityTooLarge",
      `An appendable object may hold at most ${limit} bytes.`,
      { MaxSizeAllowed: String(limit), ProposedSize: String(position + body.length) },
    );
  }
  const headers = objectHeadersFromRequest(op.c.req.raw.headers);
  let meta: ObjectMeta;
  try {
    meta = await op.storage.appendObject(bucket, key, position, body, headers, {
      maxSize: limit,
    });
  } catch (err) {
    if (err instanceof StorageError && err.code === "PositionNotEqualToLength") {
      throw await wrongPosition(op, bucket, key);
    }
    throw err;
  }
  return emptyResponse(200, {
    "etag": quoteEtag(meta.etag),
    "x-oss-hash-crc64ecma": meta.crc64.toString(),
    "x-oss-next-append-position": String(meta.size),
  });
};

/** `response-*` query parameters that override answer headers on GetObject. */
const RESPONSE_OVERRIDES: [string, string][] = [
  ["response-content-type", "content-type"],
  ["response-content-language", "content-language"],
  ["response-expires", "expires"],
  ["response-cache-control", "cache-control"],
  ["response-content-disposition", "content-disposition"],
  ["response-content-encoding", "content-encoding"],
];

async function readObject(op: OpContext, withBody: boolean): Promise<Response> {
  const reader = await op.storage.getObject(bucketOf(op), keyOf(op));
  const meta = reader.meta;
  const headers = objectResponseHeaders(meta);
  if (evaluateConditions(op.c.req.raw.headers, meta, GET_CONDITIONS) === "not-modified") {
    const h = new Headers({
      etag: headers.get("etag")!,
      "last-modified": headers.get("last-modified")!,
    });
    return new Response(null, { status: 304, headers: h });
  }
  for (const [param, header] of RESPONSE_OVERRIDES) {
    const v = queryValue(op, param);
    if (v !== undefined) headers.set(header, v);
  }
  const range = parseRange(op.c.req.raw.headers.get("range"), meta.size);
  if (range.kind === "unsatisfiable") {
    throw new ServerError(
      416,
      "InvalidRange",
      "The requested range cannot be satisfied.",
      {
        RangeRequested: op.c.req.raw.headers.get("range") ?? "",
        ActualObjectSize: String(meta.size),
      },
      { "content-range": `bytes */${meta.size}` },
    );
  }
  if (range.kind === "range") {
    headers.set("content-range", `bytes ${range.start}-${range.end}/${meta.size}`);
    headers.set("content-length", String(range.end - range.start + 1));
    const body = withBody ? reader.stream({ start: range.start, end: range.end }) : null;
    return new Response(body, { status: 206, headers });
  }
  headers.set("content-length", String(meta.size));
  return new Response(withBody ? reader.stream() : null, { status: 200, headers });
}

const getObject: OpHandler = (op) => readObject(op, true);
const headObject: OpHandler = (op) => readObject(op, false);

const getObjectMeta: OpHandler = async (op) => {
  const { meta } = await op.storage.getObject(bucketOf(op), keyOf(op));
  return new Response(null, {
    status: 200,
    headers: {
      "etag": quoteEtag(meta.etag),
      "content-length": String(meta.size),
      "last-modified": httpDate(meta.lastModified),
      "x-oss-hash-crc64ecma": meta.crc64.toString(),
    },
  });
};

const deleteObject: OpHandler = async (op) => {
  await requireBucket(op);
  await op.storage.deleteObject(bucketOf(op), keyOf(op));
  return emptyResponse(204);
};

const MAX_DELETE_KEYS = 1000;

const deleteMultipleObjects: OpHandler = async (op) => {
  await requireBucket(op);
  const md5 = op.c.req.header("content-md5");
  const body = await readSmallBody(op, 2 * 1024 * 1024);
  if (md5 === undefined) {
    throw new ServerError(
      400,
      "InvalidDigest",
      "Missing required header for this request: Content-MD5.",
    );
  }
  if (createHash("md5").update(body).digest("base64") !== md5.trim()) {
    throw new ServerError(
      400,
      "InvalidDigest",
      "The Content-MD5 you specified did not match what we received.",
    );
  }
  let keys: string[];
  let quiet: boolean;
  try {
    const root = parseXml(new TextDecoder("utf-8", { fatal: true }).decode(body));
    if (root.name !== "Delete") throw new SyntaxError("root element is not Delete");
    quiet = childText(root, "Quiet")?.trim().toLowerCase() === "true";
    keys = childElements(root, "Object").map((o) => {
      const k = childText(o, "Key");
      if (k === undefined || k === "") throw new SyntaxError("Object without Key");
      return k;
    });
  } catch {
    throw new ServerError(
      400,
      "MalformedXML",
      "The XML you provided was not well-formed or did not validate against our published schema.",
    );
  }
  if (keys.length === 0 || keys.length > MAX_DELETE_KEYS) {
    throw new ServerError(
      400,
      "MalformedXML",
      `The Delete request must list between 1 and ${MAX_DELETE_KEYS} objects.`,
    );
  }
  for (const key of keys) await op.storage.deleteObject(bucketOf(op), key);
  const encode = queryValue(op, "encoding-type") === "url";
  return xmlResponse(buildXml("DeleteResult", {
    EncodingType: encode ? "url" : undefined,
    Deleted: quiet ? undefined : keys.map((k) => ({ Key: encode ? urlEncodeKey(k) : k })),
  }));
};

/** `x-oss-metadata-directive` or `x-oss-tagging-directive`: COPY (default) or REPLACE. */
function copyDirective(
  op: OpContext,
  header: "x-oss-metadata-directive" | "x-oss-tagging-directive",
): "COPY" | "REPLACE" {
  const raw = op.c.req.header(header);
  if (raw === undefined || raw === "") return "COPY";
  const v = raw.trim().toUpperCase();
  if (v !== "COPY" && v !== "REPLACE") {
    throw new ServerError(400, "InvalidArgument", `${header} must be COPY or REPLACE.`, {
      ArgumentName: header,
      ArgumentValue: raw,
    });
  }
  return v;
}

/**
 * What the copy of `src` is described by: its metadata (content type, user metadata, cache
 * headers) from the source (COPY) or the request (REPLACE); its tags from the source unless
 * `x-oss-tagging-directive: Replace`; and the ACL, storage class and encryption the request
 * names, each else the source's.
 */
function copiedHeaders(op: OpContext, src: ObjectMeta): ObjectHeaders {
  const request = op.c.req.raw.headers;
  const asked = objectHeadersFromRequest(request);
  const base = copyDirective(op, "x-oss-metadata-directive") === "REPLACE"
    ? { ...asked }
    : copyHeaders(src);
  const { tagging: _dropped, ...untagged } = base;
  const tagging = copyDirective(op, "x-oss-tagging-directive") === "REPLACE"
    ? asked.tagging
    : src.tagging;
  return {
    ...untagged,
    ...(tagging !== undefined ? { tagging } : {}),
    ...(request.has("x-oss-object-acl") ? { acl: asked.acl } : {}),
    ...(request.has("x-oss-storage-class") ? { storageClass: asked.storageClass } : {}),
    ...(request.has("x-oss-server-side-encryption")
      ? {
        serverSideEncryption: asked.serverSideEncryption,
        serverSideEncryptionKeyId: asked.serverSideEncryptionKeyId,
      }
      : {}),
  };
}

/** Checks the `x-oss-copy-source-if-*` conditions against the source object. */
export function checkCopySourceConditions(op: OpContext, meta: ObjectMeta): void {
  if (evaluateConditions(op.c.req.raw.headers, meta, COPY_SOURCE_CONDITIONS) === "not-modified") {
    throw new ServerError(304, "NotModified", "The source object was not modified.");
  }
}

const copyObject: OpHandler = async (op) => {
  const bucket = bucketOf(op);
  const key = keyOf(op);
  checkObjectKey(key);
  await requireBucket(op);
  const source = copySource(op.c.req.header("x-oss-copy-source")!);
  await requireBucket(op, source.bucket);
  const src = await op.storage.getObject(source.bucket, source.key);
  const headers = copiedHeaders(op, src.meta);
  checkCopySourceConditions(op, src.meta);
  await refuseOverwrite(op, bucket, key);
  const meta = await op.storage.copyObject(source, { bucket, key }, headers);
  return xmlResponse(
    buildXml("CopyObjectResult", {
      ETag: quoteEtag(meta.etag),
      LastModified: isoDate(meta.lastModified),
    }),
    200,
    { "x-oss-hash-crc64ecma": meta.crc64.toString() },
  );
};

const getObjectAcl: OpHandler = async (op) => {
  const { meta } = await op.storage.getObject(bucketOf(op), keyOf(op));
  return xmlResponse(buildXml("AccessControlPolicy", {
    Owner: { ID: op.settings.ownerId, DisplayName: op.settings.ownerId },
    AccessControlList: { Grant: meta.acl },
  }));
};

const getObjectTagging: OpHandler = async (op) => {
  const { meta } = await op.storage.getObject(bucketOf(op), keyOf(op));
  const pairs = meta.tagging === undefined ? [] : tagPairs(meta.tagging);
  return xmlResponse(buildXml("Tagging", {
    TagSet: { Tag: pairs.map(([Key, Value]) => ({ Key, Value })) },
  }));
};

const putObjectAcl: OpHandler = async (op) => {
  const acl = op.c.req.header("x-oss-object-acl");
  if (acl === undefined) {
    throw new ServerError(400, "InvalidArgument", "The x-oss-object-acl header is required.", {
      ArgumentName: "x-oss-object-acl",
    });
  }
  await op.storage.setObjectAcl(
    bucketOf(op),
    keyOf(op),
    checkAcl(acl, OBJECT_ACLS, "x-oss-object-acl"),
  );
  return emptyResponse(200);
};

/** Handlers by OSS API name. */
export const objectRoutes: Record<string, OpHandler> = {
  PutObject: putObject,
  AppendObject: appendObject,
  GetObject: getObject,
  HeadObject: headObject,
  GetObjectMeta: getObjectMeta,
  DeleteObject: deleteObject,
  DeleteMultipleObjects: deleteMultipleObjects,
  CopyObject: copyObject,
  GetObjectAcl: getObjectAcl,
  GetObjectTagging: getObjectTagging,
  PutObjectAcl: putObjectAcl,
};
