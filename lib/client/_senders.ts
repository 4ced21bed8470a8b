/**
 * Links each client to its request sender without putting the sender (and
 * the credentials it holds) on the client's public surface.
 *
 * @module
 */

import type { OssClient } from "./oss_client.ts";
import type { RequestSender } from "./_request.ts";

const SENDERS = new WeakMap<OssClient, RequestSender>();

/** Records the sender of a new client. */
export function registerSender(client: OssClient, sender: RequestSender): void {
  SENDERS.set(client, sender);
}

/** The sender of a client; throws for an object that is not an `OssClient`. */
export function senderOf(client: OssClient): RequestSender {
  const sender = SENDERS.get(client);
  if (!sender) throw new TypeError("expected an OssClient");
  return sender;
}
