/**
 * Service- and bucket-level operations: ListBuckets, PutBucket,
 * DeleteBucket, GetBucketInfo, GetBucketLocation, Get/PutBucketAcl.
 *
 * @module
 */

import { buildXml, childText, escapeXml, parseXml } from "../xml/xml.ts";
import { checkBucketName } from "./addressing.ts";
import {
  bucketOf,
  intQuery,
  type OpContext,
  type OpHandler,
  queryValue,
  readSmallBody,
} from "./_op_context.ts";
import { BUCKET_ACLS, checkAcl, checkStorageClass } from "./_object_headers.ts";
import { emptyResponse, isoDate, xmlResponse } from "./_responses.ts";
import { ServerError } from "./server_error.ts";
import { type BucketInfo, StorageError } from "./storage.ts";

function noSuchBucket(bucket: string): ServerError {
  return new ServerError(404, "NoSuchBucket", "The specified bucket does not exist.", {
    BucketName: bucket,
  });
}

/** The bucket, or `NoSuchBucket`. */
export async function requireBucket(op: OpContext, bucket = bucketOf(op)): Promise<BucketInfo> {
  const info = await op.storage.getBucket(bucket);
  if (!info) throw noSuchBucket(bucket);
  return info;
}

function owner(op: OpContext) {
  return { ID: op.settings.ownerId, DisplayName: op.settings.ownerId };
}

function bucketEndpoints(b: BucketInfo) {
  return {
    ExtranetEndpoint: `${b.location}.aliyuncs.com`,
    IntranetEndpoint: `${b.location}-internal.aliyuncs.com`,
  };
}

const listBuckets: OpHandler = async (op) => {
  const prefix = queryValue(op, "prefix") ?? "";
  const marker = queryValue(op, "marker") ?? "";
  const maxKeys = intQuery(op, "max-keys", 100, 1, 1000);
  const all = (await op.storage.listBuckets())
    .filter((b) => b.name.startsWith(prefix) && b.name > marker)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const page = all.slice(0, maxKeys);
  const truncated = all.length > maxKeys;
  const paged = queryValue(op, "prefix") !== undefined || queryValue(op, "marker") !== undefined ||
    queryValue(op, "max-keys") !== undefined;
  return xmlResponse(buildXml("ListAllMyBucketsResult", {
    Prefix: paged ? prefix : undefined,
    Marker: paged ? marker : undefined,
    MaxKeys: paged ? maxKeys : undefined,
    IsTruncated: paged ? truncated : undefined,
    NextMarker: truncated ? page[page.length - 1].name : undefined,
    Owner: owner(op),
    Buckets: {
      Bucket: page.map((b) => ({
        CreationDate: isoDate(b.creationDate),
        ...bucketEndpoints(b),
        Location: b.location,
        Name: b.name,
        Region: b.location.replace(/^oss-/, ""),
        StorageClass: b.storageClass,
      })),
    },
  }));
};

const putBucket: OpHandler = async (op) => {
  const bucket = bucketOf(op);
  checkBucketName(bucket);
  const acl = op.c.req.header("x-oss-acl");
  let storageClass = "Standard";
  const body = new TextDecoder().decode(await readSmallBody(op, 64 * 1024));
  if (body.trim() !== "") {
    let root;
    try {
      root = parseXml(body);
    } catch {
      throw new ServerError(400, "MalformedXML", "The XML you provided was not well-formed.");
    }
    if (root.name !== "CreateBucketConfiguration") {
      throw new ServerError(
        400,
        "MalformedXML",
        "The root element must be CreateBucketConfiguration.",
      );
    }
    const sc = childText(root, "StorageClass");
    if (sc !== undefined) storageClass = checkStorageClass(sc, "StorageClass");
  }
  const checkedAcl = acl === undefined ? undefined : checkAcl(acl, BUCKET_ACLS, "x-oss-acl");
  // Every bucket of this server is its one owner's: PutBucket on one that exists succeeds and
  // applies its x-oss-acl, as OSS does for the owner (the Go SDK 1.4's SetBucketACL is this).
  const created = await op.storage.createBucket(bucket, {
    location: `oss-${op.settings.region}`,
    acl: checkedAcl ?? "private",
    storageClass,
  }).then(() => true, (err) => {
    if (err instanceof StorageError && err.code === "BucketAlreadyExists") return false;
    throw err;
  });
  if (!created && checkedAcl !== undefined) await op.storage.setBucketAcl(bucket, checkedAcl);
  return emptyResponse(200, { location: `/${bucket}` });
};

const deleteBucket: OpHandler = async (op) => {
  await requireBucket(op);
  await op.storage.deleteBucket(bucketOf(op));
  return emptyResponse(204);
};

const getBucketInfo: OpHandler = async (op) => {
  const b = await requireBucket(op);
  return xmlResponse(buildXml("BucketInfo", {
    Bucket: {
      AccessMonitor: "Disabled",
      CreationDate: isoDate(b.creationDate),
      ...bucketEndpoints(b),
      Location: b.location,
      StorageClass: b.storageClass,
      TransferAcceleration: "Disabled",
      CrossRegionReplication: "Disabled",
      Name: b.name,
      ResourceGroupId: "rg-default-id",
      Owner: owner(op),
      AccessControlList: { Grant: b.acl },
      Comment: "",
      DataRedundancyType: "LRS",
      Versioning: undefined,
      ServerSideEncryptionRule: { SSEAlgorithm: "None" },
    },
  }));
};

const getBucketLocation: OpHandler = async (op) => {
  const b = await requireBucket(op);
  return xmlResponse(
    `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint>${
      escapeXml(b.location)
    }</LocationConstraint>`,
  );
};

const getBucketAcl: OpHandler = async (op) => {
  const b = await requireBucket(op);
  return xmlResponse(buildXml("AccessControlPolicy", {
    Owner: owner(op),
    AccessControlList: { Grant: b.acl },
  }));
};

const putBucketAcl: OpHandler = async (op) => {
  await requireBucket(op);
  const acl = op.c.req.header("x-oss-acl");
  if (acl === undefined) {
    throw new ServerError(400, "InvalidArgument", "The x-oss-acl header is required.", {
      ArgumentName: "x-oss-acl",
    });
  }
  await op.storage.setBucketAcl(bucketOf(op), checkAcl(acl, BUCKET_ACLS, "x-oss-acl"));
  return emptyResponse(200);
};

/** Handlers by OSS API name. */
export const bucketRoutes: Record<string, OpHandler> = {
  ListBuckets: listBuckets,
  PutBucket: putBucket,
  DeleteBucket: deleteBucket,
  GetBucketInfo: getBucketInfo,
  GetBucketLocation: getBucketLocation,
  GetBucketAcl: getBucketAcl,
  PutBucketAcl: putBucketAcl,
};
