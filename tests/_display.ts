/**
 * A display that records what it is given, in place of the Jupyter kernel's.
 *
 * @module
 */
import type { Display, DisplayOptions, MimeBundle } from "../lib/plot/show.ts";

/** The MIME type of an interactive plotly chart. */
export const PLOTLY = "application/vnd.plotly.v1+json";

/** A display that keeps every bundle and its options, in order. */
export function recorder(): {
  display: Display;
  shown: [MimeBundle, DisplayOptions][];
} {
  const shown: [MimeBundle, DisplayOptions][] = [];
  return { display: (b, o) => void shown.push([b, o]), shown };
}
