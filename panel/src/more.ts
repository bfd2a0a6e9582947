/**
 * "Show more" for a list the API answers newest first with a `limit`: the view asks for `first`,
 * each Show more asks for `first` more, up to the API's maximum for that list. What the view can
 * say under the list follows from how many came back.
 */
export interface MoreState {
  /** A Show more button asks for this many (null: no button). */
  next: number | null;
  /** The list is cut at the API's maximum: older entries exist that no limit reaches. */
  atMax: boolean;
}

/** `shown` entries came back for `limit`; `max` is the most the API gives at once. */
export function moreState(shown: number, limit: number, step: number, max: number): MoreState {
  // Fewer than asked: that is everything there is.
  if (shown < limit) return { next: null, atMax: false };
  if (limit >= max) return { next: null, atMax: true };
  return { next: Math.min(max, limit + step), atMax: false };
}
