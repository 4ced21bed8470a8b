/**
 * A promise a test resolves from a callback: how tests wait on an event
 * (a part started, a request arrived) instead of polling a flag.
 *
 * @module
 */

/** A promise and its resolver. */
export function signalled<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => resolve = r);
  return { promise, resolve };
}
