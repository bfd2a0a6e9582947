import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SlipwayError, errorCatalog, isSlipwayError, notFound, toSlipwayError, withErrorSuffix } from './errors.js';
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

  it('adds what a refusal means where it is met to its message, keeping its code; other throws go through', async () => {
    const refusal = new SlipwayError('SLW_INVALID_VOLUME', "volume 'cache' is not declared");
    const thrown = await withErrorSuffix('; nothing was run', () => {
      throw refusal;
    }).catch((error: unknown) => error);
    expect(thrown).toMatchObject({ code: 'SLW_INVALID_VOLUME', message: "volume 'cache' is not declared; nothing was run", cause: refusal });
    const boom = new TypeError('boom');
    await expect(withErrorSuffix('; nothing was run', async () => Promise.reject(boom))).rejects.toBe(boom);
    expect(await withErrorSuffix('; nothing was run', () => 7)).toBe(7);
  });
});
