/**
 * Settings of the property-based fuzz tests (`tests/fuzz_*.test.ts`, on
 * fast-check): a fixed seed and a small number of runs by default, so that
 * `npm test` is deterministic and fast; more runs or another seed for long
 * hunts:
 *
 * ```sh
 * npm test -- fuzz_                                   # fixed seed, default runs
 * npm test -- --fuzz-runs 100000 --fuzz-seed 7 fuzz_  # a long hunt
 * OSSUP_FUZZ_RUNS=100000 OSSUP_FUZZ_SEED=7 node --import tsx --test tests/fuzz_xml.test.ts
 * ```
 *
 * A failing property reports its seed, the path of the failing case and the
 * shrunk counterexample; `OSSUP_FUZZ_SEED` with that seed replays it.
 *
 * @module
 */

import fc from "fast-check";
import process from "node:process";

/** Seed of every property when `OSSUP_FUZZ_SEED` is unset: CI replays the same cases. */
export const DEFAULT_FUZZ_SEED = 20261204;

function envInteger(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) {
    throw new RangeError(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** The seed every property runs with: `OSSUP_FUZZ_SEED`, or {@linkcode DEFAULT_FUZZ_SEED}. */
export function fuzzSeed(): number {
  return envInteger("OSSUP_FUZZ_SEED") ?? DEFAULT_FUZZ_SEED;
}

/**
 * Runs per property: `OSSUP_FUZZ_RUNS` (scaled by `weight`, at least 1) or
 * `defaultRuns`. A property whose cases are costly passes a `weight` below 1
 * so that a long hunt scales every property alike.
 */
export function fuzzRuns(defaultRuns: number, weight = 1): number {
  const runs = envInteger("OSSUP_FUZZ_RUNS");
  return runs === undefined ? defaultRuns : Math.max(1, Math.round(runs * weight));
}

/** Options of {@linkcode checkProperty}. */
export interface CheckPropertyOptions {
  /** Runs when `OSSUP_FUZZ_RUNS` is unset. Default 200. */
  runs?: number;
  /** Share of `OSSUP_FUZZ_RUNS` this property runs (for costly cases). Default 1. */
  weight?: number;
  /** Counterexamples fast-check must always try first (regressions). */
  examples?: unknown[];
}

/**
 * `fc.assert` with the campaign's seed and run count. Throws fast-check's
 * report (seed, path, shrunk counterexample) when the property fails.
 */
export function checkProperty<Ts>(
  property: fc.IProperty<Ts> | fc.IAsyncProperty<Ts>,
  o: CheckPropertyOptions = {},
): void | Promise<void> {
  const params = {
    seed: fuzzSeed(),
    numRuns: fuzzRuns(o.runs ?? 200, o.weight ?? 1),
    // deno-lint-ignore no-explicit-any
    examples: (o.examples ?? []) as any[],
    endOnFailure: false,
  };
  // deno-lint-ignore no-explicit-any
  return fc.assert(property as any, params);
}

export { fc };
