// Shared with the published transport contract.
export { type Recorder, startRecorder } from "../lib/testing/_recording_server.ts";
