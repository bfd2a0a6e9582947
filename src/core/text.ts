/**
 * Text that may not reach the store: a NUL character (U+0000) ends a C string, PostgreSQL's
 * `text` refuses it, and no name, key or message needs one.
 *
 * @module
 */

/**
 * Where in `value` (a string, or arrays and objects of them, keys included) a NUL character
 * first appears, as a dotted path under `where`; undefined when there is none.
 */
export function findNul(value: unknown, where: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? where : undefined;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = findNul(item, `${where}.${i}`);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (key.includes('\u0000')) return `${where} (a key)`;
      const found = findNul(item, `${where}.${key}`);
      if (found) return found;
    }
  }
  return undefined;
}
