// Reads the log itself, entry bundle by entry bundle, to find what no
// collection endpoint lists: the claims recorded (claim.record) and the
// consignments handed over (custody.transfer). It reads each entry once and
// then only the entries added since.

import { tilePath, tileWidth, parseEntryBundle, TILE_WIDTH } from './tiles.js';
import { fromBase64, fromUtf8 } from './bytes.js';

export class LogScanner {
  constructor(fetchBytes) {
    this.fetchBytes = fetchBytes;
    this.next = 0;
    this.claims = [];
    this.consignments = new Set();
    this.running = Promise.resolve(false);
  }

  /** Reads entries up to `size`; resolves true when a new claim or consignment turned up. */
  scan(size) {
    this.running = this.running.then(() => this.scanTo(size), () => this.scanTo(size));
    return this.running;
  }

  async scanTo(size) {
    let found = false;
    while (this.next < size) {
      const n = Math.floor(this.next / TILE_WIDTH);
      const width = tileWidth(0, n, size);
      const entries = parseEntryBundle(await this.fetchBytes(`/${tilePath('entries', n, width)}`));
      if (entries.length !== width) throw new Error(`entry bundle ${n} holds ${entries.length} entries, not ${width}`);
      for (let i = this.next - n * TILE_WIDTH; i < width; i++) found = this.read(entries[i]) || found;
      this.next = n * TILE_WIDTH + width;
    }
    return found;
  }

  read(bytes) {
    let st;
    try {
      const entry = JSON.parse(fromUtf8(bytes));
      st = JSON.parse(fromUtf8(fromBase64(entry.envelope.payload)));
    } catch {
      return false;
    }
    if (st.type === 'claim.record') {
      this.claims.push(`${st.issuer}/${st.id}`);
      return true;
    }
    if (st.type === 'custody.transfer' && typeof st.body?.consignment === 'string' && !this.consignments.has(st.body.consignment)) {
      this.consignments.add(st.body.consignment);
      return true;
    }
    return false;
  }
}
