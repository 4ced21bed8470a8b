/**
 * The OSS XML bodies, read and written without a DOM.
 *
 * @module
 */

export * from "./xml.ts";
