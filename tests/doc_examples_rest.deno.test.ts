// The doc examples of every file the other shards do not take (the entries, adapters, errors,
// signing, cli, …) run and pass (see _doc_examples.ts). Deno only.
import { docExamplesSuite } from "./_doc_examples.ts";

docExamplesSuite("rest");
