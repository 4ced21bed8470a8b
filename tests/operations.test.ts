/**
 * The operation table (lib/client/operations.ts) is the one place that names an OSS operation:
 * the client's method, the server's routing, the signing route's upload set and the fault
 * rules all come from it. These tests check the table agrees with itself and with its users.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  isOssOperation,
  OPERATIONS,
  type OssOperation,
  routeOperation,
} from "../lib/client/operations.ts";
import { operationOf } from "../lib/server/operation.ts";
import { UPLOAD_OPERATIONS } from "../lib/server/signing_route.ts";
import { FaultInjector } from "../lib/server/faults.ts";

const NAMES = Object.keys(OPERATIONS) as OssOperation[];

describe("operation table", () => {
  it("routes every operation's own request (its method, its sub-resources) back to it", () => {
    for (const name of NAMES) {
      const spec = OPERATIONS[name];
      for (const route of spec.routes) {
        for (const method of route.methods) {
          const query: [string, string | undefined][] = [
            ...(route.anyOf ?? []).slice(0, 1).map((k): [string, string] => [k, ""]),
            ...(route.value ? [[route.value[0], route.value[1]] as [string, string]] : []),
          ];
          assert.equal(
            routeOperation(method, spec.scope, query, route.copySource === true),
            name,
            `${method} ${spec.scope} ${JSON.stringify(query)}`,
          );
        }
      }
    }
  });

  it("sends each operation with a method the server routes to it", () => {
    for (const name of NAMES) {
      const spec = OPERATIONS[name];
      assert.ok(
        spec.routes.some((r) => r.methods.includes(spec.method)),
        `${name}: ${spec.method} is not among its routes' methods`,
      );
    }
  });

  it("gives the server's router the same names for addressed requests", () => {
    const h = new Headers();
    assert.equal(
      operationOf("put", "b", "k", [["partNumber", "1"], ["uploadId", "u"]], h),
      "UploadPart",
    );
    assert.equal(operationOf("HEAD", "b", undefined, [], h), "GetBucketInfo");
    assert.equal(operationOf("GET", "b", undefined, [["list-type", "2"]], h), "ListObjectsV2");
    assert.equal(
      operationOf("PUT", "b", "k", [], new Headers({ "x-oss-copy-source": "/b/a" })),
      "CopyObject",
    );
  });

  it("is the signing route's upload set (the rows marked uploadSignable)", () => {
    assert.deepEqual(
      [...UPLOAD_OPERATIONS].sort(),
      [
        "AbortMultipartUpload",
        "CompleteMultipartUpload",
        "HeadObject",
        "InitiateMultipartUpload",
        "ListParts",
        "PutObject",
        "UploadPart",
      ],
    );
  });

  it("refuses a fault rule naming an operation the table does not know", () => {
    const faults = new FaultInjector();
    assert.equal(isOssOperation("uploadPart"), false);
    assert.throws(
      () =>
        faults.add({
          operation: "uploadPart" as OssOperation,
          action: { type: "error", status: 503, code: "SlowDown" },
        }),
      (e: unknown) => e instanceof TypeError && /"uploadPart"/.test(e.message),
    );
    assert.equal(
      faults.add({
        operation: "UploadPart",
        action: { type: "error", status: 503, code: "SlowDown" },
      }),
      1,
    );
  });
});
