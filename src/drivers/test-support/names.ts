/** Random attachment names and canary passwords for the drivers' tests (parallel runs never clash). */
import { randomBytes } from 'node:crypto';
import { attachmentNames, type AttachmentNames } from '../../core/services.js';

/** A fresh attachment (`slw_<10 random>`). */
export function freshNames(): AttachmentNames {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const suffix = [...randomBytes(10)].map((b) => alphabet[b % alphabet.length]).join('');
  return attachmentNames(suffix);
}

/** A password that contains a recognisable canary, to assert it leaks into no message. */
export function canaryPassword(): string {
  return `Canary-${randomBytes(9).toString('base64url')}-'"\\;x`;
}

/** Runs `fn` and returns what it threw (fails when it throws nothing). */
export async function thrown(fn: () => Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await fn();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a failure, got none');
}
