// Witness cosignatures, C2SP tlog-cosignature v1 (https://c2sp.org/tlog-cosignature):
// `cosignature/v1`, Ed25519. A log signature on a checkpoint shows only that
// the log signed it; a witness cosigns a checkpoint after checking that it
// extends every checkpoint of that log the witness saw before, so a quorum
// of cosignatures means the log cannot show two histories without
// independent witnesses noticing. Pure functions, so that the page's reading
// of the format can be tested on its own (verify.js re-exports them).
//
// Formats, from the spec:
// - key ID = SHA-256(name || 0x0A || 0x04 || public key)[:4];
// - vkey text `name+hex(keyID)+base64(0x04 || public key)`;
// - signature line `— name base64(keyID || u64 timestamp (big-endian) || Ed25519 signature)`;
// - signed message `cosignature/v1\ntime <timestamp>\n` followed by the
//   checkpoint body (its final newline included, no signature lines).

import { verifySignature, typedKeyId, parseTypedKey } from './crypto.js';
import { utf8, equal } from './bytes.js';

export const ALG_COSIGNATURE_V1 = 0x04;
// The spec's timestamps are POSIX seconds that fit a signed 64-bit integer.
const MAX_TIMESTAMP = 2n ** 63n - 1n;

export function cosignerKeyId(name, publicKey) {
  return typedKeyId(name, ALG_COSIGNATURE_V1, publicKey);
}

/** Parses a witness's vkey `name+hex8+base64(0x04 || key)`; throws KeyFileError. */
export function parseCosignerKey(text) {
  return parseTypedKey(text, ALG_COSIGNATURE_V1, 'cosigner key', 'a cosignature/v1 key (type byte 0x04 and 32 Ed25519 key bytes)');
}

/** The bytes a cosignature signs: header line, time line, checkpoint body. */
export function cosignedMessage(body, timestamp) {
  return utf8(`cosignature/v1\ntime ${BigInt(timestamp)}\n${body}`);
}

/**
 * Checks one signature line's bytes after the key ID (timestamp, then the
 * Ed25519 signature) against the checkpoint `body`. Returns the timestamp
 * in POSIX seconds (a number), or null if the line does not verify.
 */
export function verifyCosignatureBlob(body, blob, key) {
  if (!(blob instanceof Uint8Array) || blob.length !== 8 + 64) return null;
  const timestamp = new DataView(blob.buffer, blob.byteOffset, 8).getBigUint64(0);
  if (timestamp > MAX_TIMESTAMP) return null;
  if (!verifySignature(blob.subarray(8), cosignedMessage(body, timestamp), key.publicKey)) return null;
  return Number(timestamp);
}

/**
 * The cosignature `key` made on a parsed checkpoint ({ body, signatures } as
 * parseCheckpoint returns): { status: 'verified', timestamp } if a line with
 * the key's name and ID verifies, { status: 'missing' } if there is none, and
 * { status: 'invalid' } if any such line fails: the witness's key signed no
 * such thing, so the note was altered (as c2sp.org/signed-note treats a
 * failing signature by a known key). Of several good lines, the earliest counts.
 */
export function findCosignature(checkpoint, key) {
  const lines = checkpoint.signatures.filter((s) => s.name === key.name && equal(s.keyId, key.keyId));
  if (!lines.length) return { status: 'missing' };
  let earliest = null;
  for (const s of lines) {
    const t = verifyCosignatureBlob(checkpoint.body, s.sig, key);
    if (t === null) return { status: 'invalid' };
    if (earliest === null || t < earliest) earliest = t;
  }
  return { status: 'verified', timestamp: earliest };
}

/**
 * The quorum rule from the log's description of it, for witnesses known by
 * `names`: `K of {a, b, ...}` with a flat list of known names, or one known
 * name, is read as written; anything else (nested groups, unknown names)
 * falls back to the strictest reading, every listed witness. Returns
 * { threshold, members, exact } (exact: the description was read as written).
 */
export function parseQuorum(description, names) {
  const text = String(description ?? '').trim();
  const known = (list) => list.length && list.every((n) => names.includes(n)) && new Set(list).size === list.length;
  const m = /^([1-9][0-9]*) of \{([^{}]*)\}$/.exec(text);
  if (m) {
    const members = m[2].split(',').map((s) => s.trim());
    const threshold = Number(m[1]);
    if (known(members) && threshold <= members.length) return { threshold, members, exact: true };
  } else if (known([text])) {
    return { threshold: 1, members: [text], exact: true };
  }
  return { threshold: names.length, members: [...names], exact: false };
}
