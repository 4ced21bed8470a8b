/**
 * Pacing: bandwidth limits (`limitRate`) and the clock they and the link emulator run on.
 *
 * @module
 */

export * from "./clock.ts";
export * from "./rate_limiter.ts";
export * from "./paced_body.ts";
