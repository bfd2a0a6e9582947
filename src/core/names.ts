/**
 * Name rules. Workspace, project and environment names become DNS labels
 * (`<env>.<project>.<workspace>.localhost`) and registry path components, so they follow RFC 1123
 * labels in lower case.
 *
 * @module
 */
import { SlipwayError } from './errors.js';

const dnsLabel = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** The kinds of object that carry a DNS-label name. */
export type NamedKind = 'workspace' | 'project' | 'environment' | 'service' | 'server';

/** True when `name` is a valid lower-case DNS label (1–63 chars). */
export function isDnsLabel(name: string): boolean {
  return dnsLabel.test(name);
}

/**
 * Returns `name` when it is a valid DNS label, else throws `SLW_INVALID_NAME` with a message
 * that says what is wrong and what would be accepted.
 *
 * @example
 * assertName('project', 'web-shop'); // 'web-shop'
 * assertName('project', 'Web_Shop'); // throws SLW_INVALID_NAME
 */
export function assertName(kind: NamedKind, name: string): string {
  if (isDnsLabel(name)) return name;
  throw new SlipwayError('SLW_INVALID_NAME', `${kind} name ${describe(name)} is invalid: ${reason(name)}; use 1-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit (e.g. '${suggest(name)}')`);
}

function describe(name: string): string {
  const shown = name.length > 70 ? `${name.slice(0, 64)}…` : name;
  return JSON.stringify(shown).replace(/^"|"$/g, "'");
}

function reason(name: string): string {
  if (name.length === 0) return 'it is empty';
  if (name.length > 63) return `it is ${name.length} characters long (at most 63)`;
  if (/[A-Z]/.test(name)) return 'it has upper-case letters';
  if (/^-|-$/.test(name)) return 'it starts or ends with a hyphen';
  return 'it has characters other than a-z, 0-9 and -';
}

/** A best-effort valid name close to `name`, for error messages. */
export function suggest(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/g, '');
  return s.length > 0 ? s : 'my-name';
}
