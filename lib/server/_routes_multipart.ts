/**
 * Multipart operations: InitiateMultipartUpload, UploadPart,
 * UploadPartCopy, CompleteMultipartUpload, AbortMultipartUpload, ListParts,
 * ListMultipartUploads — with OSS's rules on part numbers, order, ETags and
 * sizes.
 *
 * @module
 */

import { buildXml, childElements, childText, parseXml } from "../xml/xml.ts";
import { checkObjectKey } from "./addressing.ts";
import {
  bucketOf,
  copySource,
  intQuery,
  keyOf,
  type OpContext,
  type OpHandler,
  queryValue,
  readSmallBody,
  requestBody,
} from "./_op_context.ts";
import { checkAcl, OBJECT_ACLS, objectHeadersFromRequest } from "./_object_headers.ts";
import { emptyResponse, isoDate, quoteEtag, xmlResponse } from "./_responses.ts";
import { requireBucket } from "./_routes_bucket.ts";
import { encodingType, pageOf } from "./_routes_listing.ts";
import {
  checkCopySourceConditions,
  refuseOverwrite,
  writtenObjectHeaders,
} from "./_routes_object.ts";
import { answerWithCallback, uploadCallbackOf } from "./_upload_callback.ts";
import { ServerError } from "./server_error.ts";

/** OSS's smallest part, except the last: 100 KB. */
export const MIN_PART_SIZE = 100 * 1024;
/** OSS's largest part number. */
export const MAX_PART_NUMBER = 10000;
/** Largest CompleteMultipartUpload body read. */
const COMPLETE_BODY_MAX = 8 * 1024 * 1024;
/**
 * What a CompleteMultipartUpload document may hold: 10,000 parts of three elements each, with
 * room for whitespace, comments and unknown children, nested as the schema nests
 * (CompleteMultipartUpload > Part > PartNumber).
 */
const COMPLETE_XML_LIMITS = { maxNodes: 16 * MAX_PART_NUMBER, maxDepth: 3 };

const identity = (s: string) => s;

function uploadIdOf(op: OpContext): string {
  const id = queryValue(op, "uploadId");
  if (id === undefined || id === "") {
    throw new ServerError(400, "InvalidArgument", "The uploadId parameter is required.", {
      ArgumentName: "uploadId",
    });
  }
  return id;
}

/** `partNumber` query parameter; `InvalidArgument` outside 1–10000. */
export function partNumberOf(op: OpContext): number {
  const raw = queryValue(op, "partNumber");
  const n = raw !== undefined && /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= MAX_PART_NUMBER)) {
    throw new ServerError(
      400,
      "InvalidArgument",
      `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive.`,
      { ArgumentName: "partNumber", ArgumentValue: raw ?? "" },
    );
  }
  return n;
}

function normalizeEtag(etag: string): string {
  return etag.trim().replace(/^"(.*)"$/, "$1").toUpperCase();
}

const initiate: OpHandler = async (op) => {
  const key = keyOf(op);
  checkObjectKey(key);
  await requireBucket(op);
  // OSS takes the object's ACL on CompleteMultipartUpload, not here.
  const headers = objectHeadersFromRequest(op.c.req.raw.headers, { acl: false });
  await refuseOverwrite(op, bucketOf(op), key);
  const upload = await op.storage.initiateMultipartUpload(bucketOf(op), key, headers);
  const encoder = encodingType(op);
  return xmlResponse(buildXml("InitiateMultipartUploadResult", {
    EncodingType: encoder ? "url" : undefined,
    Bucket: upload.bucket,
    Key: (encoder ?? identity)(upload.key),
    UploadId: upload.uploadId,
  }));
};

const uploadPart: OpHandler = async (op) => {
  const partNumber = partNumberOf(op);
  const uploadId = uploadIdOf(op);
  await requireBucket(op);
  const part = await op.storage.uploadPart(
    bucketOf(op),
    keyOf(op),
    uploadId,
    partNumber,
    requestBody(op),
  );
  return emptyResponse(200, writtenObjectHeaders(part));
};

/**
 * Parses `x-oss-copy-source-range: bytes=a-b` (inclusive; `bytes=a-` to the end) against the
 * source size. A malformed value is `InvalidArgument`; a range that does not lie within the
 * source (OSS: the range may not exceed the source's size) is 416 `InvalidRange`.
 */
function copyRange(
  value: string | undefined,
  size: number,
): { start: number; end: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d+)\s*-\s*(\d*)\s*$/i.exec(value);
  if (!m) {
    throw new ServerError(
      400,
      "InvalidArgument",
      "x-oss-copy-source-range must be bytes=first-last.",
      {
        ArgumentName: "x-oss-copy-source-range",
        ArgumentValue: value,
      },
    );
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Number(m[2]);
  if (end < start || start >= size || end >= size) {
    throw new ServerError(416, "InvalidRange", "The requested range cannot be satisfied.", {
      RangeRequested: value,
      ActualObjectSize: String(size),
    });
  }
  return { start, end };
}

const uploadPartCopy: OpHandler = async (op) => {
  const partNumber = partNumberOf(op);
  const uploadId = uploadIdOf(op);
  await requireBucket(op);
  const source = copySource(op.c.req.header("x-oss-copy-source")!);
  await requireBucket(op, source.bucket);
  const src = await op.storage.getObject(source.bucket, source.key);
  checkCopySourceConditions(op, src.meta);
  const range = copyRange(op.c.req.header("x-oss-copy-source-range"), src.meta.size);
  const part = await op.storage.uploadPartCopy(bucketOf(op), keyOf(op), uploadId, partNumber, {
    ...source,
    range,
  });
  return xmlResponse(
    buildXml("CopyPartResult", {
      LastModified: isoDate(part.lastModified),
      ETag: quoteEtag(part.etag),
    }),
    200,
    { etag: quoteEtag(part.etag), "x-oss-hash-crc64ecma": part.crc64.toString() },
  );
};

function malformed(why: string): ServerError {
  return new ServerError(
    400,
    "MalformedXML",
    `The XML you provided was not well-formed or did not validate against our published schema: ${why}.`,
  );
}

function parseCompleteBody(text: string): { partNumber: number; etag: string }[] {
  let root;
  try {
    root = parseXml(text, COMPLETE_XML_LIMITS);
  } catch (err) {
    throw malformed((err as Error).message);
  }
  if (root.name !== "CompleteMultipartUpload") {
    throw malformed("root is not CompleteMultipartUpload");
  }
  const partElements = childElements(root, "Part");
  if (partElements.length > MAX_PART_NUMBER) {
    throw malformed(`more than ${MAX_PART_NUMBER} Part elements`);
  }
  const parts = partElements.map((p) => {
    const num = childText(p, "PartNumber")?.trim();
    const etag = childText(p, "ETag");
    if (num === undefined || !/^\d{1,6}$/.test(num) || etag === undefined) {
      throw malformed("each Part needs a PartNumber and an ETag");
    }
    return { partNumber: Number(num), etag: normalizeEtag(etag) };
  });
  if (parts.length === 0) throw malformed("no Part listed");
  return parts;
}

const complete: OpHandler = async (op) => {
  const uploadId = uploadIdOf(op);
  const bucket = bucketOf(op);
  const key = keyOf(op);
  await requireBucket(op);
  const aclHeader = op.c.req.header("x-oss-object-acl");
  const acl = aclHeader === undefined
    ? undefined
    : checkAcl(aclHeader, OBJECT_ACLS, "x-oss-object-acl");
  const callback = uploadCallbackOf(op);
  const body = new TextDecoder().decode(await readSmallBody(op, COMPLETE_BODY_MAX));
  const completeAll = op.c.req.header("x-oss-complete-all")?.toLowerCase() === "yes";
  let listed: { partNumber: number; etag: string }[] | undefined;
  if (completeAll) {
    if (body.trim() !== "") {
      throw new ServerError(
        400,
        "InvalidArgument",
        "With x-oss-complete-all: yes the body must be empty.",
      );
    }
  } else {
    listed = parseCompleteBody(body);
  }
  await op.storage.getMultipartUpload(bucket, key, uploadId);
  const stored = await op.storage.listParts(bucket, key, uploadId);
  if (listed === undefined) {
    if (stored.length === 0) throw malformed("the upload has no parts");
    listed = stored.map((p) => ({ partNumber: p.partNumber, etag: p.etag }));
  }
  for (let i = 1; i < listed.length; i++) {
    if (listed[i].partNumber <= listed[i - 1].partNumber) {
      throw new ServerError(
        400,
        "InvalidPartOrder",
        "The list of parts was not in ascending order. Parts must be ordered by part number.",
        { UploadId: uploadId },
      );
    }
  }
  const byNumber = new Map(stored.map((p) => [p.partNumber, p]));
  for (const p of listed) {
    const s = byNumber.get(p.partNumber);
    if (!s || s.etag.toUpperCase() !== p.etag) {
      throw new ServerError(
        400,
        "InvalidPart",
        "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag.",
        { UploadId: uploadId, PartNumber: String(p.partNumber), ETag: quoteEtag(p.etag) },
      );
    }
  }
  for (let i = 0; i < listed.length - 1; i++) {
    const s = byNumber.get(listed[i].partNumber)!;
    if (s.size < MIN_PART_SIZE) {
      throw new ServerError(
        400,
        "EntityTooSmall",
        "Your proposed upload is smaller than the minimum allowed size.",
        {
          MinSizeAllowed: String(MIN_PART_SIZE),
          ProposedSize: String(s.size),
          PartNumber: String(s.partNumber),
        },
      );
    }
  }
  await refuseOverwrite(op, bucket, key);
  const meta = await op.storage.completeMultipartUpload(bucket, key, uploadId, listed);
  if (acl !== undefined) {
    await op.storage.setObjectAcl(bucket, key, acl);
    meta.acl = acl;
  }
  const written = writtenObjectHeaders(meta);
  if (callback) {
    return await answerWithCallback(op, callback, meta, written, op.settings.callbackHosts);
  }
  const encoder = encodingType(op);
  const host = op.c.req.header("host") ?? "localhost";
  const location = op.info.bucket !== undefined && !hostStartsWithBucket(host, bucket)
    ? `http://${host}/${bucket}/${key}`
    : `http://${host}/${key}`;
  return xmlResponse(
    buildXml("CompleteMultipartUploadResult", {
      EncodingType: encoder ? "url" : undefined,
      Location: location,
      Bucket: bucket,
      Key: (encoder ?? identity)(key),
      ETag: quoteEtag(meta.etag),
    }),
    200,
    written,
  );
};

function hostStartsWithBucket(host: string, bucket: string): boolean {
  return host.toLowerCase().startsWith(bucket + ".");
}

const abort: OpHandler = async (op) => {
  const uploadId = uploadIdOf(op);
  await requireBucket(op);
  await op.storage.abortMultipartUpload(bucketOf(op), keyOf(op), uploadId);
  return emptyResponse(204);
};

const listParts: OpHandler = async (op) => {
  const uploadId = uploadIdOf(op);
  await requireBucket(op);
  const max = intQuery(op, "max-parts", 1000, 1, 1000);
  const marker = intQuery(op, "part-number-marker", 0, 0, MAX_PART_NUMBER);
  const encoder = encodingType(op);
  const upload = await op.storage.getMultipartUpload(bucketOf(op), keyOf(op), uploadId);
  const parts = (await op.storage.listParts(bucketOf(op), keyOf(op), uploadId))
    .filter((p) => p.partNumber > marker);
  const page = parts.slice(0, max);
  const truncated = parts.length > max;
  return xmlResponse(buildXml("ListPartsResult", {
    EncodingType: encoder ? "url" : undefined,
    Bucket: bucketOf(op),
    Key: (encoder ?? identity)(keyOf(op)),
    UploadId: uploadId,
    StorageClass: upload.headers.storageClass,
    PartNumberMarker: marker,
    NextPartNumberMarker: page.length > 0 ? page[page.length - 1].partNumber : marker,
    MaxParts: max,
    IsTruncated: truncated,
    Part: page.map((p) => ({
      PartNumber: p.partNumber,
      LastModified: isoDate(p.lastModified),
      ETag: quoteEtag(p.etag),
      HashCrc64ecma: p.crc64.toString(),
      Size: p.size,
    })),
  }));
};

const listMultipartUploads: OpHandler = async (op) => {
  await requireBucket(op);
  const prefix = queryValue(op, "prefix") ?? "";
  const delimiter = queryValue(op, "delimiter") ?? "";
  const keyMarker = queryValue(op, "key-marker") ?? "";
  const uploadIdMarker = queryValue(op, "upload-id-marker") ?? "";
  const max = intQuery(op, "max-uploads", 1000, 1, 1000);
  const encoder = encodingType(op);
  const enc = encoder ?? identity;
  let uploads = (await op.storage.listMultipartUploads(bucketOf(op)))
    .filter((u) => u.key.startsWith(prefix));
  if (keyMarker !== "") {
    const at = uploadIdMarker === ""
      ? -1
      : uploads.findIndex((u) => u.key === keyMarker && u.uploadId === uploadIdMarker);
    uploads = uploads.filter((u, i) =>
      u.key > keyMarker ||
      (u.key === keyMarker && uploadIdMarker !== "" &&
        (at !== -1 ? i > at : u.uploadId > uploadIdMarker))
    );
  }
  const page = await pageOf(uploads, (u) => u.key, {
    prefix,
    delimiter: delimiter || undefined,
    after: keyMarker === "" ? undefined : keyMarker,
    max,
  });
  const lastUpload = page.items[page.items.length - 1];
  return xmlResponse(buildXml("ListMultipartUploadsResult", {
    EncodingType: encoder ? "url" : undefined,
    Bucket: bucketOf(op),
    KeyMarker: enc(keyMarker),
    UploadIdMarker: uploadIdMarker,
    NextKeyMarker: page.last === undefined ? "" : enc(page.last),
    NextUploadIdMarker: lastUpload && page.last === lastUpload.key ? lastUpload.uploadId : "",
    Delimiter: enc(delimiter),
    Prefix: enc(prefix),
    MaxUploads: max,
    IsTruncated: page.truncated,
    Upload: page.items.map((u) => ({
      Key: enc(u.key),
      UploadId: u.uploadId,
      StorageClass: u.headers.storageClass,
      Initiated: isoDate(u.initiated),
    })),
    CommonPrefixes: page.prefixes.map((p) => ({ Prefix: enc(p) })),
  }));
};

/** Handlers by OSS API name. */
export const multipartRoutes: Record<string, OpHandler> = {
  InitiateMultipartUpload: initiate,
  UploadPart: uploadPart,
  UploadPartCopy: uploadPartCopy,
  CompleteMultipartUpload: complete,
  AbortMultipartUpload: abort,
  ListParts: listParts,
  ListMultipartUploads: listMultipartUploads,
};
