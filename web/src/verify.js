// The verifier: checkpoints (C2SP signed notes) against the log's verifier
// key, RFC 6962 / RFC 9162 inclusion proofs, and tree roots recomputed from
// C2SP tiles, and witness cosignatures (C2SP tlog-cosignature, in cosign.js)
// against a quorum. Everything runs in the browser so that a receipt or a
// checkpoint is believed because it checks out, not because the server says
// so. Built as its own module (verify.js) so that anyone can import it from
// the console.

import { sha256, parseVerifierKey, verifySignature } from './crypto.js';
import { utf8, fromBase64, toBase64, concat, equal } from './bytes.js';
import { tilePath, tileWidth, TILE_WIDTH } from './tiles.js';
import { parseCosignerKey, findCosignature, parseQuorum } from './cosign.js';

export {
  parseCosignerKey, cosignerKeyId, cosignedMessage, verifyCosignatureBlob, findCosignature, parseQuorum,
} from './cosign.js';

export class VerifyError extends Error {}

const fail = (msg) => {
  throw new VerifyError(msg);
};

export const leafHash = (entry) => sha256(concat(Uint8Array.of(0), entry));
export const nodeHash = (left, right) => sha256(concat(Uint8Array.of(1), left, right));

function hash32(b64, what) {
  let h;
  try {
    h = fromBase64(b64);
  } catch {
    fail(`${what} is not base64`);
  }
  if (h.length !== 32) fail(`${what} is not a 32-byte hash`);
  return h;
}

/** RFC 9162 §2.1.3.2: the root that `proof` leads to from `leaf` at `index` in a tree of `size`. */
export function rootFromInclusionProof(index, size, leaf, proof) {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    fail(`index ${index} is not inside a tree of size ${size}`);
  }
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  const odd = (n) => n % 2 === 1;
  for (const p of proof) {
    if (sn === 0) fail('the inclusion proof is longer than the tree allows');
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      while (!odd(fn) && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) fail('the inclusion proof is shorter than the tree needs');
  return r;
}

/**
 * RFC 9162 §2.1.4.2: whether `proof` shows that the tree of `size1` leaves
 * with root `root1` is a prefix of the tree of `size2` leaves with root
 * `root2`. Sizes may exceed 2^32, so halving is arithmetic, not bitwise.
 */
export function verifyConsistency(size1, root1, size2, root2, proof) {
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 0 || size1 > size2) {
    fail(`no consistency between sizes ${size1} and ${size2}`);
  }
  if (size1 === size2) {
    if (proof.length || !equal(root1, root2)) fail('two checkpoints of the same size disagree on the root');
    return;
  }
  if (size1 === 0) {
    if (proof.length) fail('a consistency proof from the empty tree must be empty');
    return;
  }
  const odd = (n) => n % 2 === 1;
  const half = (n) => Math.floor(n / 2);
  // A power-of-two first tree is itself a node of the second: its root starts the path.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : proof;
  if (!path.length) fail('the consistency proof is empty');
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) fail('the consistency proof is longer than the trees allow');
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) fail('the consistency proof is shorter than the trees need');
  if (!equal(fr, root1)) fail('the consistency proof does not lead to the earlier root: history was rewritten');
  if (!equal(sr, root2)) fail('the consistency proof does not lead to the later root');
}

function isPowerOfTwo(n) {
  while (n > 1 && n % 2 === 0) n /= 2;
  return n === 1;
}

/** Splits a checkpoint note into its signed body, parsed fields and signature lines. */
export function parseCheckpoint(text) {
  if (typeof text !== 'string') fail('the checkpoint is not text');
  const sep = text.indexOf('\n\n');
  if (sep < 0) fail('the checkpoint has no signature block');
  const body = text.slice(0, sep + 1);
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 3) fail('the checkpoint body needs origin, size and root hash');
  const [origin, sizeText, rootText] = lines;
  if (!origin) fail('the checkpoint has no origin');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    fail('the checkpoint size is not a decimal number');
  }
  const root = hash32(rootText, 'the checkpoint root');
  const sigText = text.slice(sep + 2);
  if (!sigText.endsWith('\n')) fail('the checkpoint does not end with a newline');
  const signatures = sigText.slice(0, -1).split('\n').map((line) => {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m) fail('a checkpoint signature line is malformed');
    let raw;
    try {
      raw = fromBase64(m[2]);
    } catch {
      fail('a checkpoint signature is not base64');
    }
    if (raw.length < 5) fail('a checkpoint signature is too short');
    return { name: m[1], keyId: raw.slice(0, 4), sig: raw.slice(4) };
  });
  return { body, origin, size: Number(sizeText), root, signatures };
}

/**
 * Checks the log's signature on a checkpoint with the log's verifier key and
 * returns its origin, size and root. The origin must be the key's name.
 */
export function verifyCheckpoint(text, vkey) {
  const key = typeof vkey === 'string' ? parseVerifierKey(vkey) : vkey;
  const cp = parseCheckpoint(text);
  if (cp.origin !== key.name) fail(`the checkpoint is for origin ${cp.origin}, not ${key.name}`);
  // C2SP signed-note: every line naming the log key (name and key ID) must
  // verify, and there must be one; lines by other keys are not checked.
  const mine = cp.signatures.filter((s) => s.name === key.name && equal(s.keyId, key.keyId));
  if (!mine.length) fail('the checkpoint carries no signature by the log key');
  if (!mine.every((s) => verifySignature(s.sig, utf8(cp.body), key.publicKey))) {
    fail('a checkpoint signature line by the log key does not verify');
  }
  return cp;
}

/**
 * The root of the tree of `size` leaves, recomputed from hash tiles:
 * the maximal perfect subtrees from the left, each hashed up from the
 * lowest tile level that holds its nodes, folded right to left.
 * `fetchTile(path)` returns the tile's bytes (a Uint8Array).
 */
export async function rootFromTiles(size, fetchTile) {
  if (!Number.isSafeInteger(size) || size < 0) fail(`bad tree size ${size}`);
  if (size === 0) return sha256(new Uint8Array(0));
  const tiles = new Map();
  const tile = (level, n) => {
    const width = tileWidth(level, n, size);
    const path = tilePath(level, n, width);
    if (!tiles.has(path)) {
      tiles.set(path, Promise.resolve(fetchTile(path)).then((data) => {
        if (!(data instanceof Uint8Array) || data.length !== width * 32) {
          fail(`tile ${path} holds ${data?.length} bytes, not ${width * 32}`);
        }
        return data;
      }));
    }
    return tiles.get(path).then((data) => ({ data, n }));
  };

  const subtree = async (offset, height) => {
    const level = Math.floor(height / 8);
    const span = TILE_WIDTH ** level;
    const from = offset / span;
    const to = (offset + 2 ** height) / span;
    const wanted = [];
    for (let n = Math.floor(from / TILE_WIDTH); n * TILE_WIDTH < to; n++) wanted.push(tile(level, n));
    let nodes = [];
    for (const { data, n } of await Promise.all(wanted)) {
      for (let i = Math.max(from, n * TILE_WIDTH); i < Math.min(to, (n + 1) * TILE_WIDTH); i++) {
        const at = (i - n * TILE_WIDTH) * 32;
        nodes.push(data.subarray(at, at + 32));
      }
    }
    if (nodes.length !== to - from) fail('the tiles do not cover the tree');
    while (nodes.length > 1) {
      const up = [];
      for (let i = 0; i < nodes.length; i += 2) up.push(nodeHash(nodes[i], nodes[i + 1]));
      nodes = up;
    }
    return nodes[0];
  };

  const parts = [];
  let offset = 0;
  for (let h = 52; h >= 0; h--) {
    if (Math.floor(size / 2 ** h) % 2 === 1) {
      parts.push(subtree(offset, h));
      offset += 2 ** h;
    }
  }
  const hashes = await Promise.all(parts);
  let root = hashes[hashes.length - 1];
  for (let i = hashes.length - 2; i >= 0; i--) root = nodeHash(hashes[i], root);
  return root;
}

/**
 * Verifies a checkpoint end to end: the log's signature, then the root
 * recomputed from the tiles. Returns { origin, size, root (base64) }.
 */
export async function verifyCheckpointWithTiles(text, vkey, fetchTile) {
  const cp = verifyCheckpoint(text, vkey);
  const root = await rootFromTiles(cp.size, fetchTile);
  if (!equal(root, cp.root)) fail('the root recomputed from the tiles differs from the checkpoint root');
  return { origin: cp.origin, size: cp.size, root: toBase64(cp.root) };
}

/**
 * Checks each witness's cosignature (c2sp.org/tlog-cosignature) on the
 * checkpoint note `text` against the witness's vkey, and counts the valid
 * ones against the quorum. `witnesses` is `/v1/log`'s { quorum, witnesses:
 * [{ name, vkey }] }. A bad cosignature does not throw: the report says what
 * was found for every witness, so that the page can show it; requireQuorum
 * turns the report into a verdict. Returns { size, witnesses: [{ name,
 * keyName, status ('verified' | 'missing' | 'invalid'), timestamp, reason }],
 * quorum: { description, threshold, members, exact }, valid }.
 */
export function checkCosignatures(text, witnesses) {
  const cp = parseCheckpoint(text);
  const list = Array.isArray(witnesses?.witnesses) ? witnesses.witnesses : [];
  const results = list.map((w) => {
    let key;
    try {
      key = parseCosignerKey(w.vkey);
    } catch (e) {
      return { name: w.name, status: 'invalid', reason: `its key cannot be used: ${e.message}` };
    }
    const found = findCosignature(cp, key);
    const reason = {
      missing: 'no cosignature by its key on this checkpoint',
      invalid: 'a cosignature line by its key does not verify: the checkpoint was altered',
    }[found.status];
    return { name: w.name, keyName: key.name, ...found, reason };
  });
  const quorum = { description: String(witnesses?.quorum ?? ''), ...parseQuorum(witnesses?.quorum, list.map((w) => w.name)) };
  const valid = results.filter((r) => r.status === 'verified' && quorum.members.includes(r.name)).length;
  return { size: cp.size, witnesses: results, quorum, valid };
}

/**
 * Throws unless the report of checkCosignatures meets its quorum. A failing
 * line by a known witness fails the checkpoint whatever the count, as the
 * log's own verifier (and c2sp.org/signed-note) treats it.
 */
export function requireQuorum(report) {
  const bad = report.witnesses.find((w) => w.status === 'invalid');
  if (bad) fail(`witness ${bad.name}: ${bad.reason}`);
  const { threshold, description, exact } = report.quorum;
  if (report.valid < threshold) {
    const have = `only ${report.valid} valid witness cosignature${report.valid === 1 ? '' : 's'}`;
    fail(exact
      ? `${have}; the quorum ${description} needs ${threshold}`
      : `${have}; all ${threshold} listed witnesses must cosign (the quorum is described as ${JSON.stringify(description)})`);
  }
}

const TLOG_PROOF_HEADER = 'c2sp.org/tlog-proof@v1\n';
const MAX_PROOF_HASHES = 64;

/**
 * Parses C2SP tlog-proof text: the header, an optional `extra` line, the
 * `index` line, one base64 hash per line, a blank line, then the checkpoint
 * verbatim. Returns { index, proof: [Uint8Array], checkpoint }.
 */
export function parseTlogProof(text) {
  if (typeof text !== 'string' || !text.startsWith(TLOG_PROOF_HEADER)) {
    fail('the tlog_proof lacks its c2sp.org/tlog-proof@v1 header');
  }
  const rest = text.slice(TLOG_PROOF_HEADER.length);
  const sep = rest.indexOf('\n\n');
  if (sep < 0) fail('the tlog_proof has no blank line before its checkpoint');
  const lines = rest.slice(0, sep).split('\n');
  if (lines[0].startsWith('extra ')) {
    try {
      fromBase64(lines.shift().slice('extra '.length));
    } catch {
      fail('the tlog_proof extra line is not base64');
    }
  }
  const m = /^index (0|[1-9][0-9]*)$/.exec(lines[0] ?? '');
  if (!m || !Number.isSafeInteger(Number(m[1]))) fail('the tlog_proof index line is malformed');
  const hashes = lines.slice(1);
  if (hashes.length > MAX_PROOF_HASHES) fail('the tlog_proof has too many hashes');
  const proof = hashes.map((h, i) => hash32(h, `tlog_proof hash ${i}`));
  return { index: Number(m[1]), proof, checkpoint: rest.slice(sep + 2) };
}

const RECEIPT_FIELDS = ['index', 'leaf_hash', 'sequenced_at', 'checkpoint', 'inclusion_proof', 'tlog_proof'];

/** The one form the log writes times in: YYYY-MM-DDTHH:MM:SS.sssZ, a real instant. */
function checkTime(t) {
  const shaped = typeof t === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(t);
  const real = shaped && !t.startsWith('0000') && new Date(t).toISOString() === t;
  if (!real) fail(`the receipt sequenced_at ${JSON.stringify(t)} is not written YYYY-MM-DDTHH:MM:SS.sssZ`);
}

/**
 * Verifies a receipt, every field: its members (exactly a receipt's), the
 * syntax of `sequenced_at`, the agreement of `index`, `inclusion_proof` and
 * `checkpoint` with its `tlog_proof` text, the checkpoint's signature by the
 * log key, and the inclusion proof from the leaf hash to the checkpoint's
 * root. When the entry's bytes are given, the leaf hash must be theirs.
 * Each disagreement has its own message; the CLI (`corridor verify
 * --proof`) applies the same rules.
 */
export function verifyReceipt(receipt, vkey, entryBytes) {
  if (!receipt || typeof receipt !== 'object' || Array.isArray(receipt)) fail('no receipt');
  const unknown = Object.keys(receipt).find((k) => !RECEIPT_FIELDS.includes(k));
  if (unknown) fail(`the receipt has a field ${unknown} that receipts do not have`);
  const missing = RECEIPT_FIELDS.find((k) => !(k in receipt));
  if (missing) fail(`the receipt has no ${missing}`);
  if (!Number.isSafeInteger(receipt.index) || receipt.index < 0) fail('the receipt index is not a whole number');
  const leaf = hash32(receipt.leaf_hash, 'the leaf hash');
  if (!Array.isArray(receipt.inclusion_proof)) fail('the receipt inclusion_proof is not a list');
  const proof = receipt.inclusion_proof.map((p, i) => hash32(p, `proof hash ${i}`));
  checkTime(receipt.sequenced_at);
  const tlog = parseTlogProof(receipt.tlog_proof);
  if (tlog.index !== receipt.index) fail(`the receipt index is ${receipt.index} but its tlog_proof says ${tlog.index}`);
  if (tlog.proof.length !== proof.length || tlog.proof.some((h, i) => !equal(h, proof[i]))) {
    fail('the receipt inclusion_proof differs from the proof in its tlog_proof');
  }
  if (tlog.checkpoint !== receipt.checkpoint) fail('the receipt checkpoint differs from the checkpoint in its tlog_proof');
  const cp = verifyCheckpoint(receipt.checkpoint, vkey);
  if (entryBytes && !equal(leafHash(entryBytes), leaf)) fail('the entry does not hash to the leaf hash');
  const root = rootFromInclusionProof(receipt.index, cp.size, leaf, proof);
  if (!equal(root, cp.root)) fail('the inclusion proof does not lead to the checkpoint root');
  return { index: receipt.index, size: cp.size, origin: cp.origin, root: toBase64(cp.root) };
}
