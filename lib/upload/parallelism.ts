/**
 * What `partSize` and `routines` a part-based transfer (upload, download, copy) takes, `"auto"`
 * included, and what it reports of them: the settings every engine resolves the same way.
 *
 * @module
 */

import {
  AdaptiveRoutines,
  type AdaptiveRoutinesOptions,
  INITIAL_ROUTINES,
} from "./adaptive_routines.ts";
import type { PartScheduler } from "./part_scheduler.ts";

/**
 * Default number of parts uploaded at once, as in the Go SDK: 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_ROUTINES, OssClient } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 *
 * const file = new Blob([new Uint8Array(500 * 1024)]);
 * const result = await bucket.uploadFile("big.iso", file, { routines: DEFAULT_ROUTINES * 4 });
 * assert.equal(result.routines?.peak, 4); // 5 parts, 4 at once
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export const DEFAULT_ROUTINES = 1;

/**
 * Most parts uploaded at once, as in the Go SDK: 100.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_ROUTINES, OssClient } from "@ossup/ossup";
 *
 * const client = new OssClient({ endpoint: "http://127.0.0.1:9000", accessKeyId: "ak", accessKeySecret: "sk" });
 * const bucket = client.bucket("examplebucket");
 * const wanted = 256;
 * assert.equal(Math.min(wanted, MAX_ROUTINES), 100);
 * // More is refused before anything is sent:
 * await assert.rejects(bucket.uploadFile("big.iso", new Blob(["x"]), { routines: wanted }), RangeError);
 * ```
 */
export const MAX_ROUTINES = 100;

/**
 * Most parts at once of `routines: "auto"` unless `maxRoutines` says otherwise: 32. Enough to
 * fill a 20 Mbit/s link 300 ms away through 64 KiB windows (about 12 connections), with room.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_MAX_ROUTINES } from "@ossup/ossup";
 *
 * assert.equal(DEFAULT_MAX_ROUTINES, 32);
 * ```
 */
export const DEFAULT_MAX_ROUTINES = 32;

/**
 * Most parts at once of `routines: "auto"` when `maxRoutines` is not given and the transfer's
 * first exchange (Initiate or HEAD) took {@linkcode FAR_ROUTINES_EXCHANGE_MS} or more: 64, still
 * within `maxMemory`. Parts of one size started together end together on a link that shares
 * itself evenly, and each wave's end costs a round trip; far away that round trip is long, and
 * more routines make fewer waves. Measured at 300 ms, 20 Mbit/s, 64 KiB windows (80 MiB, seeded
 * resets): uploads 88% of the link with 32 on Deno, Bun and Node, 92–93% with 64.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FAR_MAX_ROUTINES } from "@ossup/ossup";
 *
 * assert.equal(FAR_MAX_ROUTINES, 64);
 * ```
 */
export const FAR_MAX_ROUTINES = 64;

/**
 * First exchange, in milliseconds, from which `"auto"` allows {@linkcode FAR_MAX_ROUTINES}: 400.
 * A cold first exchange is a handshake and a request, two round trips, so this is a server
 * about 200 ms away (one round trip on a connection already open: 400 ms away); at 150 ms
 * (about 300 ms cold) 32 routines already reach 94%.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FAR_ROUTINES_EXCHANGE_MS } from "@ossup/ossup";
 *
 * assert.equal(FAR_ROUTINES_EXCHANGE_MS, 400);
 * ```
 */
export const FAR_ROUTINES_EXCHANGE_MS = 400;

/**
 * Memory budget of `routines: "auto"` unless `maxMemory` says otherwise: 256 MiB. The parts in
 * flight times the part size never exceed it (`partSize: "auto"` picks a part size that lets
 * all `maxRoutines` fit).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_MAX_MEMORY } from "@ossup/ossup";
 *
 * assert.equal(DEFAULT_MAX_MEMORY, 256 * 1024 * 1024);
 * ```
 */
export const DEFAULT_MAX_MEMORY = 256 * 1024 * 1024;

/**
 * How many parts a transfer sends at once: a number (1 to 100, exactly that many, as the Go
 * SDK's `Routines(n)`), or `"auto"`: adapted while it runs (see `adaptive_routines.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient, type RoutinesSetting } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 *
 * const fixed: RoutinesSetting = 4;
 * const adaptive: RoutinesSetting = "auto";
 * const file = new Blob([new Uint8Array(500 * 1024)]);
 * const a = await bucket.uploadFile("a.iso", file, { partSize: 100 * 1024, routines: fixed });
 * const b = await bucket.uploadFile("b.iso", file, { partSize: 100 * 1024, routines: adaptive });
 * assert.deepEqual([a.routines?.auto, b.routines?.auto], [false, true]);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export type RoutinesSetting = number | "auto";

/**
 * The parallelism options every part-based transfer takes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient, type ParallelismOptions } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 *
 * const options: ParallelismOptions = { routines: "auto", maxRoutines: 16, maxMemory: 128 << 20 };
 * const result = await bucket.uploadFile("big.iso", new Blob([new Uint8Array(500 * 1024)]), options);
 * assert.ok(result.routines!.peak <= 16);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface ParallelismOptions {
  /**
   * Parts at once: 1 to 100, or `"auto"` (starts at 8, more when the first exchange with the
   * server took over 100 ms (8 per 100 ms of it: a distant server), or at every part when there
   * are no more than `maxRoutines` and `maxMemory` allow at once; grows while throughput grows,
   * backs off on throttling, clustered resets and rising latency, within `maxRoutines` and
   * `maxMemory`).
   * @default {1}
   */
  routines?: RoutinesSetting;
  /**
   * With `routines: "auto"`: most parts at once, 1 to 100. Not given, 32, or 64 when the
   * transfer's first exchange took 400 ms or more (a far server: see `FAR_MAX_ROUTINES`).
   * @default {32}
   */
  maxRoutines?: number;
  /**
   * With `routines: "auto"`: bytes the parts in flight may hold, parts in flight × part size
   * (a copy holds none: its parts are copied by the server, so only `maxRoutines` bounds it).
   * @default {268435456}
   */
  maxMemory?: number;
  /**
   * With `routines: "auto"`: the controller's start, shortest measuring window and clock (see
   * {@linkcode AdaptiveRoutinesOptions}); for tests and experiments, the defaults suit transfers.
   */
  adaptive?: Omit<AdaptiveRoutinesOptions, "max">;
}

/**
 * What a transfer ran with, in its result.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient, type RoutinesUsed } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 *
 * const result = await bucket.uploadFile("big.iso", new Blob([new Uint8Array(500 * 1024)]), {
 *   partSize: 100 * 1024,
 *   routines: 4,
 * });
 * const used: RoutinesUsed = result.routines!;
 * assert.deepEqual(used, { auto: false, max: 4, peak: 4, final: 4, backoffs: 0 });
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface RoutinesUsed {
  /** True for `routines: "auto"`. */
  auto: boolean;
  /** Most routines allowed: the number given, or `maxRoutines` lowered to what `maxMemory` allows. */
  max: number;
  /** Most routines that ran at once. */
  peak: number;
  /** Routines wanted when the last part ended. */
  final: number;
  /** Times `"auto"` backed off (throttling, resets, timeouts, rising latency); 0 for a number. */
  backoffs: number;
}

/** Parallelism options checked, with defaults applied. */
export interface ResolvedParallelism {
  routines: RoutinesSetting;
  maxRoutines: number;
  /** Whether the caller gave `maxRoutines` (else a far server may get more). */
  maxRoutinesGiven: boolean;
  maxMemory: number;
  adaptive: Omit<AdaptiveRoutinesOptions, "max">;
}

/**
 * Checks `routines`, `maxRoutines` and `maxMemory` and applies their defaults.
 *
 * @param options The caller's options.
 * @param defaultRoutines `routines` when it is not given.
 * @returns The settings.
 * @throws {TypeError} For a `routines` that is neither a number nor `"auto"`.
 * @throws {RangeError} For numbers out of range.
 */
export function resolveParallelism(
  options: ParallelismOptions,
  defaultRoutines: RoutinesSetting,
): ResolvedParallelism {
  const routines = options.routines ?? defaultRoutines;
  if (routines !== "auto" && typeof routines !== "number") {
    throw new TypeError(
      `routines must be "auto" or a whole number from 1 to ${MAX_ROUTINES}; got ${
        JSON.stringify(routines)
      }`,
    );
  }
  if (
    routines !== "auto" &&
    (!Number.isSafeInteger(routines) || routines < 1 || routines > MAX_ROUTINES)
  ) {
    throw new RangeError(
      `routines must be "auto" or a whole number from 1 to ${MAX_ROUTINES}; got ${routines}`,
    );
  }
  const maxRoutines = options.maxRoutines ?? DEFAULT_MAX_ROUTINES;
  if (!Number.isSafeInteger(maxRoutines) || maxRoutines < 1 || maxRoutines > MAX_ROUTINES) {
    throw new RangeError(
      `maxRoutines must be a whole number from 1 to ${MAX_ROUTINES}; got ${maxRoutines}`,
    );
  }
  const maxMemory = options.maxMemory ?? DEFAULT_MAX_MEMORY;
  if (!Number.isSafeInteger(maxMemory) || maxMemory < 1) {
    throw new RangeError(`maxMemory must be a whole number of bytes ≥ 1; got ${maxMemory}`);
  }
  return {
    routines,
    maxRoutines,
    maxRoutinesGiven: options.maxRoutines !== undefined,
    maxMemory,
    adaptive: options.adaptive ?? {},
  };
}

/**
 * The settings once the first exchange's time is known: with `"auto"` and no `maxRoutines`
 * given, a first exchange of {@linkcode FAR_ROUTINES_EXCHANGE_MS} or more raises `maxRoutines`
 * to {@linkcode FAR_MAX_ROUTINES} (`maxMemory` still bounds the routines). Otherwise, or with
 * no exchange (a resume), the settings as they are.
 *
 * @param settings The resolved settings.
 * @param firstExchangeMs How long the Initiate or HEAD took.
 * @returns The settings to choose the part size and routines with.
 */
export function forFirstExchange(
  settings: ResolvedParallelism,
  firstExchangeMs: number | undefined,
): ResolvedParallelism {
  if (
    settings.routines !== "auto" || settings.maxRoutinesGiven || firstExchangeMs === undefined ||
    firstExchangeMs < FAR_ROUTINES_EXCHANGE_MS
  ) {
    return settings;
  }
  return { ...settings, maxRoutines: Math.max(settings.maxRoutines, FAR_MAX_ROUTINES) };
}

/**
 * What a {@linkcode PartScheduler} runs for these settings: the fixed number (never more than
 * the parts to send), or a controller within `maxRoutines` and `maxMemory / partMemory`. A
 * transfer of no more parts than that runs as one wave: the controller starts with every part
 * at once (unless `adaptive.initial` says otherwise), since its windows would end only as the
 * parts do, too late to add any; a longer one starts at `INITIAL_ROUTINES` (8) and climbs.
 *
 * @param settings The resolved settings.
 * @param parts Parts to send in this run.
 * @param partMemory Bytes one part in flight holds (the part size; 0 for a server-side copy).
 * @returns A count or a controller.
 * @throws {RangeError} With `"auto"`, when one part alone needs more than `maxMemory`.
 */
export function routinesFor(
  settings: ResolvedParallelism,
  parts: number,
  partMemory: number,
): number | AdaptiveRoutines {
  if (settings.routines !== "auto") return Math.min(settings.routines, parts);
  const byMemory = partMemory > 0 ? Math.floor(settings.maxMemory / partMemory) : Infinity;
  if (byMemory < 1) {
    throw new RangeError(
      `maxMemory of ${settings.maxMemory} bytes is less than one part of ${partMemory} bytes: ` +
        `raise maxMemory to at least the part size, or use a smaller partSize (or "auto")`,
    );
  }
  const bound = Math.max(1, Math.min(settings.maxRoutines, byMemory));
  const max = Math.min(bound, Math.max(1, parts));
  // One wave: every part at once (see above).
  const initial = settings.adaptive.initial ?? (parts <= bound ? max : undefined);
  return new AdaptiveRoutines({ ...settings.adaptive, max, initial });
}

/**
 * What a run used, for its result.
 *
 * @param scheduler The run's scheduler, after the run.
 * @param routines What it ran (from {@linkcode routinesFor}).
 * @returns The figures.
 */
export function routinesUsed(
  scheduler: PartScheduler | undefined,
  routines: number | AdaptiveRoutines,
): RoutinesUsed {
  if (typeof routines === "number") {
    return {
      auto: false,
      max: routines,
      peak: scheduler?.peakRoutines ?? 0,
      final: routines,
      backoffs: 0,
    };
  }
  return {
    auto: true,
    max: routines.max,
    peak: scheduler?.peakRoutines ?? 0,
    final: routines.routines,
    backoffs: routines.backoffs,
  };
}

/**
 * What a run of `parts` parts runs: a fixed count no larger than the parts, or the controller
 * (whose routines that find no part left simply end).
 */
export function routinesForParts(
  routines: number | AdaptiveRoutines,
  parts: number,
): number | AdaptiveRoutines {
  return typeof routines === "number" ? Math.min(routines, parts) : routines;
}

/**
 * The routines a transfer starts with, before its part count and first exchange are known (to
 * open that many connections ahead): a fixed count as it is, `"auto"` its start within
 * `maxRoutines`.
 *
 * @param settings The resolved parallelism.
 * @returns The count, at least 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveParallelism, startingRoutines } from "./parallelism.ts";
 *
 * assert.equal(startingRoutines(resolveParallelism({ routines: 4 }, 1)), 4);
 * assert.equal(startingRoutines(resolveParallelism({ routines: "auto" }, 1)), 8);
 * assert.equal(startingRoutines(resolveParallelism({ routines: "auto", maxRoutines: 2 }, 1)), 2);
 * ```
 */
export function startingRoutines(settings: ResolvedParallelism): number {
  if (settings.routines !== "auto") return settings.routines;
  const start = settings.adaptive.initial ?? INITIAL_ROUTINES;
  return Math.max(1, Math.min(start, settings.maxRoutines));
}

/** The routines wanted now, for progress events. */
export function routinesNow(routines: number | AdaptiveRoutines): number {
  return typeof routines === "number" ? routines : routines.routines;
}

/**
 * Tells `"auto"`'s controller how long the transfer's first exchange took (its Initiate or
 * HEAD), before the parts start: a long path starts more routines (see
 * {@linkcode AdaptiveRoutines.firstExchange}). A fixed count, or no exchange (a resume), is
 * left as it is.
 *
 * @param routines What the run runs (from {@linkcode routinesFor}).
 * @param ms The exchange's time in milliseconds, if there was one.
 */
export function reportFirstExchange(
  routines: number | AdaptiveRoutines,
  ms: number | undefined,
): void {
  if (ms !== undefined && typeof routines !== "number") routines.firstExchange(ms);
}

/**
 * A first exchange's time as `"auto"` reads it: a cold one, a handshake and a request. When the
 * request went on a connection opened ahead (at `openedAt`, while the run did its local work),
 * part or all of the handshake was already paid before it was sent; that part is added back, at
 * most one more of the request's own time (a handshake is one round trip, the request at least
 * one), so a run that waited long before sending (on a lock) does not look far away.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { coldExchangeMs } from "./parallelism.ts";
 *
 * assert.equal(coldExchangeMs(100, 140), 40); // its own connection: as measured
 * assert.equal(coldExchangeMs(100, 120, 70), 40); // 20 ms away, opened 30 ms before
 * assert.equal(coldExchangeMs(100, 670, 70), 600); // 300 ms away, handshake 30 ms along
 * assert.equal(coldExchangeMs(5000, 5020, 0), 40); // sent after a long wait on a lock
 * ```
 *
 * @param askedAt When the request was made (`performance.now()`).
 * @param answeredAt When its answer came.
 * @param openedAt When its connections began opening ahead of it, if they did.
 * @returns Milliseconds.
 */
export function coldExchangeMs(askedAt: number, answeredAt: number, openedAt?: number): number {
  const measured = answeredAt - askedAt;
  if (openedAt === undefined || openedAt >= askedAt) return measured;
  return measured + Math.min(askedAt - openedAt, measured);
}
