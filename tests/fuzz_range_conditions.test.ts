/**
 * Property-based fuzzing of the Range reader (lib/server/_range.ts) against
 * a BigInt model of OSS's rules, and of conditional headers
 * (lib/server/_conditions.ts) by their RFC 9110 relations: what matches,
 * what takes precedence, what is ignored. Seeds and runs: tests/_fuzz.ts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseRange, type RangeRequest } from "../lib/server/_range.ts";
import {
  type ConditionNames,
  COPY_SOURCE_CONDITIONS,
  evaluateConditions,
  GET_CONDITIONS,
} from "../lib/server/_conditions.ts";
import type { ObjectMeta } from "../lib/server/storage.ts";
import { ServerError } from "../lib/server/server_error.ts";
import { checkProperty, fc } from "./_fuzz.ts";

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** OSS's reading of `bytes=<first>-<last>` (digit strings, maybe empty), in exact arithmetic. */
function rangeModel(first: string, last: string, size: number): RangeRequest {
  if (first === "" && last === "") return { kind: "whole" };
  const n = BigInt(size);
  if (first === "") {
    const suffix = BigInt(last);
    if (suffix === 0n || n === 0n) return { kind: "unsatisfiable" };
    const start = n > suffix ? n - suffix : 0n;
    return { kind: "range", start: Number(start), end: size - 1 };
  }
  const start = BigInt(first);
  const end = last === "" ? undefined : BigInt(last);
  if (start > MAX_SAFE || (end !== undefined && (end > MAX_SAFE || end < start))) {
    return { kind: "whole" };
  }
  if (start >= n) return { kind: "unsatisfiable" };
  const clamped = end === undefined || end >= n ? n - 1n : end;
  return { kind: "range", start: Number(start), end: Number(clamped) };
}

const digits = fc.oneof(
  fc.constant(""),
  fc.nat({ max: 5000 }).map(String),
  fc.stringMatching(/^0{0,3}[0-9]{1,6}$/),
  fc.bigInt({ min: 0n, max: 10n ** 25n }).map(String),
  fc.constantFrom("9007199254740991", "9007199254740992", "9007199254740993"),
);
const space = fc.constantFrom("", " ", "  ", "\t");
const unit = fc.constantFrom("bytes", "BYTES", "Bytes");
const size = fc.oneof(fc.nat({ max: 5000 }), fc.constantFrom(0, 1, Number.MAX_SAFE_INTEGER));

describe("fuzz: Range header", () => {
  it("reads every well-formed single range as the exact model does", () =>
    checkProperty(
      fc.property(
        unit,
        space,
        space,
        space,
        space,
        digits,
        digits,
        size,
        (u, s1, s2, s3, s4, a, b, n) => {
          const header = `${s1}${u}${s2}=${s3}${a}${s4}-${b}${s1}`;
          assert.deepEqual(parseRange(header, n), rangeModel(a, b, n), header);
        },
      ),
      { runs: 1000 },
    ));

  it("never throws, and any range it gives lies inside the object", () =>
    checkProperty(
      fc.property(
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 30 }),
          fc.array(fc.constantFrom("bytes", "=", "-", ",", " ", "1", "0", "99", "e5", "+", "."), {
            maxLength: 10,
          }).map((t) => t.join("")),
        ),
        size,
        (header, n) => {
          const r = parseRange(header, n);
          if (r.kind === "range") {
            assert.ok(Number.isSafeInteger(r.start) && Number.isSafeInteger(r.end));
            assert.ok(0 <= r.start && r.start <= r.end && r.end < n, JSON.stringify(r));
          }
        },
      ),
      { runs: 1000 },
    ));
});

const hexEtag = fc.stringMatching(/^[0-9A-F]{32}$/);
const otherEtags = (etag: string) => fc.array(hexEtag.filter((e) => e !== etag), { maxLength: 3 });

/** The ways a client may write an ETag in a condition list. */
function written(etag: string, style: number): string {
  const cased = style & 1 ? etag.toLowerCase() : etag;
  const quoted = style & 2 ? `"${cased}"` : cased;
  return style & 4 ? `W/${quoted}` : quoted;
}

function meta(etag: string, lastModified: Date): ObjectMeta {
  return {
    key: "k",
    size: 1,
    etag,
    crc64: 0n,
    lastModified,
    objectType: "Normal",
  } as ObjectMeta;
}

/** Evaluates, turning a 412 into the header it names. */
function outcome(headers: Headers, m: ObjectMeta, names: ConditionNames): string {
  try {
    return evaluateConditions(headers, m, names) ?? "proceed";
  } catch (err) {
    assert.ok(err instanceof ServerError, `not a ServerError: ${err}`);
    assert.equal(err.status, 412);
    assert.equal(err.code, "PreconditionFailed");
    return `412 ${err.extra.Condition}`;
  }
}

const names = fc.constantFrom(GET_CONDITIONS, COPY_SOURCE_CONDITIONS);
// Whole seconds between 2001 and 2100 plus a sub-second part: HTTP dates have whole seconds.
const modified = fc.integer({ min: 978307200, max: 4102444800 }).chain((s) =>
  fc.integer({ min: 0, max: 999 }).map((ms) => new Date(s * 1000 + ms))
);
const httpDate = (d: Date, offsetSeconds: number) =>
  new Date(Math.floor(d.getTime() / 1000) * 1000 + offsetSeconds * 1000).toUTCString();

describe("fuzz: conditional headers", () => {
  it("If-Match passes for the object's ETag however written, in any list position, and for *", () =>
    checkProperty(
      fc.property(
        hexEtag.chain((etag) => fc.tuple(fc.constant(etag), otherEtags(etag))),
        names,
        fc.nat(7),
        fc.nat(3),
        modified,
        ([etag, others], n, style, pos, lm) => {
          const list = [...others];
          list.splice(pos % (list.length + 1), 0, written(etag, style));
          const h = new Headers({ [n.ifMatch]: list.join(" , ") });
          assert.equal(outcome(h, meta(etag, lm), n), "proceed");
          assert.equal(outcome(new Headers({ [n.ifMatch]: "*" }), meta(etag, lm), n), "proceed");
        },
      ),
    ));

  it("If-Match without the ETag fails with 412 naming it, whatever If-Unmodified-Since says", () =>
    checkProperty(
      fc.property(hexEtag, names, modified, fc.integer({ min: -5, max: 5 }), (etag, n, lm, off) => {
        const other = etag === "0".repeat(32) ? "1".repeat(32) : "0".repeat(32);
        const h = new Headers({
          [n.ifMatch]: `"${other}"`,
          [n.ifUnmodifiedSince]: httpDate(lm, off),
        });
        assert.equal(outcome(h, meta(etag, lm), n), `412 ${n.ifMatch}`);
      }),
    ));

  it("If-None-Match with the ETag is 304, and outranks If-Modified-Since", () =>
    checkProperty(
      fc.property(hexEtag, names, fc.nat(7), modified, fc.integer({ min: -5, max: 5 }), (
        etag,
        n,
        style,
        lm,
        off,
      ) => {
        const h = new Headers({
          [n.ifNoneMatch]: written(etag, style),
          [n.ifModifiedSince]: httpDate(lm, off),
        });
        assert.equal(outcome(h, meta(etag, lm), n), "not-modified");
        const other = etag === "0".repeat(32) ? "1".repeat(32) : "0".repeat(32);
        h.set(n.ifNoneMatch, `"${other}"`);
        assert.equal(outcome(h, meta(etag, lm), n), "proceed");
      }),
    ));

  it("dates compare at whole seconds: modified since an earlier second, not since its own", () =>
    checkProperty(
      fc.property(hexEtag, names, modified, fc.integer({ min: -100000, max: 100000 }), (
        etag,
        n,
        lm,
        off,
      ) => {
        const m = meta(etag, lm);
        const since = new Headers({ [n.ifModifiedSince]: httpDate(lm, off) });
        assert.equal(outcome(since, m, n), off >= 0 ? "not-modified" : "proceed");
        const unmodified = new Headers({ [n.ifUnmodifiedSince]: httpDate(lm, off) });
        assert.equal(
          outcome(unmodified, m, n),
          off >= 0 ? "proceed" : `412 ${n.ifUnmodifiedSince}`,
        );
      }),
    ));

  it("ignores dates it cannot read and never throws anything but a 412", () =>
    checkProperty(
      fc.property(
        hexEtag,
        names,
        modified,
        fc.record({
          a: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
          b: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
          c: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
          d: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
        }),
        (etag, n, lm, v) => {
          const h = new Headers();
          const put = (name: string, value: string | undefined) => {
            // Headers refuse some characters; skip those values as a client could not send them.
            if (value !== undefined) {
              try {
                h.set(name, value);
              } catch { /* not a header value */ }
            }
          };
          put(n.ifMatch, v.a);
          put(n.ifNoneMatch, v.b);
          put(n.ifModifiedSince, v.c);
          put(n.ifUnmodifiedSince, v.d);
          outcome(h, meta(etag, lm), n);
          const unreadable = new Headers({
            [n.ifModifiedSince]: "yesterday",
            [n.ifUnmodifiedSince]: "not a date",
          });
          assert.equal(outcome(unreadable, meta(etag, lm), n), "proceed");
        },
      ),
    ));
});
