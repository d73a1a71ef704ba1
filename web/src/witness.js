// The browser as a witness of the log. A checkpoint that verifies against the
// log key and the tiles proves only that the server signed *a* history; a
// server rewriting its history could sign the new one just as well. So the
// page remembers, per log key, the latest checkpoint it verified, and holds
// every later checkpoint to it with a consistency proof: history rewritten
// after this browser saw it cannot verify here.

import { verifyConsistency, VerifyError } from './verify.js';
import { fromBase64 } from './bytes.js';

const storageKey = (vkey) => `corridor.checkpoint.${vkey}`;

/** The checkpoint remembered for `vkey`, as { size, root (base64) }, or null. */
function recall(vkey) {
  try {
    const v = JSON.parse(localStorage.getItem(storageKey(vkey)) || 'null');
    return v && Number.isSafeInteger(v.size) && v.size >= 0 && typeof v.root === 'string' ? v : null;
  } catch {
    return null;
  }
}

function remember(vkey, cp) {
  try {
    localStorage.setItem(storageKey(vkey), JSON.stringify({ size: cp.size, root: cp.root }));
    return true;
  } catch {
    return false;
  }
}

/**
 * Holds the verified checkpoint `cp` ({ size, root (base64) }) to the one
 * remembered for the log key `vkey`, then remembers the larger of the two.
 * `fetchProof(from, to)` returns the consistency proof as base64 hashes.
 * Returns { since: the remembered size checked against, or null; remembered }.
 */
export async function witness(vkey, cp, fetchProof) {
  const before = recall(vkey);
  if (before) {
    // A smaller checkpoint than the remembered one (a lagging page load) is
    // checked the other way round: either way the two must be one history.
    const [older, newer] = before.size <= cp.size ? [before, cp] : [cp, before];
    const needsProof = older.size > 0 && older.size < newer.size;
    const proof = needsProof ? await fetchProof(older.size, newer.size) : [];
    let hashes;
    try {
      hashes = proof.map(fromBase64);
    } catch {
      throw new VerifyError('the consistency proof is not base64');
    }
    verifyConsistency(older.size, fromBase64(older.root), newer.size, fromBase64(newer.root), hashes);
  }
  const latest = before && before.size > cp.size ? before : cp;
  return { since: before ? before.size : null, remembered: remember(vkey, latest) };
}
