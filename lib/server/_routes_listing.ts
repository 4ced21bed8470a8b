/**
 * ListObjects (v1) and ListObjectsV2: prefix, delimiter with
 * CommonPrefixes, marker / continuation-token / start-after, max-keys and
 * encoding-type=url.
 *
 * @module
 */

import { buildXml } from "../xml/xml.ts";
import { bucketOf, intQuery, type OpContext, type OpHandler, queryValue } from "./_op_context.ts";
import { isoDate, quoteEtag, urlEncodeKey, xmlResponse } from "./_responses.ts";
import { requireBucket } from "./_routes_bucket.ts";
import { ServerError } from "./server_error.ts";
import type { ListedObject } from "./storage.ts";

/** Compares two strings in UTF-8 byte order (= code point order). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** One page of a listing. */
export interface ListingPage<T> {
  items: T[];
  prefixes: string[];
  truncated: boolean;
  /** Last key or common prefix of the page. */
  last?: string;
}

/**
 * Groups a sorted stream of keyed items by `delimiter` after `prefix` and
 * takes one page of `max` entries (items and common prefixes together).
 * Common prefixes at or before `after` are skipped (the marker fell inside them).
 */
export async function pageOf<T>(
  source: AsyncIterable<T> | Iterable<T>,
  keyOfItem: (item: T) => string,
  o: { prefix: string; delimiter?: string; after?: string; max: number },
): Promise<ListingPage<T>> {
  const page: ListingPage<T> = { items: [], prefixes: [], truncated: false };
  let count = 0;
  for await (const item of source) {
    const key = keyOfItem(item);
    if (o.delimiter) {
      const i = key.indexOf(o.delimiter, o.prefix.length);
      if (i !== -1) {
        const cp = key.slice(0, i + o.delimiter.length);
        if (cp === page.last) continue;
        if (o.after !== undefined && compareCodePoints(cp, o.after) <= 0) continue;
        if (count === o.max) {
          page.truncated = true;
          break;
        }
        page.prefixes.push(cp);
        page.last = cp;
        count++;
        continue;
      }
    }
    if (count === o.max) {
      page.truncated = true;
      break;
    }
    page.items.push(item);
    page.last = key;
    count++;
  }
  return page;
}

/** `encoding-type`: `url` or absent. */
export function encodingType(op: OpContext): ((s: string) => string) | undefined {
  const v = queryValue(op, "encoding-type");
  if (v === undefined || v === "") return undefined;
  if (v !== "url") {
    throw new ServerError(400, "InvalidArgument", "encoding-type must be url.", {
      ArgumentName: "encoding-type",
      ArgumentValue: v,
    });
  }
  return urlEncodeKey;
}

function contents(
  op: OpContext,
  items: ListedObject[],
  enc: (s: string) => string,
  owner: boolean,
) {
  return items.map((o) => ({
    Key: enc(o.key),
    LastModified: isoDate(o.lastModified),
    ETag: quoteEtag(o.etag),
    Type: o.objectType,
    Size: o.size,
    StorageClass: o.storageClass,
    Owner: owner ? { ID: op.settings.ownerId, DisplayName: op.settings.ownerId } : undefined,
  }));
}

const identity = (s: string) => s;

/** The query parameters both ListObjects versions read the same way. */
interface ListingQuery {
  prefix: string;
  delimiter: string;
  max: number;
  /** The `encoding-type=url` encoder, when asked for. */
  encoder?: (s: string) => string;
  /** What keys and prefixes go through in the answer: the encoder or identity. */
  enc: (s: string) => string;
}

/** Reads prefix, delimiter, max-keys and encoding-type (a bad one throws). */
function listingQuery(op: OpContext): ListingQuery {
  const prefix = queryValue(op, "prefix") ?? "";
  const delimiter = queryValue(op, "delimiter") ?? "";
  const max = intQuery(op, "max-keys", 100, 0, 1000);
  const encoder = encodingType(op);
  return { prefix, delimiter, max, encoder, enc: encoder ?? identity };
}

/** One page of the bucket's objects after `after`. */
function objectPage(
  op: OpContext,
  q: ListingQuery,
  after: string | undefined,
): Promise<ListingPage<ListedObject>> {
  return pageOf(
    op.storage.listObjects(bucketOf(op), { prefix: q.prefix, after }),
    (o) => o.key,
    { prefix: q.prefix, delimiter: q.delimiter || undefined, after, max: q.max },
  );
}

const listObjects: OpHandler = async (op) => {
  await requireBucket(op);
  const marker = queryValue(op, "marker") ?? "";
  const q = listingQuery(op);
  const { prefix, delimiter, max, encoder, enc } = q;
  const after = marker === "" ? undefined : marker;
  const page = await objectPage(op, q, after);
  return xmlResponse(buildXml("ListBucketResult", {
    Name: bucketOf(op),
    Prefix: enc(prefix),
    Marker: enc(marker),
    MaxKeys: max,
    Delimiter: enc(delimiter),
    EncodingType: encoder ? "url" : undefined,
    IsTruncated: page.truncated,
    NextMarker: page.truncated && page.last !== undefined ? enc(page.last) : undefined,
    Contents: contents(op, page.items, enc, true),
    CommonPrefixes: page.prefixes.map((p) => ({ Prefix: enc(p) })),
  }));
};

function encodeToken(marker: string): string {
  const bytes = new TextEncoder().encode(marker);
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function decodeToken(token: string): string {
  try {
    const bin = atob(token);
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ServerError(400, "InvalidArgument", "The continuation-token is not valid.", {
      ArgumentName: "continuation-token",
      ArgumentValue: token,
    });
  }
}

const listObjectsV2: OpHandler = async (op) => {
  await requireBucket(op);
  const token = queryValue(op, "continuation-token");
  const startAfter = queryValue(op, "start-after");
  const fetchOwner = queryValue(op, "fetch-owner") === "true";
  const q = listingQuery(op);
  const { prefix, delimiter, max, encoder, enc } = q;
  const fromToken = token !== undefined && token !== "" ? decodeToken(token) : undefined;
  const after = fromToken ?? (startAfter === "" ? undefined : startAfter);
  const page = await objectPage(op, q, after);
  return xmlResponse(buildXml("ListBucketResult", {
    Name: bucketOf(op),
    Prefix: enc(prefix),
    ContinuationToken: token,
    StartAfter: startAfter === undefined ? undefined : enc(startAfter),
    MaxKeys: max,
    Delimiter: enc(delimiter),
    EncodingType: encoder ? "url" : undefined,
    IsTruncated: page.truncated,
    NextContinuationToken: page.truncated && page.last !== undefined
      ? encodeToken(page.last)
      : undefined,
    KeyCount: page.items.length + page.prefixes.length,
    Contents: contents(op, page.items, enc, fetchOwner),
    CommonPrefixes: page.prefixes.map((p) => ({ Prefix: enc(p) })),
  }));
};

/** Handlers by OSS API name. */
export const listingRoutes: Record<string, OpHandler> = {
  ListObjects: listObjects,
  ListObjectsV2: listObjectsV2,
};
