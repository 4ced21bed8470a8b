// The doc examples of lib/client/ run and pass (see _doc_examples.ts). Deno only.
import { docExamplesSuite } from "./_doc_examples.ts";

docExamplesSuite("client");
