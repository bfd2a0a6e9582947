/**
 * Reads `slipway.yaml`: YAML (the `yaml` package, core schema, no custom tags, duplicate keys
 * refused) checked against the manifest schema (schema.ts). Every problem is reported
 * as `FILE:LINE:COLUMN: path: message`, all of them at once (up to ten), in one
 * SLW_MANIFEST_INVALID error; nothing is stored by a caller before this returns.
 *
 * @module
 */
import { isMap, isNode, isPair, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { SlipwayError } from '../core/errors.js';
import type { Manifest } from '../core/manifest.js';
import { manifestSchema, normaliseManifest } from './schema.js';

/** The largest manifest read (it is a config file, not data). */
export const maxManifestBytes = 256 * 1024;

type Path = (string | number)[];

function position(counter: LineCounter, offset: number): string {
  const { line, col } = counter.linePos(offset);
  return `${line}:${col}`;
}

/** The node at `path`, or the nearest enclosing one that exists. */
function nodeAt(doc: Document, path: Path): { node: Node | null; exact: boolean } {
  for (let n = path.length; n >= 0; n -= 1) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node)) return { node, exact: n === path.length };
  }
  return { node: null, exact: false };
}

/** The key node of `key` in the map at `path` (an unknown field is reported where its key is). */
function keyNode(doc: Document, path: Path, key: string): Node | null {
  const map = path.length === 0 ? doc.contents : doc.getIn(path, true);
  if (!isMap(map)) return null;
  for (const item of map.items) {
    if (isPair(item) && isScalar(item.key) && String(item.key.value) === key) return item.key;
  }
  return null;
}

function describe(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || '(top level)';
}

function issueLine(file: string, doc: Document, counter: LineCounter, issue: z.core.$ZodIssue): string {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const at = keyNode(doc, path, key);
    const where = at?.range ? position(counter, at.range[0]) : '1:1';
    return `${file}:${where}: ${describe([...path, key])}: unknown field (${issue.keys.length > 1 ? `also ${issue.keys.slice(1).join(', ')}; ` : ''}see the manifest reference in docs/pipelines.md)`;
  }
  if (issue.code === 'invalid_key') {
    const key = path[path.length - 1];
    const at = typeof key === 'string' ? keyNode(doc, path.slice(0, -1), key) : null;
    const where = at?.range ? position(counter, at.range[0]) : '1:1';
    return `${file}:${where}: ${describe(path)}: ${issue.issues[0]?.message ?? issue.message}`;
  }
  const { node, exact } = nodeAt(doc, path);
  const where = node?.range ? position(counter, node.range[0]) : '1:1';
  const message = exact || issue.code !== 'invalid_type' ? issue.message : `missing (${issue.message})`;
  return `${file}:${where}: ${describe(path)}: ${message}`;
}

/** Parses and checks a manifest; throws SLW_MANIFEST_INVALID with `file:line:col` for each problem. */
export function parseManifest(text: string, file = 'slipway.yaml'): Manifest {
  if (Buffer.byteLength(text) > maxManifestBytes) {
    throw new SlipwayError('SLW_MANIFEST_INVALID', `${file}: the manifest is larger than ${maxManifestBytes / 1024} KiB`);
  }
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, schema: 'core', uniqueKeys: true, prettyErrors: false, customTags: [] });
  if (doc.errors.length > 0) {
    const lines = doc.errors.slice(0, 10).map((e) => `${file}:${position(counter, e.pos[0])}: ${e.message.split('\n')[0]}`);
    throw new SlipwayError('SLW_MANIFEST_INVALID', lines.join('\n'));
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 50 }) ?? {};
  } catch (error) {
    throw new SlipwayError('SLW_MANIFEST_INVALID', `${file}:1:1: ${(error as Error).message}`);
  }
  const parsed = manifestSchema.safeParse(data);
  if (!parsed.success) {
    const lines = parsed.error.issues.slice(0, 10).map((issue) => issueLine(file, doc, counter, issue));
    throw new SlipwayError('SLW_MANIFEST_INVALID', lines.join('\n'));
  }
  return normaliseManifest(parsed.data);
}
