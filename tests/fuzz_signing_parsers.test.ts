/**
 * Property-based fuzzing of the Authorization and credential parsers of
 * lib/signing/signing.ts: whatever the signers write parses back to what they
 * signed with; the fields' order and spacing do not matter; arbitrary
 * input never throws and never yields a credential that does not re-join
 * to the input. Seeds and runs: tests/_fuzz.ts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ALGORITHM_V4, signV1, signV4 } from "../lib/signing/signing.ts";
import {
  parseAuthorizationV1,
  parseAuthorizationV4,
  parseCredentialV4,
  signaturesEqual,
} from "../lib/server/_authorization.ts";
import { checkProperty, fc } from "./_fuzz.ts";

/** AccessKey IDs as Alibaba Cloud issues them (LTAI…, STS.…) and shorter test ones. */
const accessKeyId = fc.stringMatching(/^(LTAI|STS\.)?[A-Za-z0-9]{1,30}$/);
const secret = fc.string({ minLength: 1, maxLength: 40 });
const region = fc.oneof(
  fc.constantFrom("cn-hangzhou", "us-west-1", "eu-central-1", "ap-southeast-1"),
  fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/),
);
// 1970 to 9999: the years a V4 day (yyyymmdd) can name.
const signingTime = fc.date({
  min: new Date(0),
  max: new Date("9999-12-31T23:59:59Z"),
  noInvalidDate: true,
});
const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/);
const space = fc.constantFrom("", " ", "  ");

function request(key: string, headers: Record<string, string>) {
  return {
    method: "PUT",
    bucket: "bkt",
    key,
    query: [] as [string, string | undefined][],
    headers: new Headers(headers),
  };
}

describe("fuzz: V4 Authorization and credential", () => {
  it("parses back what signV4 writes: key, day, region, product, additional headers", () =>
    checkProperty(
      fc.asyncProperty(
        accessKeyId,
        secret,
        region,
        signingTime,
        fc.uniqueArray(headerName, { maxLength: 4 }),
        fc.string({ minLength: 1, maxLength: 20 }),
        async (ak, sk, reg, now, extra, key) => {
          const headers = Object.fromEntries(extra.map((h) => [h, "v"]));
          const req = request(key, headers);
          await signV4(req, {
            credentials: { accessKeyId: ak, accessKeySecret: sk },
            region: reg,
            now,
            additionalHeaders: [...extra, "missing-header"],
          });
          const parsed = parseAuthorizationV4(req.headers.get("authorization")!);
          assert.ok(parsed, req.headers.get("authorization")!);
          assert.equal(parsed.accessKeyId, ak);
          assert.equal(parsed.day, now.toISOString().slice(0, 10).replaceAll("-", ""));
          assert.equal(parsed.region, reg);
          assert.equal(parsed.product, "oss");
          const expected = extra
            .filter((h) => !h.startsWith("x-oss-") && h !== "content-type" && h !== "content-md5")
            .sort();
          assert.deepEqual(parsed.additionalHeaders, expected);
          assert.match(parsed.signature, /^[0-9a-f]{64}$/);
        },
      ),
      { runs: 100, weight: 0.2 },
    ));

  it("reads the fields in any order and with spaces around commas and '='", () =>
    checkProperty(
      fc.property(
        accessKeyId,
        fc.stringMatching(/^\d{8}$/),
        region,
        fc.array(headerName, { maxLength: 3 }),
        fc.stringMatching(/^[0-9a-f]{64}$/),
        fc.nat(5),
        space,
        space,
        (ak, day, reg, extra, sig, order, s1, s2) => {
          const fields = [
            `Credential${s1}=${s2}${ak}/${day}/${reg}/oss/aliyun_v4_request`,
            `Signature${s1}=${s2}${sig}`,
            ...(extra.length > 0 ? [`AdditionalHeaders=${extra.join(";")}`] : []),
          ];
          const rotated = [
            ...fields.slice(order % fields.length),
            ...fields.slice(0, order % fields.length),
          ];
          const parsed = parseAuthorizationV4(`${ALGORITHM_V4} ${rotated.join(`,${s1}`)}`);
          assert.deepEqual(parsed && { ...parsed }, {
            accessKeyId: ak,
            day,
            region: reg,
            product: "oss",
            additionalHeaders: extra,
            signature: sig,
          });
        },
      ),
      { runs: 500 },
    ));

  it("never throws on arbitrary values, and a credential it reads re-joins to its input", () =>
    checkProperty(
      fc.property(
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 80 }),
          fc.array(
            fc.constantFrom(
              "Credential=",
              "Signature=",
              "AdditionalHeaders=",
              ",",
              "/",
              "=",
              " ",
              "ak",
              "20240101",
              "cn-hangzhou",
              "oss",
              "aliyun_v4_request",
              ";",
            ),
            { maxLength: 16 },
          ).map((t) => t.join("")),
        ),
        (tail) => {
          const parsed = parseAuthorizationV4(`${ALGORITHM_V4} ${tail}`);
          if (parsed) {
            assert.ok(parsed.signature !== "" && /^\d{8}$/.test(parsed.day));
            assert.ok(parsed.accessKeyId !== "" && parsed.region !== "" && parsed.product !== "");
          }
          const credential = parseCredentialV4(tail);
          if (credential) {
            const { accessKeyId: a, day, region: r, product } = credential;
            assert.equal(`${a}/${day}/${r}/${product}/aliyun_v4_request`, tail);
          }
          if (!tail.startsWith(`${ALGORITHM_V4} `)) {
            assert.equal(parseAuthorizationV4(tail), undefined);
          }
        },
      ),
      { runs: 1000 },
    ));
});

describe("fuzz: V1 Authorization", () => {
  it("parses back what signV1 writes", () =>
    checkProperty(
      fc.asyncProperty(
        accessKeyId,
        secret,
        signingTime,
        fc.string({ minLength: 1, maxLength: 20 }),
        async (
          ak,
          sk,
          now,
          key,
        ) => {
          const req = request(key, {});
          await signV1(req, { credentials: { accessKeyId: ak, accessKeySecret: sk }, now });
          const parsed = parseAuthorizationV1(req.headers.get("authorization")!);
          assert.equal(parsed?.accessKeyId, ak);
          assert.match(parsed?.signature ?? "", /^[A-Za-z0-9+/]{27}=$/);
        },
      ),
      { runs: 100, weight: 0.2 },
    ));

  it("never throws on arbitrary values, and what it reads re-joins to its input", () =>
    checkProperty(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }), fc.boolean(), (rest, prefixed) => {
        const value = prefixed ? `OSS ${rest}` : rest;
        const parsed = parseAuthorizationV1(value);
        if (parsed) {
          assert.ok(parsed.accessKeyId !== "" && parsed.signature !== "");
          assert.ok(!parsed.accessKeyId.includes(":"));
          assert.equal(
            `OSS ${parsed.accessKeyId}:${parsed.signature}`,
            `OSS ${value.slice(4).trim()}`,
          );
        }
      }),
      { runs: 1000 },
    ));
});

describe("fuzz: signature comparison", () => {
  it("is equality, for any strings, whatever their lengths", () =>
    checkProperty(
      fc.property(
        fc.string({ unit: "binary", maxLength: 70 }),
        fc.string({ unit: "binary", maxLength: 70 }),
        fc.boolean(),
        (a, b, same) => {
          assert.equal(signaturesEqual(a, same ? a : b), same || a === b);
          // A prefix or an extension never compares equal.
          if (a !== "") assert.equal(signaturesEqual(a, a.slice(0, -1)), false);
          assert.equal(signaturesEqual(a, a + "\u0000"), false);
        },
      ),
      { runs: 1000 },
    ));
});
