/**
 * Reading an object's stored headers (Content-Type, standard headers, user
 * metadata, ACL, storage class) from a request, with OSS's checks.
 *
 * @module
 */

import {
  encodeTagging,
  OBJECT_ACLS as CLIENT_OBJECT_ACLS,
  SERVER_SIDE_ENCRYPTIONS,
  STORAGE_CLASSES as CLIENT_STORAGE_CLASSES,
} from "../client/object_write_options.ts";
import { ServerError } from "./server_error.ts";
import type { ObjectHeaders } from "./storage.ts";

/** Object ACLs OSS accepts (`default` inherits the bucket's). */
export const OBJECT_ACLS: string[] = [...CLIENT_OBJECT_ACLS];
/** Bucket ACLs OSS accepts. */
export const BUCKET_ACLS = ["private", "public-read", "public-read-write"];
/** Storage classes OSS accepts. */
export const STORAGE_CLASSES: string[] = [...CLIENT_STORAGE_CLASSES];

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
 * `x-oss-tagging` in its canonical form, checked against OSS's tag rules.
 * @throws {ServerError} `InvalidArgument` when malformed or beyond the limits.
 */
export function taggingFromRequest(headers: Headers): string | undefined {
  const raw = headers.get("x-oss-tagging");
  if (raw === null) return undefined;
  try {
    return encodeTagging(raw) || undefined;
  } catch (err) {
    throw new ServerError(400, "InvalidArgument", `x-oss-tagging: ${(err as Error).message}.`, {
      ArgumentName: "x-oss-tagging",
      ArgumentValue: raw,
    });
  }
}

/**
 * `x-oss-server-side-encryption` and its KMS key.
 * @throws {ServerError} 400 `InvalidEncryptionAlgorithmError` for an algorithm OSS does not
 * have, `InvalidArgument` for a key id without `KMS`.
 */
export function encryptionFromRequest(
  headers: Headers,
): Pick<ObjectHeaders, "serverSideEncryption" | "serverSideEncryptionKeyId"> {
  const sse = headers.get("x-oss-server-side-encryption");
  const keyId = headers.get("x-oss-server-side-encryption-key-id");
  if (sse === null) {
    if (keyId === null) return {};
    throw new ServerError(
      400,
      "InvalidArgument",
      "x-oss-server-side-encryption-key-id needs x-oss-server-side-encryption: KMS.",
      { ArgumentName: "x-oss-server-side-encryption-key-id" },
    );
  }
  if (!(SERVER_SIDE_ENCRYPTIONS as readonly string[]).includes(sse)) {
    throw new ServerError(
      400,
      "InvalidEncryptionAlgorithmError",
      `The Encryption request you specified is not valid. Supported value: ${
        SERVER_SIDE_ENCRYPTIONS.join("/")
      }.`,
    );
  }
  if (keyId !== null && sse !== "KMS") {
    throw new ServerError(
      400,
      "InvalidArgument",
      "x-oss-server-side-encryption-key-id is only valid with x-oss-server-side-encryption: KMS.",
      { ArgumentName: "x-oss-server-side-encryption-key-id", ArgumentValue: keyId },
    );
  }
  return {
    serverSideEncryption: sse,
    ...(keyId !== null ? { serverSideEncryptionKeyId: keyId } : {}),
  };
}

/**
 * The object headers a PutObject / InitiateMultipartUpload / CopyObject
 * (REPLACE) request sets. InitiateMultipartUpload passes `{ acl: false }`: OSS does not take
 * `x-oss-object-acl` there (CompleteMultipartUpload does), so the upload's object starts with
 * the bucket's ACL (`default`).
 * @throws {ServerError} `InvalidArgument` for a bad ACL, storage class, tagging or user
 * metadata; `InvalidEncryptionAlgorithmError` for a bad encryption.
 */
export function objectHeadersFromRequest(
  headers: Headers,
  read: { acl: boolean } = { acl: true },
): ObjectHeaders {
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
  const acl = read.acl ? headers.get("x-oss-object-acl") : null;
  const tagging = taggingFromRequest(headers);
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
    ...(tagging !== undefined ? { tagging } : {}),
    ...encryptionFromRequest(headers),
  };
}
