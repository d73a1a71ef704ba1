// Keys and signatures, in the page: a party's key file is parsed here, its
// statements are built, signed and wrapped in DSSE envelopes here, and the key
// stays in this module's callers' memory only (never stored, never sent).
// Formats are Corridor's external contracts (C2SP signed-note keys, DSSE v1).

import * as ed from '@noble/ed25519';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { utf8, toBase64, fromBase64, toHex, concat } from './bytes.js';

// Synchronous SHA-512 works on plain-http origins too, where WebCrypto is absent.
ed.hashes.sha512 = sha512;

export const PAYLOAD_TYPE = 'application/vnd.corridor.statement.v1+json';
const ALG_ED25519 = 0x01;
const PARTY_ID = /^[a-z0-9][a-z0-9.-]*$/;

export class KeyFileError extends Error {}

/** SHA-256(name || 0x0A || type || key)[:4]: a key's ID for its signature type (C2SP signed-note). */
export function typedKeyId(name, alg, publicKey) {
  return sha256(concat(utf8(name), Uint8Array.of(0x0a, alg), publicKey)).slice(0, 4);
}

export function keyId(name, publicKey) {
  return typedKeyId(name, ALG_ED25519, publicKey);
}

export function vkeyText(name, publicKey) {
  return `${name}+${toHex(keyId(name, publicKey))}+${toBase64(concat(Uint8Array.of(ALG_ED25519), publicKey))}`;
}

function keyBytes(b64, what, alg = ALG_ED25519, kind = 'an Ed25519 key (1 algorithm byte and 32 key bytes)') {
  let raw;
  try {
    raw = fromBase64(b64);
  } catch {
    throw new KeyFileError(`the ${what} is not valid base64`);
  }
  if (raw.length !== 33 || raw[0] !== alg) {
    throw new KeyFileError(`the ${what} is not ${kind}`);
  }
  return raw.slice(1);
}

/**
 * Parses vkey text `name+hex8+base64(alg || key)` of signature type `alg`
 * (described as `kind` when refused); `what` names it in errors.
 */
export function parseTypedKey(text, alg, what, kind) {
  // The key's base64 may itself contain '+': only the first two split.
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+(\S+)$/.exec(String(text).trim());
  if (!m) throw new KeyFileError(`not a ${what} (name+keyID+key)`);
  const [, name, hex, b64] = m;
  const publicKey = keyBytes(b64, what, alg, kind);
  const id = typedKeyId(name, alg, publicKey);
  if (toHex(id) !== hex) throw new KeyFileError(`the ${what} ID does not match its key`);
  return { name, keyId: id, publicKey, text: `${name}+${hex}+${b64}` };
}

/** Parses verifier key text `name+hex8+base64(0x01 || key)`. */
export function parseVerifierKey(text) {
  return parseTypedKey(text, ALG_ED25519, 'verifier key', 'an Ed25519 key (1 algorithm byte and 32 key bytes)');
}

/**
 * Parses a party's private key file `PRIVATE+KEY+<name>+<keyID>+<base64(0x01 || seed)>`
 * and refuses it unless the key ID is the one its public key yields.
 */
export function parsePrivateKey(text) {
  if (typeof text !== 'string' || text.length > 1024) throw new KeyFileError('this file is not a Corridor key file');
  const line = text.replace(/\r?\n$/, '');
  // The key's base64 may itself contain '+': name and key ID are the fields before it.
  const m = /^PRIVATE\+KEY\+([^+]*)\+([^+]*)\+(.*)$/s.exec(line);
  if (!m) {
    throw new KeyFileError('this file is not a Corridor private key (expected PRIVATE+KEY+<party>+<key ID>+<key>)');
  }
  const [, name, hex, b64] = m;
  if (!PARTY_ID.test(name) || name.length > 64) throw new KeyFileError(`"${name}" is not a party id`);
  if (!/^[0-9a-f]{8}$/.test(hex)) throw new KeyFileError('the key ID is not 8 lowercase hex digits');
  const seed = keyBytes(b64, 'private key');
  const publicKey = ed.getPublicKey(seed);
  if (toHex(keyId(name, publicKey)) !== hex) {
    throw new KeyFileError('the key ID in the file does not match its key: the file is damaged or edited');
  }
  return { party: name, keyid: `${name}+${hex}`, seed, publicKey, vkey: vkeyText(name, publicKey) };
}

/** DSSE v1 pre-authentication encoding. */
export function pae(payloadType, payload) {
  const type = utf8(payloadType);
  return concat(utf8(`DSSEv1 ${type.length} ${payloadType} ${payload.length} `), payload);
}

function randomSuffix() {
  const b = new Uint8Array(4);
  crypto.getRandomValues(b);
  return toHex(b);
}

/** A statement with a fresh id (type, time and randomness make it unique). */
export function newStatement(type, issuer, body, now = new Date()) {
  const id = `${type.replace(/\./g, '-')}-${now.getTime().toString(36)}-${randomSuffix()}`;
  return { type, issuer, id, issued_at: now.toISOString(), body };
}

/** Signs a statement with the signed-in key; returns the DSSE envelope. */
export function signStatement(statement, key) {
  if (statement.issuer !== key.party) throw new Error('a statement is signed by its issuer');
  const payload = utf8(JSON.stringify(statement));
  const sig = ed.sign(pae(PAYLOAD_TYPE, payload), key.seed);
  return { payloadType: PAYLOAD_TYPE, payload: toBase64(payload), signatures: [{ keyid: key.keyid, sig: toBase64(sig) }] };
}

/**
 * Adds the signed-in key's signature to an envelope another party signed
 * (a custody hand-off is signed by both sides): the same payload, one more
 * signature over its PAE. Refuses an envelope this key already signed.
 */
export function countersignEnvelope(envelope, key) {
  if (envelope.signatures.some((s) => s.keyid === key.keyid)) throw new Error('this key has already signed it');
  const sig = ed.sign(pae(envelope.payloadType, fromBase64(envelope.payload)), key.seed);
  return { ...envelope, signatures: [...envelope.signatures, { keyid: key.keyid, sig: toBase64(sig) }] };
}

/**
 * Whether `envelope` carries a valid signature by one of `party`'s live
 * keys (its registered vkeys, as GET /v1/parties lists them).
 */
export function signedByParty(envelope, party) {
  const message = pae(envelope.payloadType, fromBase64(envelope.payload));
  return party.keys.filter((k) => k.revoked_at_index === null || k.revoked_at_index === undefined).some((k) => {
    const vkey = parseVerifierKey(k.vkey);
    const keyid = `${vkey.name}+${toHex(vkey.keyId)}`;
    return vkey.name === party.id
      && envelope.signatures.some((s) => s.keyid === keyid && verifySignature(fromBase64(s.sig), message, vkey.publicKey));
  });
}

export function verifySignature(sig, message, publicKey) {
  try {
    // Strict RFC 8032 (zip215: false), as the server's verify_strict: no
    // non-canonical S or point encodings.
    return sig.length === 64 && ed.verify(sig, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

export { sha256 };
