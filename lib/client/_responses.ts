/**
 * OSS answers → typed results: XML bodies, headers, and error answers.
 *
 * @module
 */

import { OssError, ossErrorFor } from "../errors/errors.ts";
import { childElement, childElements, childText, parseXml, type XmlElement } from "../xml/xml.ts";
import type {
  BucketSummary,
  CompleteMultipartUploadResult,
  CopyObjectResult,
  InitiateMultipartUploadResult,
  ListBucketsPage,
  ListMultipartUploadsPage,
  ListObjectsPage,
  ListPartsPage,
  ObjectMetadata,
  ResponseInfo,
  UploadPartCopyResult,
} from "./results.ts";

/** An answer with its body read as text. */
export interface TextResponse {
  status: number;
  headers: Headers;
  text: string;
}

/** Request ID and headers of an answer. */
export function responseInfo(headers: Headers): ResponseInfo {
  return { requestId: headers.get("x-oss-request-id") ?? undefined, headers };
}

/** Parses OSS's decimal CRC64 header; `undefined` when absent or malformed. */
export function parseCrc64(value: string | null | undefined): bigint | undefined {
  if (!value || !/^\d{1,20}$/.test(value)) return undefined;
  return BigInt(value);
}

function parseDate(value: string | null | undefined): Date | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

function parseIntOrUndefined(value: string | null | undefined): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function rootOf(res: TextResponse, expected: string, operation: string): XmlElement {
  let root: XmlElement;
  try {
    root = parseXml(res.text);
  } catch (err) {
    throw new OssError({
      status: res.status,
      code: "InvalidResponse",
      message: `the answer is not well-formed XML (${(err as Error).message})`,
      requestId: res.headers.get("x-oss-request-id") ?? undefined,
      operation,
    });
  }
  if (root.name !== expected) {
    throw new OssError({
      status: res.status,
      code: "InvalidResponse",
      message: `expected <${expected}> in the answer, got <${root.name}>`,
      requestId: res.headers.get("x-oss-request-id") ?? undefined,
      operation,
    });
  }
  return root;
}

/** Decodes a value OSS url-encoded because the request said `encoding-type=url`. */
function decoder(root: XmlElement): (v: string | undefined) => string | undefined {
  if (childText(root, "EncodingType") !== "url") return (v) => v;
  return (v) => (v === undefined ? v : decodeURIComponent(v.replace(/\+/g, "%20")));
}

function orUndefined(v: string | undefined): string | undefined {
  return v === "" ? undefined : v;
}

function isTrue(v: string | undefined): boolean {
  return v === "true";
}

function textOf(el: XmlElement, name: string): string {
  return childText(el, name) ?? "";
}

/** Metadata of an object from the headers of a GET or HEAD answer. */
export function objectMetadataFromHeaders(headers: Headers, size: number): ObjectMetadata {
  const meta: Record<string, string> = {};
  for (const [name, value] of headers) {
    if (name.startsWith("x-oss-meta-")) meta[name.slice("x-oss-meta-".length)] = value;
  }
  return {
    ...responseInfo(headers),
    size,
    etag: headers.get("etag") ?? "",
    crc64: parseCrc64(headers.get("x-oss-hash-crc64ecma")),
    contentType: headers.get("content-type") ?? "application/octet-stream",
    meta,
    lastModified: parseDate(headers.get("last-modified")),
    objectType: headers.get("x-oss-object-type") ?? undefined,
    storageClass: headers.get("x-oss-storage-class") ?? undefined,
    versionId: headers.get("x-oss-version-id") ?? undefined,
  };
}

/** `<ListBucketResult>` of ListObjects (v1). */
export function parseListObjects(res: TextResponse): ListObjectsPage {
  const root = rootOf(res, "ListBucketResult", "ListObjects");
  const decode = decoder(root);
  return {
    ...responseInfo(res.headers),
    objects: childElements(root, "Contents").map((c) => ({
      key: decode(textOf(c, "Key"))!,
      size: Number(textOf(c, "Size")),
      etag: textOf(c, "ETag"),
      lastModified: parseDate(childText(c, "LastModified")) ?? new Date(0),
      type: orUndefined(childText(c, "Type")),
      storageClass: orUndefined(childText(c, "StorageClass")),
    })),
    commonPrefixes: childElements(root, "CommonPrefixes").map((p) => decode(textOf(p, "Prefix"))!),
    isTruncated: isTrue(childText(root, "IsTruncated")),
    nextMarker: orUndefined(decode(childText(root, "NextMarker"))),
    prefix: orUndefined(decode(childText(root, "Prefix"))),
    delimiter: orUndefined(decode(childText(root, "Delimiter"))),
    marker: orUndefined(decode(childText(root, "Marker"))),
    maxKeys: parseIntOrUndefined(childText(root, "MaxKeys")),
  };
}

/** `<InitiateMultipartUploadResult>`. */
export function parseInitiateMultipartUpload(res: TextResponse): InitiateMultipartUploadResult {
  const root = rootOf(res, "InitiateMultipartUploadResult", "InitiateMultipartUpload");
  const decode = decoder(root);
  const uploadId = textOf(root, "UploadId");
  if (!uploadId) {
    throw new OssError({
      status: res.status,
      code: "InvalidResponse",
      message: "the answer holds no UploadId",
      requestId: res.headers.get("x-oss-request-id") ?? undefined,
      operation: "InitiateMultipartUpload",
    });
  }
  return {
    ...responseInfo(res.headers),
    bucket: textOf(root, "Bucket"),
    key: decode(textOf(root, "Key"))!,
    uploadId,
  };
}

/** `<CompleteMultipartUploadResult>` and its headers. */
export function parseCompleteMultipartUpload(res: TextResponse): CompleteMultipartUploadResult {
  const root = rootOf(res, "CompleteMultipartUploadResult", "CompleteMultipartUpload");
  const decode = decoder(root);
  return {
    ...responseInfo(res.headers),
    bucket: textOf(root, "Bucket"),
    key: decode(textOf(root, "Key"))!,
    etag: childText(root, "ETag") ?? res.headers.get("etag") ?? "",
    // A URL, not a key: OSS url-encodes only Key (the Go SDK v2 decodes only Key too), and a
    // raw '%' of a key in it would make decodeURIComponent throw.
    location: orUndefined(childText(root, "Location")),
    crc64: parseCrc64(res.headers.get("x-oss-hash-crc64ecma")),
    versionId: res.headers.get("x-oss-version-id") ?? undefined,
  };
}

/** `<CopyObjectResult>` of CopyObject. */
export function parseCopyObject(res: TextResponse): CopyObjectResult {
  const root = rootOf(res, "CopyObjectResult", "CopyObject");
  return {
    ...responseInfo(res.headers),
    etag: childText(root, "ETag") ?? res.headers.get("etag") ?? "",
    lastModified: parseDate(childText(root, "LastModified")),
    crc64: parseCrc64(res.headers.get("x-oss-hash-crc64ecma")),
    versionId: res.headers.get("x-oss-version-id") ?? undefined,
  };
}

/**
 * `<CopyPartResult>` of UploadPartCopy; the part number is the request's (the answer does not
 * repeat it).
 */
export function parseUploadPartCopy(res: TextResponse): Omit<UploadPartCopyResult, "partNumber"> {
  const root = rootOf(res, "CopyPartResult", "UploadPartCopy");
  return {
    ...responseInfo(res.headers),
    etag: childText(root, "ETag") ?? res.headers.get("etag") ?? "",
    lastModified: parseDate(childText(root, "LastModified")),
    crc64: parseCrc64(res.headers.get("x-oss-hash-crc64ecma")),
  };
}

/** `<ListPartsResult>`. */
export function parseListParts(res: TextResponse): ListPartsPage {
  const root = rootOf(res, "ListPartsResult", "ListParts");
  const decode = decoder(root);
  return {
    ...responseInfo(res.headers),
    bucket: textOf(root, "Bucket"),
    key: decode(textOf(root, "Key"))!,
    uploadId: textOf(root, "UploadId"),
    parts: childElements(root, "Part").map((p) => ({
      partNumber: Number(textOf(p, "PartNumber")),
      size: Number(textOf(p, "Size")),
      etag: textOf(p, "ETag"),
      lastModified: parseDate(childText(p, "LastModified")) ?? new Date(0),
      crc64: parseCrc64(childText(p, "HashCrc64ecma")),
    })),
    isTruncated: isTrue(childText(root, "IsTruncated")),
    nextPartNumberMarker: parseIntOrUndefined(childText(root, "NextPartNumberMarker")),
    partNumberMarker: parseIntOrUndefined(childText(root, "PartNumberMarker")),
    maxParts: parseIntOrUndefined(childText(root, "MaxParts")),
  };
}

/** `<ListMultipartUploadsResult>`. */
export function parseListMultipartUploads(res: TextResponse): ListMultipartUploadsPage {
  const root = rootOf(res, "ListMultipartUploadsResult", "ListMultipartUploads");
  const decode = decoder(root);
  return {
    ...responseInfo(res.headers),
    uploads: childElements(root, "Upload").map((u) => ({
      key: decode(textOf(u, "Key"))!,
      uploadId: textOf(u, "UploadId"),
      initiated: parseDate(childText(u, "Initiated")) ?? new Date(0),
      storageClass: orUndefined(childText(u, "StorageClass")),
    })),
    commonPrefixes: childElements(root, "CommonPrefixes").map((p) => decode(textOf(p, "Prefix"))!),
    isTruncated: isTrue(childText(root, "IsTruncated")),
    nextKeyMarker: orUndefined(decode(childText(root, "NextKeyMarker"))),
    nextUploadIdMarker: orUndefined(childText(root, "NextUploadIdMarker")),
    prefix: orUndefined(decode(childText(root, "Prefix"))),
    delimiter: orUndefined(decode(childText(root, "Delimiter"))),
    keyMarker: orUndefined(decode(childText(root, "KeyMarker"))),
    uploadIdMarker: orUndefined(childText(root, "UploadIdMarker")),
    maxUploads: parseIntOrUndefined(childText(root, "MaxUploads")),
  };
}

/** `<ListAllMyBucketsResult>`. */
export function parseListBuckets(res: TextResponse): ListBucketsPage {
  const root = rootOf(res, "ListAllMyBucketsResult", "ListBuckets");
  const list = childElement(root, "Buckets");
  const buckets: BucketSummary[] = (list ? childElements(list, "Bucket") : []).map((b) => ({
    name: textOf(b, "Name"),
    creationDate: parseDate(childText(b, "CreationDate")) ?? new Date(0),
    location: orUndefined(childText(b, "Location")),
    region: orUndefined(childText(b, "Region")),
    storageClass: orUndefined(childText(b, "StorageClass")),
    extranetEndpoint: orUndefined(childText(b, "ExtranetEndpoint")),
    intranetEndpoint: orUndefined(childText(b, "IntranetEndpoint")),
  }));
  return {
    ...responseInfo(res.headers),
    buckets,
    isTruncated: isTrue(childText(root, "IsTruncated")),
    nextMarker: orUndefined(childText(root, "NextMarker")),
    prefix: orUndefined(childText(root, "Prefix")),
    marker: orUndefined(childText(root, "Marker")),
    maxKeys: parseIntOrUndefined(childText(root, "MaxKeys")),
  };
}

/** Where the error answer was addressed, to name a code for bodiless (HEAD) answers. */
export interface ErrorContext {
  operation: string;
  bucket?: string;
  key?: string;
}

/** An error answer parsed into an {@linkcode OssError}, plus the server's time if it said. */
export interface ParsedError {
  error: OssError;
  /** Server time in ms since the epoch, from `Date` or the body's `ServerTime`. */
  serverTime?: number;
}

function decodeBase64(text: string): string | undefined {
  try {
    const bin = atob(text);
    return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

function codeForStatus(status: number, ctx: ErrorContext): string {
  switch (status) {
    case 304:
      return "NotModified";
    case 400:
      return "BadRequest";
    case 403:
      return "AccessDenied";
    case 404:
      return ctx.key !== undefined
        ? "NoSuchKey"
        : ctx.bucket !== undefined
        ? "NoSuchBucket"
        : "NotFound";
    case 412:
      return "PreconditionFailed";
    case 416:
      return "InvalidRange";
    default:
      return "Unknown";
  }
}

/** Messages for codes named after the status, when the answer had no error body (HEAD). */
const BODILESS_MESSAGES: Record<string, string> = {
  NotModified: "The object was not modified.",
  NoSuchKey: "The specified key does not exist.",
  NoSuchBucket: "The specified bucket does not exist.",
  AccessDenied: "Access denied.",
  PreconditionFailed: "A precondition did not hold.",
};

/**
 * Parses an error answer: the `<Error>` body (or, for HEAD answers which have
 * no body, the base64 `x-oss-err` header OSS adds, else a code named after
 * the status). Takes Code, Message, RequestId, HostId and EC only: the body
 * of a signature error also echoes the string to sign, which stays out.
 */
export function parseErrorResponse(res: TextResponse, ctx: ErrorContext): ParsedError {
  let root: XmlElement | undefined;
  const xmlText = res.text.trim() !== ""
    ? res.text
    : decodeBase64(res.headers.get("x-oss-err") ?? "");
  if (xmlText) {
    try {
      const parsed = parseXml(xmlText);
      if (parsed.name === "Error") root = parsed;
    } catch {
      // Not XML (a proxy's HTML page, say): fall back to the status.
    }
  }
  const requestId = orUndefined(root && childText(root, "RequestId")) ??
    res.headers.get("x-oss-request-id") ?? undefined;
  const code = orUndefined(root && childText(root, "Code")) ?? codeForStatus(res.status, ctx);
  const message = orUndefined(root && childText(root, "Message")) ??
    BODILESS_MESSAGES[code] ?? `the server answered ${res.status} without details`;
  const error = ossErrorFor({
    status: res.status,
    code,
    message,
    requestId,
    hostId: orUndefined(root && childText(root, "HostId")),
    ec: orUndefined(root && childText(root, "EC")) ?? res.headers.get("x-oss-ec") ?? undefined,
    operation: ctx.operation,
    nextAppendPosition: parseIntOrUndefined(res.headers.get("x-oss-next-append-position")),
  });
  const serverTime = parseDate(res.headers.get("date"))?.getTime() ??
    parseDate(root && childText(root, "ServerTime"))?.getTime();
  return { error, serverTime };
}
