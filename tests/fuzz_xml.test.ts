/**
 * Property-based fuzzing of the XML reader (lib/xml/xml.ts): OSS bodies round
 * trip through the writer and the reader; token soups of hostile markup
 * (entities, declarations, CDATA, unbalanced tags) either parse or fail with
 * a SyntaxError, never another error; nesting and node counts are bounded by
 * the reader's limits, and parse up to them without recursion. Seeds and
 * runs: tests/_fuzz.ts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  buildXml,
  childElements,
  childText,
  escapeXml,
  parseXml,
  type XmlElement,
} from "../lib/xml/xml.ts";
import { checkProperty, fc } from "./_fuzz.ts";

/** Element names as OSS writes them, plus names the grammar allows (`_`, `:`, `.`, `-`, non-ASCII). */
const elementName = fc.oneof(
  fc.constantFrom("Part", "PartNumber", "ETag", "Key", "Size", "CompleteMultipartUpload"),
  fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.\-]{0,8}$/),
  fc.constantFrom("a:b", "Ünïcode", "名前", "x\u00B7y"),
);

/** Text of any Unicode, including markup characters and lone surrogates. */
const anyText = fc.string({ unit: "binary", maxLength: 40 });

interface Tree {
  name: string;
  text: string;
  children: Tree[];
}

/** Leaves hold text, inner elements hold children: what buildXml can write. */
const tree: fc.Arbitrary<Tree> = fc.letrec<{ node: Tree }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.record({ name: elementName, text: anyText, children: fc.constant<Tree[]>([]) }),
    fc.record({
      name: elementName,
      text: fc.constant<string>(""),
      children: fc.array(tie("node"), { maxLength: 4 }),
    }),
  ),
})).node;

/** Writes a tree as OSS bodies are written: declaration, elements, escaped text. */
function writeTree(t: Tree): string {
  const body = (n: Tree): string =>
    `<${n.name}>${escapeXml(n.text)}${n.children.map(body).join("")}</${n.name}>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${body(t)}`;
}

/** The same tree with ordinary objects (fast-check's records have a null prototype). */
function plainCopy(t: Tree): Tree {
  return { name: t.name, text: t.text, children: t.children.map(plainCopy) };
}

function plain(el: XmlElement): Tree {
  return { name: el.name, text: el.text, children: el.children.map(plain) };
}

const markupTokens = fc.constantFrom(
  "<",
  ">",
  "</",
  "/>",
  "<A>",
  "</A>",
  "<B x='1'>",
  "</B>",
  "<C/>",
  "&amp;",
  "&lt;",
  "&#x41;",
  "&#65;",
  "&#x110000;",
  "&#xD800;",
  "&#99999999999999999999;",
  "&#x;",
  "&bogus;",
  "&",
  ";",
  "<![CDATA[",
  "]]>",
  "<!--",
  "-->",
  "<?xml version='1.0'?>",
  "<?",
  "?>",
  "<!DOCTYPE a [<!ENTITY e 'x'>]>",
  "<!ENTITY",
  "=",
  '"',
  "'",
  " ",
  "\n",
  "\uFEFF",
  "text",
);
const markupSoup = fc.array(fc.oneof(markupTokens, anyText), { maxLength: 30 }).map((a) =>
  a.join("")
);

describe("fuzz: XML reader", () => {
  it("reads back every tree the writer writes, text and names exact", () =>
    checkProperty(
      fc.property(tree, (t) => {
        assert.deepEqual(plain(parseXml(writeTree(t))), plainCopy(t));
      }),
    ));

  it("reads back CompleteMultipartUpload bodies with any ETags and part numbers", () =>
    checkProperty(
      fc.property(
        fc.array(
          fc.record({ PartNumber: fc.integer({ min: 1, max: 10000 }), ETag: anyText }),
          { maxLength: 50 },
        ),
        (parts) => {
          const root = parseXml(buildXml("CompleteMultipartUpload", { Part: parts }));
          const read = childElements(root, "Part").map((p) => ({
            PartNumber: Number(childText(p, "PartNumber")),
            ETag: childText(p, "ETag"),
          }));
          assert.deepEqual(read, parts.map((p) => ({ ...p })));
        },
      ),
    ));

  it("parses hostile markup or throws a SyntaxError, nothing else", () =>
    checkProperty(
      fc.property(markupSoup, (text) => {
        let root: XmlElement;
        try {
          root = parseXml(text);
        } catch (err) {
          assert.ok(err instanceof SyntaxError, `not a SyntaxError: ${err}`);
          assert.match(err.message, /^XML: /);
          return;
        }
        assert.equal(typeof root.name, "string");
        assert.ok(Array.isArray(root.children));
      }),
      { runs: 1000 },
    ));

  it("refuses every DOCTYPE, wherever it sits before the root", () =>
    checkProperty(
      fc.property(fc.constantFrom("", "<?xml version='1.0'?>", "<!-- c -->", " \n"), anyText, (
        before,
        internal,
      ) => {
        const doc = `${before}<!DOCTYPE r [<!ENTITY e "${
          internal.replace(/[<>"]/g, "")
        }">]><r>&e;</r>`;
        assert.throws(() => parseXml(doc), SyntaxError);
      }),
    ));

  it("bounds nesting and node counts by its limits, and parses up to them without recursion", () =>
    checkProperty(
      fc.property(
        fc.integer({ min: 1, max: 20_000 }),
        fc.integer({ min: 0, max: 20_000 }),
        fc.integer({ min: 0, max: 50_000 }),
        fc.integer({ min: 1, max: 64 }),
        (depth, siblings, entities, maxDepth) => {
          const nested = "<a>".repeat(depth) + "</a>".repeat(depth);
          // Within a limit raised to the depth, any nesting parses, exactly.
          const deep = parseXml(nested, { maxDepth: depth });
          let d = 1;
          for (let el = deep; el.children.length > 0; el = el.children[0]) d++;
          assert.equal(d, depth);
          // Past the limit: a SyntaxError that names it, never a stack overflow.
          if (depth > maxDepth) {
            assert.throws(() => parseXml(nested, { maxDepth }), /nested deeper than/);
          } else {
            parseXml(nested, { maxDepth });
          }
          const wide = `<r>${"<Part/>".repeat(siblings)}</r>`;
          assert.equal(parseXml(wide).children.length, siblings);
          assert.throws(() => parseXml(wide, { maxNodes: siblings }), /more than \d+ nodes/);
          const text = parseXml(`<r>${"&amp;".repeat(entities)}</r>`).text;
          assert.equal(text, "&".repeat(entities));
        },
      ),
      { runs: 15, weight: 0.01, examples: [[33, 0, 0, 32]] },
    ));
});
