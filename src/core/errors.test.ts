import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SlipwayError, errorCatalog, isSlipwayError, notFound, toSlipwayError } from './errors.js';
import { renderErrorsDoc } from './errors-doc.js';

describe('errors', () => {
  it('keeps docs/errors.md in sync with the catalogue', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    expect(doc).toBe(renderErrorsDoc());
    for (const code of Object.keys(errorCatalog)) expect(doc).toContain(`\`${code}\``);
  });

  it('uses SLW_ codes and 4xx/5xx statuses only', () => {
    for (const [code, { status }] of Object.entries(errorCatalog)) {
      expect(code).toMatch(/^SLW_[A-Z_]+$/);
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(600);
    }
  });

  it('recognises its errors by symbol and wraps anything else with the cause', () => {
    const e = new SlipwayError('SLW_NOT_FOUND', 'x');
    expect(isSlipwayError(e)).toBe(true);
    expect(e.status).toBe(404);
    expect(isSlipwayError({ code: 'SLW_NOT_FOUND' })).toBe(false);
    const cause = new TypeError('boom');
    const wrapped = toSlipwayError(cause);
    expect(wrapped.code).toBe('SLW_INTERNAL');
    expect(wrapped.cause).toBe(cause);
    expect(notFound('project', 'shop', "workspace 'acme'").message).toBe("project 'shop' not found in workspace 'acme'");
  });
});
