/**
 * A tiny XML reader and writer for OSS's request and response bodies.
 *
 * OSS bodies are small, namespace-free documents of elements and text, so
 * the reader keeps exactly that: element names, child elements and the
 * decoded text directly inside each element. Attributes are parsed and
 * dropped; DOCTYPE declarations are refused (no entity expansion, no XXE).
 *
 * @module
 */

/** An element of a parsed document. */
export interface XmlElement {
  /** Tag name as written, e.g. `"Part"`. */
  name: string;
  /** Child elements in document order. */
  children: XmlElement[];
  /** The decoded text directly inside this element (text and CDATA, concatenated; not trimmed). */
  text: string;
}

const NAME_START = /[A-Za-z_:\u00C0-\uFFFF]/;
const NAME_CHAR = /[A-Za-z0-9_:.\-\u00B7\u00C0-\uFFFF]/;
const ELEMENT_NAME = /^[A-Za-z_:\u00C0-\uFFFF][A-Za-z0-9_:.\-\u00B7\u00C0-\uFFFF]*$/;

const NAMED_ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
};

function decodeEntities(raw: string, at: number): string {
  if (!raw.includes("&")) return raw;
  return raw.replace(/&([^;&\s]*);?/g, (match, body: string, offset: number) => {
    if (!match.endsWith(";")) {
      throw new SyntaxError(`XML: bare '&' at offset ${at + offset}`);
    }
    if (body.startsWith("#")) {
      const code = body[1] === "x" || body[1] === "X"
        ? /^[0-9A-Fa-f]+$/.test(body.slice(2)) ? parseInt(body.slice(2), 16) : NaN
        : /^[0-9]+$/.test(body.slice(1))
        ? parseInt(body.slice(1), 10)
        : NaN;
      if (!Number.isFinite(code) || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
        throw new SyntaxError(`XML: bad character reference '${match}' at offset ${at + offset}`);
      }
      return String.fromCodePoint(code);
    }
    const named = NAMED_ENTITIES[body];
    if (named === undefined) {
      throw new SyntaxError(`XML: unknown entity '${match}' at offset ${at + offset}`);
    }
    return named;
  });
}

/**
 * Parses an XML document and returns its root element.
 *
 * @param text The document.
 * @returns The root element.
 * @throws {SyntaxError} When the document is not well-formed, has no root
 * element, has more than one, or declares a DOCTYPE.
 *
 * @example
 * ```ts
 * import { childText, parseXml } from "./xml.ts";
 *
 * const root = parseXml("<Part><PartNumber>1</PartNumber><ETag>&quot;AB&quot;</ETag></Part>");
 * console.log(root.name, childText(root, "ETag")); // Part "AB"
 * ```
 */
export function parseXml(text: string): XmlElement {
  let i = 0;
  const n = text.length;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;

  const fail = (what: string): never => {
    throw new SyntaxError(`XML: ${what} at offset ${i}`);
  };
  const readName = (): string => {
    const start = i;
    if (i >= n || !NAME_START.test(text[i])) fail("expected a name");
    i++;
    while (i < n && NAME_CHAR.test(text[i])) i++;
    return text.slice(start, i);
  };
  const skipSpace = () => {
    while (i < n && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) {
      i++;
    }
  };
  const addText = (s: string) => {
    const top = stack[stack.length - 1];
    if (top) top.text += s;
    else if (s.trim() !== "") fail("text outside the root element");
  };

  if (text.charCodeAt(0) === 0xfeff) i = 1; // byte order mark
  while (i < n) {
    const lt = text.indexOf("<", i);
    if (lt === -1) {
      addText(decodeEntities(text.slice(i), i));
      i = n;
      break;
    }
    if (lt > i) addText(decodeEntities(text.slice(i, lt), i));
    i = lt;
    if (text.startsWith("<?", i)) {
      const end = text.indexOf("?>", i + 2);
      if (end === -1) fail("unterminated processing instruction");
      i = end + 2;
    } else if (text.startsWith("<!--", i)) {
      const end = text.indexOf("-->", i + 4);
      if (end === -1) fail("unterminated comment");
      i = end + 3;
    } else if (text.startsWith("<![CDATA[", i)) {
      const end = text.indexOf("]]>", i + 9);
      if (end === -1) fail("unterminated CDATA section");
      if (stack.length === 0) fail("CDATA outside the root element");
      stack[stack.length - 1].text += text.slice(i + 9, end);
      i = end + 3;
    } else if (text.startsWith("<!", i)) {
      fail("DOCTYPE and other declarations are not accepted");
    } else if (text.startsWith("</", i)) {
      i += 2;
      const name = readName();
      skipSpace();
      if (text[i] !== ">") fail("expected '>'");
      i++;
      const open = stack.pop();
      if (!open) fail(`closing tag </${name}> without an opening tag`);
      if (open!.name !== name) fail(`</${name}> closes <${open!.name}>`);
    } else {
      i++;
      const name = readName();
      // Attributes: parsed for well-formedness, then dropped.
      for (;;) {
        const before = i;
        skipSpace();
        if (text[i] === ">" || text.startsWith("/>", i)) break;
        if (i === before) fail("expected whitespace before an attribute");
        readName();
        skipSpace();
        if (text[i] !== "=") fail("expected '=' after an attribute name");
        i++;
        skipSpace();
        const quote = text[i];
        if (quote !== '"' && quote !== "'") fail("expected a quoted attribute value");
        const end = text.indexOf(quote, i + 1);
        if (end === -1) fail("unterminated attribute value");
        if (text.slice(i + 1, end).includes("<")) fail("'<' in an attribute value");
        decodeEntities(text.slice(i + 1, end), i + 1);
        i = end + 1;
      }
      if (root && stack.length === 0) fail("more than one root element");
      const el: XmlElement = { name, children: [], text: "" };
      if (stack.length > 0) stack[stack.length - 1].children.push(el);
      else root = el;
      if (text[i] === "/") {
        i += 2;
      } else {
        i++;
        stack.push(el);
      }
    }
  }
  if (stack.length > 0) fail(`unclosed element <${stack[stack.length - 1].name}>`);
  if (!root) fail("no root element");
  return root!;
}

/**
 * The text of the first child element named `name`.
 *
 * @param el The parent element.
 * @param name The child's tag name.
 * @returns Its decoded text, or `undefined` when there is no such child.
 *
 * @example
 * ```ts
 * import { childText, parseXml } from "./xml.ts";
 *
 * console.log(childText(parseXml("<A><B>x</B></A>"), "B")); // "x"
 * ```
 */
export function childText(el: XmlElement, name: string): string | undefined {
  return childElement(el, name)?.text;
}

/**
 * Every child element named `name`, in document order.
 *
 * @param el The parent element.
 * @param name The children's tag name.
 * @returns The matching children (possibly empty).
 *
 * @example
 * ```ts
 * import { childElements, parseXml } from "./xml.ts";
 *
 * console.log(childElements(parseXml("<A><B/><B/><C/></A>"), "B").length); // 2
 * ```
 */
export function childElements(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

/**
 * The first child element named `name`.
 *
 * @param el The parent element.
 * @param name The child's tag name.
 * @returns The child, or `undefined` when there is none.
 *
 * @example
 * ```ts
 * import { childElement, parseXml } from "./xml.ts";
 *
 * console.log(childElement(parseXml("<A><B>x</B></A>"), "B")?.text); // "x"
 * ```
 */
export function childElement(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}

/** A value {@linkcode buildXml} writes: text, a nested object, or an array of repeated elements. */
export type XmlValue =
  | string
  | number
  | boolean
  | bigint
  | undefined
  | XmlObject
  | XmlValue[];

/** Child elements by name, in insertion order. */
export interface XmlObject {
  [name: string]: XmlValue;
}

/**
 * Escapes text for XML element content and attribute values.
 *
 * @param s Raw text.
 * @returns The text with `&`, `<`, `>`, `"` and `'` escaped.
 *
 * @example
 * ```ts
 * import { escapeXml } from "./xml.ts";
 *
 * console.log(escapeXml('a<b & "c"')); // a&lt;b &amp; &quot;c&quot;
 * ```
 */
export function escapeXml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) =>
      c === "&"
        ? "&amp;"
        : c === "<"
        ? "&lt;"
        : c === ">"
        ? "&gt;"
        : c === '"'
        ? "&quot;"
        : "&apos;",
  );
}

function writeElement(out: string[], name: string, value: XmlValue): void {
  if (value === undefined) return;
  if (Array.isArray(value)) {
    for (const item of value) writeElement(out, name, item);
    return;
  }
  if (!ELEMENT_NAME.test(name)) throw new TypeError(`Not an XML element name: ${name}`);
  if (typeof value === "object") {
    out.push(`<${name}>`);
    for (const [childName, childValue] of Object.entries(value)) {
      writeElement(out, childName, childValue);
    }
    out.push(`</${name}>`);
    return;
  }
  out.push(`<${name}>${escapeXml(String(value))}</${name}>`);
}

/**
 * Writes an XML document with an `<?xml version="1.0" encoding="UTF-8"?>`
 * declaration. Object keys become child elements in insertion order; an
 * array repeats its element once per item; `undefined` is omitted; numbers,
 * booleans and bigints are written with `String()`; text is escaped.
 *
 * @param rootName The root element's name.
 * @param value The root element's children.
 * @returns The document.
 * @throws {TypeError} When a key is not a valid element name.
 *
 * @example
 * ```ts
 * import { buildXml } from "./xml.ts";
 *
 * const xml = buildXml("CompleteMultipartUpload", {
 *   Part: [{ PartNumber: 1, ETag: '"A1"' }, { PartNumber: 2, ETag: '"B2"' }],
 * });
 * // <?xml version="1.0" encoding="UTF-8"?>
 * // <CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;A1&quot;</ETag></Part>...
 * console.log(xml);
 * ```
 */
export function buildXml(rootName: string, value: XmlObject): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
  writeElement(out, rootName, value);
  return out.join("");
}
