/**
 * The hostile CompleteMultipartUpload of `server_hostile_xml.test.ts` and its
 * child: 7.5 MB of `&amp;` entities in one ETag, a well-formed body just
 * under the 8 MiB limit, sent over a raw socket so that many can be in flight
 * at once and finished together.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { connect, type Socket } from "node:net";

/** The bucket the hostile bodies are sent to. */
export const HOSTILE_BUCKET = "hostile";

/** 7.5 MB of `&amp;` inside one ETag. */
export const ENTITY_BODY: Uint8Array = new TextEncoder().encode(
  "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" +
    "&amp;".repeat(1_500_000) + "</ETag></Part></CompleteMultipartUpload>",
);

/** A CompleteMultipartUpload in flight: all but its last byte sent. */
export interface PendingComplete {
  socket: Socket;
  /** Sends the last byte. */
  finish(): void;
  /** The raw answer, once the server has closed the connection. */
  answer: Promise<string>;
}

/**
 * Opens a socket to `endpoint` (`host:port`) and sends a CompleteMultipartUpload head and
 * `body` without its last byte.
 */
export function startComplete(endpoint: string, body: Uint8Array): PendingComplete {
  const [host, port] = endpoint.split(":");
  const socket = connect({ host, port: Number(port) });
  const chunks: Buffer[] = [];
  socket.on("data", (d: Buffer) => chunks.push(d));
  const answer = new Promise<string>((resolve) => {
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.on("error", () => {});
  });
  socket.write(
    `POST /${HOSTILE_BUCKET}/key?uploadId=00000000000000000000000000000000 HTTP/1.1\r\n` +
      `Host: ${endpoint}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
  );
  socket.write(body.subarray(0, body.length - 1));
  return { socket, finish: () => socket.write(body.subarray(body.length - 1)), answer };
}
