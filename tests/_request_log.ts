// Shared with the published contract suites.
export { RequestLog, type Targeted } from "../lib/testing/_request_log.ts";
