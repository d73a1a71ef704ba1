// C2SP tlog-tiles v0.1 arithmetic: tile paths and entry bundles. Pure, so the
// verifier and the log scanner share one reading of the format.

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

/** Entry bundle: each entry is a 2-byte big-endian length and that many bytes. */
export function parseEntryBundle(bytes) {
  const entries = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 2 > bytes.length) throw new Error('entry bundle is truncated');
    const len = (bytes[at] << 8) | bytes[at + 1];
    at += 2;
    if (at + len > bytes.length) throw new Error('entry bundle is truncated');
    entries.push(bytes.subarray(at, at + len));
    at += len;
  }
  return entries;
}
