// How the command line words and codes a checkpoint that cannot be written
// (exit 8) apart from one held by another process (exit 7).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { reportError } from "../lib/cli/error_report.ts";
import { EXIT } from "../lib/cli/cli_error.ts";
import { CheckpointError, CheckpointIoError } from "../lib/errors/errors.ts";

describe("reportError for checkpoints", () => {
  it("a full disk is exit 8, naming the path and what to do", () => {
    const r = reportError(
      new CheckpointIoError("cannot append to checkpoint /data/big.iso.cp", {
        systemCode: "ENOSPC",
      }),
      { verbose: false },
    );
    assert.equal(r.exitCode, EXIT.checkpointIo);
    assert.equal(r.exitCode, 8);
    assert.equal(
      r.message,
      "checkpoint I/O failed: cannot append to checkpoint /data/big.iso.cp (ENOSPC); " +
        "the disk is full: free some space, or put checkpoints elsewhere with --checkpoint-dir",
    );
  });

  it("an I/O failure without a known code still says to check the disk", () => {
    const r = reportError(new CheckpointIoError("cannot write checkpoint x.cp"), {
      verbose: false,
    });
    assert.equal(r.exitCode, 8);
    assert.match(
      r.message,
      /^checkpoint I\/O failed: cannot write checkpoint x\.cp; check the disk/,
    );
  });

  it("a checkpoint in use stays exit 7", () => {
    const r = reportError(
      new CheckpointError("CheckpointLocked", "checkpoint x.cp is in use by process 42"),
      { verbose: false },
    );
    assert.equal(r.exitCode, EXIT.checkpoint);
    assert.equal(r.exitCode, 7);
    assert.equal(r.message, "checkpoint x.cp is in use by process 42");
  });
});
