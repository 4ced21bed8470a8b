/**
 * Reading an object's stored headers (Content-Type, standard headers, user
 * metadata, ACL, storage class) from a request, with OSS's checks.
 *
 * @module
 */

import { ServerError } from "./server_error.ts";
import type { ObjectHeaders } from "./storage.ts";

/** Object ACLs OSS accepts (`default` inherits the bucket's). */
export const OBJECT_ACLS = ["default", "private", "public-read", "public-read-write"];
/** Bucket ACLs OSS accepts. */
export const BUCKET_ACLS = ["private", "public-read", "public-read-write"];
/** Storage classes OSS accepts. */
export const STORAGE_CLASSES = ["Standard", "IA", "Archive", "ColdArchive", "DeepColdArchive"];

/** OSS's cap on the total size of `x-oss-meta-*` names and values. */
export const USER_META_MAX_BYTES = 8 * 1024;

/** The `InvalidArgument` error for a `header` whose `value` is none of `allowed`. */
function notOneOf(header: string, value: string, allowed: string[]): ServerError {
  return new ServerError(
    400,
    "InvalidArgument",
    `${header} must be one of ${allowed.join(", ")}.`,
    {
      ArgumentName: header,
      ArgumentValue: value,
    },
  );
}

/** Checks an ACL value; `InvalidArgument` when unknown. */
export function checkAcl(value: string, allowed: string[], header: string): string {
  if (!allowed.includes(value)) throw notOneOf(header, value, allowed);
  return value;
}

/** Checks a storage class (case-insensitive); returns OSS's spelling. */
export function checkStorageClass(value: string, header: string): string {
  const found = STORAGE_CLASSES.find((s) => s.toLowerCase() === value.trim().toLowerCase());
  if (!found) throw notOneOf(header, value, STORAGE_CLASSES);
  return found;
}

/**
 * The object headers a PutObject / InitiateMultipartUpload / CopyObject
 * (REPLACE) request sets.
 * @throws {ServerError} `InvalidArgument` for a bad ACL, storage class, or user metadata.
 */
export function objectHeadersFromRequest(headers: Headers): ObjectHeaders {
  const userMeta: Record<string, string> = {};
  let metaBytes = 0;
  for (const [name, value] of headers) {
    if (!name.startsWith("x-oss-meta-")) continue;
    const metaName = name.slice("x-oss-meta-".length);
    if (!/^[a-z0-9-]+$/.test(metaName)) {
      throw new ServerError(
        400,
        "InvalidArgument",
        `The user metadata name ${name} is not valid: use letters, digits and '-'.`,
        {
          EC: "0011-00000004",
        },
      );
    }
    metaBytes += name.length + new TextEncoder().encode(value).length;
    userMeta[metaName] = value;
  }
  if (metaBytes > USER_META_MAX_BYTES) {
    throw new ServerError(
      400,
      "InvalidArgument",
      `Your metadata headers exceed the maximum allowed metadata size (${USER_META_MAX_BYTES} bytes).`,
      { EC: "0011-00000002" },
    );
  }
  const opt = (name: string) => headers.get(name) ?? undefined;
  const acl = headers.get("x-oss-object-acl");
  const storageClass = headers.get("x-oss-storage-class");
  return {
    contentType: opt("content-type") || "application/octet-stream",
    cacheControl: opt("cache-control"),
    contentDisposition: opt("content-disposition"),
    contentEncoding: opt("content-encoding"),
    contentLanguage: opt("content-language"),
    expires: opt("expires"),
    userMeta,
    acl: acl === null ? "default" : checkAcl(acl, OBJECT_ACLS, "x-oss-object-acl"),
    storageClass: storageClass === null
      ? "Standard"
      : checkStorageClass(storageClass, "x-oss-storage-class"),
  };
}
