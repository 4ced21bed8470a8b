/** Assertions shared by the server tests. @module */

import assert from "node:assert/strict";
import { childText, parseXml, type XmlElement } from "../lib/xml/xml.ts";

/** Asserts an OSS error answer (status, XML body with Code/Message/RequestId/HostId). */
export function assertOssError(
  r: { status: number; headers: Headers; text: string },
  status: number,
  code: string,
): XmlElement {
  assert.equal(r.status, status, r.text);
  assert.equal(r.headers.get("content-type"), "application/xml");
  const root = parseXml(r.text);
  assert.equal(root.name, "Error");
  assert.equal(childText(root, "Code"), code, r.text);
  assert.ok(childText(root, "Message"));
  assert.match(childText(root, "RequestId") ?? "", /^[0-9A-F]{24}$/);
  assert.equal(childText(root, "RequestId"), r.headers.get("x-oss-request-id"));
  assert.ok(childText(root, "HostId"));
  return root;
}
