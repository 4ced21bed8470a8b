/**
 * What a fetch under test did: its outcome within a ceiling, so a transport that hangs fails
 * with a message instead of stalling the run, and whether a rejection is a network error.
 *
 * @module
 */

import assert from "node:assert/strict";

/**
 * Ceiling on a wait for a transport to settle. Only a safety net, never what a test asserts: a
 * correct transport settles in milliseconds, so this is far above what any load delays it.
 */
export const HANG_CEILING_MS = 60_000;

/** The fetch's outcome, or "still pending" after `ms` (so a hang fails instead of stalling). */
export function settleWithin<T = Response>(
  pending: Promise<T>,
  ms = HANG_CEILING_MS,
): Promise<{ res: T } | { error: unknown } | "still pending"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"still pending">((resolve) => {
    timer = setTimeout(() => resolve("still pending"), ms);
  });
  // The timer is cleared once the fetch settles, so it holds no test runner open.
  const settled = pending.then((res) => ({ res }), (error: unknown) => ({ error }))
    .finally(() => clearTimeout(timer));
  return Promise.race([settled, late]);
}

/** Asserts `err` is a TypeError with a cause, as fetch fails on network errors. */
export function isNetworkError(err: unknown): boolean {
  assert.ok(err instanceof TypeError, `expected a TypeError, got ${String(err)}`);
  assert.ok((err as { cause?: unknown }).cause !== undefined, "the TypeError has a cause");
  return true;
}
