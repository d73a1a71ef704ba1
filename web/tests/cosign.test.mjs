// The cosignature verifier (C2SP tlog-cosignature, src/cosign.js and its use
// in src/verify.js) on the spec's own example, in node: no server, no browser.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseCheckpoint, parseCosignerKey, findCosignature, checkCosignatures, requireQuorum, parseQuorum, VerifyError,
} from '../src/verify.js';
import { KeyFileError } from '../src/crypto.js';

const VKEY = 'witness.example/w1+567cde09+BG56HN0psLeP0Tr0xVmP7/TvKpcWbjym8uT7/M2AUFvx';
const BODY = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
const BLOB = 'VnzeCQAAAABkGFDL7s5OOUhHwp4p21TTCJeMSo1Bl2UAhoc80ZEyygI4mjAEyrcw3omPMCGsE8sDMQ4TJ7l/j9PTUaUqfUtqLx2GBA==';
const LINE = `— witness.example/w1 ${BLOB}`;
const TIMESTAMP = 1679315147;
const WITNESSES = { quorum: '1 of {w1}', witnesses: [{ name: 'w1', vkey: VKEY }] };

const note = (line = LINE, body = BODY) => `${body}\n${line}\n`;

/** The blob with bit 0 of byte `at` flipped (0-3 key ID, 4-11 timestamp, 12-75 signature). */
function flipped(at) {
  const b = Buffer.from(BLOB, 'base64');
  b[at] ^= 1;
  return `— witness.example/w1 ${b.toString('base64')}`;
}

test('the spec example cosignature verifies, with its timestamp', () => {
  const key = parseCosignerKey(VKEY);
  assert.equal(key.name, 'witness.example/w1');
  assert.deepEqual(findCosignature(parseCheckpoint(note()), key), { status: 'verified', timestamp: TIMESTAMP });
  const report = checkCosignatures(note(), WITNESSES);
  assert.equal(report.valid, 1);
  assert.deepEqual(report.witnesses.map((w) => [w.name, w.status, w.timestamp]), [['w1', 'verified', TIMESTAMP]]);
  requireQuorum(report);
});

test('a flipped bit in the timestamp, the signature or the body fails; in the key ID the cosignature is missing', () => {
  const key = parseCosignerKey(VKEY);
  for (const at of [4, 11, 12, 40, 75]) {
    assert.equal(findCosignature(parseCheckpoint(note(flipped(at))), key).status, 'invalid', `byte ${at}`);
    const report = checkCosignatures(note(flipped(at)), WITNESSES);
    assert.throws(() => requireQuorum(report), (e) => e instanceof VerifyError && /w1: .*does not verify/.test(e.message));
  }
  const body = BODY.replace('20852163', '20852164');
  assert.equal(findCosignature(parseCheckpoint(note(LINE, body)), key).status, 'invalid');
  // A changed key ID names another key: this witness's cosignature is simply absent.
  const report = checkCosignatures(note(flipped(0)), WITNESSES);
  assert.equal(report.witnesses[0].status, 'missing');
  assert.throws(() => requireQuorum(report), /only 0 valid witness cosignatures; the quorum 1 of \{w1\} needs 1/);
  // A good line beside a failing one by the same key still fails: the note was altered.
  assert.equal(findCosignature(parseCheckpoint(`${BODY}\n${LINE}\n${flipped(40)}\n`), key).status, 'invalid');
});

test('cosigner keys: the key ID must match and the type byte must be 0x04', () => {
  assert.throws(() => parseCosignerKey(VKEY.replace('567cde09', '567cde0a')), KeyFileError);
  // The same public key as a signed-note Ed25519 key (type 0x01) is not a cosigner key.
  const raw = Buffer.from(VKEY.split('+')[2], 'base64');
  raw[0] = 0x01;
  assert.throws(() => parseCosignerKey(`witness.example/w1+567cde09+${raw.toString('base64')}`), /cosignature\/v1 key/);
  const report = checkCosignatures(note(), { quorum: 'w1', witnesses: [{ name: 'w1', vkey: 'nonsense' }] });
  assert.equal(report.witnesses[0].status, 'invalid');
  assert.throws(() => requireQuorum(report), /its key cannot be used/);
});

test('the quorum is read from a flat description, and otherwise every witness is required', () => {
  const names = ['a', 'b', 'c'];
  assert.deepEqual(parseQuorum('2 of {a, b, c}', names), { threshold: 2, members: names, exact: true });
  assert.deepEqual(parseQuorum('1 of {b}', names), { threshold: 1, members: ['b'], exact: true });
  assert.deepEqual(parseQuorum('c', names), { threshold: 1, members: ['c'], exact: true });
  for (const strange of ['2 of {a, 1 of {b, c}}', '2 of {a, x}', '4 of {a, b, c}', 'none', '', undefined]) {
    assert.deepEqual(parseQuorum(strange, names), { threshold: 3, members: names, exact: false }, String(strange));
  }
});
