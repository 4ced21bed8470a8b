// The doc examples of the transfer engines' folders (upload, download, append, sink, source,
// checkpoint, pacing) run and pass (see _doc_examples.ts). Deno only.
import { docExamplesSuite } from "./_doc_examples.ts";

docExamplesSuite("transfers");
