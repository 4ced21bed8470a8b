/**
 * What the per-area bucket modules need of a bucket: its name and the client's sender.
 *
 * @module
 */

import type { RequestSender } from "./_request.ts";

/** The bucket an area function addresses, and the sender it sends through. */
export interface BucketTarget {
  /** The bucket name (validated). */
  readonly name: string;
  /** The owning client's sender: signing, timeouts, retries. */
  readonly sender: RequestSender;
}
