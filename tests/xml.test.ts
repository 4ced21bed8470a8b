import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  buildXml,
  childElement,
  childElements,
  childText,
  escapeXml,
  parseXml,
} from "../lib/xml/xml.ts";

describe("parseXml", () => {
  it("reads a CompleteMultipartUpload body", () => {
    const root = parseXml(
      `<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUpload>
  <Part><PartNumber>1</PartNumber><ETag>"3349DC700140D7F86A0784842780****"</ETag></Part>
  <Part>
    <PartNumber>5</PartNumber>
    <ETag>&quot;8EFDA8BE206636A695359836FE0A****&quot;</ETag>
  </Part>
</CompleteMultipartUpload>`,
    );
    assert.equal(root.name, "CompleteMultipartUpload");
    const parts = childElements(root, "Part");
    assert.equal(parts.length, 2);
    assert.equal(childText(parts[0], "PartNumber"), "1");
    assert.equal(childText(parts[0], "ETag"), '"3349DC700140D7F86A0784842780****"');
    assert.equal(childText(parts[1], "ETag"), '"8EFDA8BE206636A695359836FE0A****"');
    assert.equal(childText(parts[1], "Missing"), undefined);
    assert.equal(childElement(root, "Nope"), undefined);
  });

  it("decodes entities, character references and CDATA", () => {
    const root = parseXml(
      "<A>a&amp;b&lt;c&gt;&apos;&#65;&#x4e2d;<![CDATA[<raw & stuff>]]><!-- c --></A>",
    );
    assert.equal(root.text, "a&b<c>'A中<raw & stuff>");
  });

  it("keeps UTF-8 text, self-closing elements and attributes", () => {
    const root = parseXml(
      `\uFEFF<R xmlns="http://doc.oss-cn-hangzhou.aliyuncs.com"><K a='1' b="x">目录/文件 +.txt</K><E/><E /></R>`,
    );
    assert.equal(childText(root, "K"), "目录/文件 +.txt");
    assert.equal(childElements(root, "E").length, 2);
    assert.equal(childText(root, "E"), "");
  });

  it("rejects malformed documents with SyntaxError", () => {
    for (
      const bad of [
        "",
        "   ",
        "not xml",
        "<A>",
        "<A></B>",
        "<A><B></A></B>",
        "</A>",
        "<A></A><B></B>",
        "<A>x & y</A>",
        "<A>&bogus;</A>",
        "<A>&#xZZ;</A>",
        "<A b=1></A>",
        "<A b='1></A>",
        "<!DOCTYPE x [<!ENTITY e 'x'>]><A>&e;</A>",
        "<A><![CDATA[x</A>",
        "<A><!-- x</A>",
        "<1A></1A>",
        "text<A></A>",
        "<A></A>trailing",
      ]
    ) {
      assert.throws(() => parseXml(bad), SyntaxError, JSON.stringify(bad));
    }
  });
});

describe("parseXml limits", () => {
  it("decodes a long run of entities and character references exactly", () => {
    const root = parseXml(`<A>${"&amp;&#x1F600;&lt;".repeat(100_000)}x</A>`);
    assert.equal(root.text, "&\u{1F600}<".repeat(100_000) + "x");
    assert.equal(parseXml("<A>\uD800&amp;</A>").text, "\uD800&", "a lone surrogate is kept as is");
  });

  it("refuses more nodes than maxNodes and deeper nesting than maxDepth", () => {
    const parts = `<C>${"<P><N>1</N></P>".repeat(10)}</C>`; // 21 elements, no text runs
    assert.equal(parseXml(parts, { maxNodes: 31 }).children.length, 10);
    assert.throws(() => parseXml(parts, { maxNodes: 30 }), /more than 30 nodes/);
    assert.throws(() => parseXml(`<A>${"x<!---->".repeat(20)}</A>`, { maxNodes: 30 }), SyntaxError);
    assert.equal(parseXml("<A><B><C/></B></A>", { maxDepth: 2 }).name, "A");
    assert.throws(() => parseXml("<A><B><C></C></B></A>", { maxDepth: 2 }), /nested deeper than 2/);
    assert.throws(() => parseXml("<A>".repeat(33) + "</A>".repeat(33)), /nested deeper than 32/);
    assert.throws(() => parseXml("<A/>".repeat(2)), SyntaxError);
  });

  it("quotes at most 64 characters of a name in an error", () => {
    const long = "N".repeat(10_000);
    assert.throws(() => parseXml(`<${long}></B>`), (err: Error) => err.message.length < 300);
  });
});

describe("buildXml", () => {
  it("writes the declaration, nested objects, arrays and scalars", () => {
    const xml = buildXml("ListPartsResult", {
      Bucket: "b",
      Key: "a<&>\"'b",
      IsTruncated: false,
      MaxParts: 1000,
      Crc: 18446744073709551615n,
      Skipped: undefined,
      Part: [{ PartNumber: 1, ETag: '"AB"' }, { PartNumber: 2, ETag: '"CD"' }],
      Owner: { ID: "1", DisplayName: "x" },
      Empty: {},
      None: [],
    });
    assert.equal(
      xml,
      '<?xml version="1.0" encoding="UTF-8"?>\n<ListPartsResult><Bucket>b</Bucket>' +
        "<Key>a&lt;&amp;&gt;&quot;&apos;b</Key><IsTruncated>false</IsTruncated>" +
        "<MaxParts>1000</MaxParts><Crc>18446744073709551615</Crc>" +
        "<Part><PartNumber>1</PartNumber><ETag>&quot;AB&quot;</ETag></Part>" +
        "<Part><PartNumber>2</PartNumber><ETag>&quot;CD&quot;</ETag></Part>" +
        "<Owner><ID>1</ID><DisplayName>x</DisplayName></Owner><Empty></Empty></ListPartsResult>",
    );
  });

  it("round-trips through parseXml", () => {
    const key = "dir/a+b c&<>.bin 中文 \u{1F600}";
    const root = parseXml(buildXml("R", { Key: key, Child: { Leaf: "v" } }));
    assert.equal(childText(root, "Key"), key);
    assert.equal(childText(childElement(root, "Child")!, "Leaf"), "v");
  });

  it("refuses invalid element names", () => {
    assert.throws(() => buildXml("R", { "a b": "x" }), TypeError);
    assert.throws(() => buildXml("1R", {}), TypeError);
  });

  it("escapeXml escapes the five specials", () => {
    assert.equal(escapeXml(`&<>"'x`), "&amp;&lt;&gt;&quot;&apos;x");
  });
});
