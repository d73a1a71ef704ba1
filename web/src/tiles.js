// C2SP tlog-tiles v0.1 arithmetic: tile paths and widths. Pure, so that the
// verifier's reading of the format can be tested on its own.

export const TILE_WIDTH = 256;

/** `N` as 3-digit groups, all but the last prefixed with `x` (1234067 -> x001/x234/067). */
export function tileIndexPath(n) {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`bad tile index ${n}`);
  const groups = [];
  do {
    groups.unshift(String(n % 1000).padStart(3, '0'));
    n = Math.floor(n / 1000);
  } while (n > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

/** `tile/<L>/<N>[.p/<W>]`, or `tile/entries/<N>[.p/<W>]` when level is 'entries'. */
export function tilePath(level, n, width = TILE_WIDTH) {
  if (!(width >= 1 && width <= TILE_WIDTH)) throw new Error(`bad tile width ${width}`);
  const partial = width < TILE_WIDTH ? `.p/${width}` : '';
  return `tile/${level}/${tileIndexPath(n)}${partial}`;
}

/** Width of tile `n` at `level` in a tree of `size` leaves (0 when it holds nothing yet). */
export function tileWidth(level, n, size) {
  const count = Math.floor(size / TILE_WIDTH ** level);
  return Math.max(0, Math.min(TILE_WIDTH, count - n * TILE_WIDTH));
}
