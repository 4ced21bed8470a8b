// Shared with the published contract suites.
export { signalled } from "../lib/testing/_signalled.ts";
