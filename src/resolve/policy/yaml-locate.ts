import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

/** Where a path points in a parsed YAML document: the node's line and column, or the nearest parent's. */
export function locate(
  doc: Document,
  counter: LineCounter,
  path: readonly PropertyKey[],
  keyOnly = false,
): { line?: number; column?: number } {
  let node: unknown = doc.contents;
  let found: { range?: [number, number, number] | null | undefined } | undefined = node as Node | undefined;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    if (typeof segment === 'number' && !isSeq(node)) {
      // A single rule written without a list is validated as a list of one.
      continue;
    }
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      if (keyOnly && i === path.length - 1) {
        found = pair.key as Node;
        break;
      }
      node = pair.value;
      if (node) found = node;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      if (node) found = node;
    } else {
      break;
    }
  }
  const offset = found?.range?.[0];
  if (offset === undefined) return {};
  const pos = counter.linePos(offset);
  return { line: pos.line, column: pos.col };
}
