import { describe, expect, it } from 'vitest';
import { moreState } from './more';

describe('Show more', () => {
  it('offers more only when the list came back full, in steps, up to the API maximum', () => {
    expect(moreState(7, 50, 50, 200)).toEqual({ next: null, atMax: false });
    expect(moreState(0, 50, 50, 200)).toEqual({ next: null, atMax: false });
    expect(moreState(50, 50, 50, 200)).toEqual({ next: 100, atMax: false });
    expect(moreState(150, 150, 100, 200)).toEqual({ next: 200, atMax: false });
    expect(moreState(200, 200, 50, 200)).toEqual({ next: null, atMax: true });
  });
});
