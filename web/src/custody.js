// Two-party custody hand-offs. A `custody.transfer` is logged only with the
// signatures of both its sender and its receiver, and neither party's key
// ever leaves its own browser, so the half-signed envelope has to travel from
// one to the other. It travels as a signed `message.send` to the receiver on
// the deconfliction channel: the log then holds, durably and in order, that
// the sender offered exactly these items and quantities and when, and the
// receiver's acknowledgement of that message records that it has dealt with
// the offer (countersigned or refused). ARCHITECTURE.md gives the reasons for
// this choice over a store of pending envelopes on the server.
//
// The sender fills in the hand-off and signs; the receiver sees it waiting,
// checks the sender's signature against its registered key and the items
// and quantities, then countersigns and submits, or refuses with a reason
// sent back as a message.

import { h, replace, fmtNumber, fmtTime } from './dom.js';
import { field, input } from './actions.js';
import { newStatement, signStatement, countersignEnvelope, signedByParty, PAYLOAD_TYPE } from './crypto.js';
import { fromBase64, fromUtf8 } from './bytes.js';
import * as api from './api.js';

const BEGIN = '-----BEGIN CORRIDOR HALF-SIGNED ENVELOPE-----';
const END = '-----END CORRIDOR HALF-SIGNED ENVELOPE-----';
// A message's text is at most 16,384 characters (brief §5 limits).
const MAX_MESSAGE_TEXT = 16384;
// Messages scanned for offers: the most recent pages addressed to the party.
const SCAN_PAGES = 5;

/** The message text that carries a half-signed hand-off. */
export function offerText(statement, envelope) {
  const b = statement.body;
  const lines = b.items.map((it) => `- ${fmtNumber(it.quantity)} ${it.unit} of ${it.item}`);
  return [
    `${b.from} hands over consignment ${b.consignment} to ${b.to}${b.place ? ` at ${b.place.name}` : ''}:`,
    ...lines,
    '',
    `Countersign or refuse it in the Custody panel. Statement ${statement.issuer}/${statement.id}.`,
    BEGIN, JSON.stringify(envelope), END,
  ].join('\n');
}

/**
 * The hand-off a message offers, or null: its envelope must carry a
 * `custody.transfer` issued by the message's sender, from the sender to `me`.
 */
export function readOffer(message, me) {
  const start = message.text.indexOf(BEGIN);
  const end = message.text.indexOf(END);
  if (start < 0 || end < start) return null;
  try {
    const envelope = JSON.parse(message.text.slice(start + BEGIN.length, end));
    if (envelope.payloadType !== PAYLOAD_TYPE || !Array.isArray(envelope.signatures)) return null;
    const statement = JSON.parse(fromUtf8(fromBase64(envelope.payload)));
    const b = statement.body || {};
    const fits = statement.type === 'custody.transfer' && statement.issuer === message.from
      && b.from === message.from && b.to === me && Array.isArray(b.items);
    return fits ? { message, envelope, statement } : null;
  } catch {
    return null;
  }
}

/**
 * Parses item lines `quantity, unit, item` (one per line), held to the
 * rules the log holds a hand-off to (positive quantities within ±(2^53−1),
 * each item and unit once): an offer the receiver could never countersign
 * is refused here, before it is sent.
 */
export function readItems(text) {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  if (!lines.length) throw new Error('list at least one item: “quantity, unit, item” per line');
  const seen = new Set();
  return lines.map((line, i) => {
    const [q, unit, ...rest] = line.split(',').map((s) => s.trim());
    const quantity = Number(q);
    const item = rest.join(', ');
    if (!q || !unit || !item) throw new Error(`item line ${i + 1} is not “quantity, unit, item”`);
    if (!(quantity > 0) || quantity > Number.MAX_SAFE_INTEGER || !/^\d+(\.\d+)?$/.test(q)) {
      throw new Error(`item line ${i + 1}: the quantity must be a positive number written in digits, at most ${Number.MAX_SAFE_INTEGER}`);
    }
    const key = `${item}\u0000${unit}`;
    if (seen.has(key)) throw new Error(`item line ${i + 1}: ${item} (${unit}) is listed twice`);
    seen.add(key);
    return { item, unit, quantity };
  });
}

export class CustodyPanel {
  /** `ctx`: the console's form context (getKey, parties, submit, submitSigned, cmap, picking). */
  constructor(el, ctx) {
    this.el = el;
    this.ctx = ctx;
    this.waitingEl = h('div', { class: 'handoffs-waiting', id: 'handoffs-waiting', 'aria-live': 'polite' });
    this.formSlot = h('div', { class: 'handoff-form-slot' });
    this.refusing = new Map();
    replace(el, this.waitingEl, this.formSlot);
    this.onIdentity();
  }

  onIdentity() {
    this.refusing.clear();
    const key = this.ctx.getKey();
    replace(this.formSlot, key ? this.handOffForm(key) : null);
    if (!key) replace(this.waitingEl, h('p', { class: 'empty' }, 'Sign in with your key file to hand over consignments or countersign hand-offs.'));
  }

  /** Reloads the offers waiting for the signed-in party's signature. */
  async load(fresh) {
    const key = this.ctx.getKey();
    if (!key) return;
    const { messages } = await api.getAll('/v1/messages', { to: key.party }, 'messages', SCAN_PAGES, 200);
    if (!fresh() || this.ctx.getKey() !== key) return;
    const offers = messages
      .filter((m) => !m.acknowledged_by.some((a) => a.party === key.party))
      .map((m) => readOffer(m, key.party)).filter(Boolean)
      .reverse();
    this.render(offers, key);
  }

  render(offers, key) {
    const parties = new Map(this.ctx.parties().map((p) => [p.id, p]));
    replace(this.waitingEl,
      h('h3', null, `Waiting for your signature (${offers.length})`),
      offers.length ? offers.map((o) => this.offerCard(o, parties.get(o.statement.issuer), key))
        : h('p', { class: 'empty' }, 'No hand-off is waiting for your signature.'));
  }

  offerCard(offer, sender, key) {
    const { message, envelope, statement } = offer;
    const b = statement.body;
    const ref = `${statement.issuer}/${statement.id}`;
    const genuine = !!sender && signedByParty(envelope, sender);
    const counted = h('input', { type: 'checkbox', name: 'counted' });
    const sign = h('button', { type: 'button', class: 'primary countersign', disabled: true }, 'Countersign and submit');
    counted.addEventListener('change', () => { sign.disabled = !counted.checked || !genuine; });
    sign.addEventListener('click', () => this.countersign(offer, key, sign));
    const refuse = h('button', { type: 'button', class: 'refuse', 'aria-expanded': 'false' }, 'Refuse…');
    const slot = h('div', { class: 'refuse-slot' });
    refuse.addEventListener('click', () => this.toggleRefuse(offer, refuse, slot));
    if (this.refusing.has(message.ref)) {
      slot.append(this.refusing.get(message.ref));
      refuse.setAttribute('aria-expanded', 'true');
    }
    return h('article', { class: 'handoff', dataset: { ref, message: message.ref, consignment: b.consignment }, 'aria-label': `Hand-off ${ref}` },
      h('h4', null, `Consignment ${b.consignment} from ${b.from}`),
      h('p', { class: 'meta' }, `Offered ${fmtTime(message.sequenced_at)} (message entry ${message.index})`, b.place ? ` · at ${b.place.name}` : ''),
      h('p', { class: 'signature', dataset: { verified: String(genuine) } }, genuine
        ? `✔ signed by ${b.from}'s registered key`
        : `✘ the signature does not verify against ${b.from}'s registered keys: do not countersign`),
      h('div', { class: 'table-wrap' }, h('table', { class: 'handoff-items' },
        h('caption', null, 'Items and quantities to check'),
        h('thead', null, h('tr', null, ['Item', 'Unit', 'Quantity'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, b.items.map((it) => h('tr', { dataset: { item: it.item } },
          h('th', { scope: 'row' }, it.item), h('td', { dataset: { label: 'Unit' } }, it.unit),
          h('td', { class: 'quantity', dataset: { label: 'Quantity' } }, fmtNumber(it.quantity))))))),
      h('label', { class: 'counted' }, counted, ' I have checked these items and quantities against what I received'),
      h('div', { class: 'actions' }, sign, refuse), slot);
  }

  async countersign(offer, key, button) {
    button.disabled = true;
    let envelope;
    try {
      envelope = countersignEnvelope(offer.envelope, key);
    } catch (e) {
      this.ctx.problem('Not countersigned', e);
      return;
    }
    const receipt = await this.ctx.submitSigned(offer.statement, envelope);
    // The offer is dealt with: acknowledging its message takes it off the list
    // (a countersignature already logged answers with its original receipt).
    if (receipt) await this.ctx.submit('acknowledge', { refs: [offer.message.ref] });
    else button.disabled = false;
  }

  toggleRefuse(offer, button, slot) {
    const id = offer.message.ref;
    if (this.refusing.has(id)) {
      this.refusing.get(id).remove();
      this.refusing.delete(id);
      button.setAttribute('aria-expanded', 'false');
      return;
    }
    const [reasonWrap, reason] = field('Reason, sent to the sender', h('textarea', { name: 'reason', rows: 3, maxlength: 4000 }));
    const form = h('form', { class: 'refuse-form' }, reasonWrap,
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Sign and send refusal')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!reason.value.trim()) {
        this.ctx.problem('Refusal not sent', new Error('say why, so that the sender can put it right'));
        return;
      }
      const { statement } = offer;
      const sent = await this.ctx.submit('message.send', {
        to: [statement.issuer],
        subject: `Custody hand-off refused: ${statement.body.consignment}`,
        text: `${reason.value.trim()}\n\nRefused: custody.transfer ${statement.issuer}/${statement.id}.`,
        refs: [offer.message.ref],
      });
      if (!sent) return;
      this.refusing.delete(id);
      await this.ctx.submit('acknowledge', { refs: [offer.message.ref] });
    });
    this.refusing.set(id, form);
    slot.append(form);
    button.setAttribute('aria-expanded', 'true');
    reason.focus();
  }

  handOffForm(key) {
    const others = this.ctx.parties().filter((p) => p.id !== key.party);
    const [consWrap, consignment] = field('Consignment', input({ name: 'consignment', maxlength: 128 }), 'the id the movement and earlier hand-offs use');
    const [toWrap, to] = field('Receiving party', h('select', { name: 'to' }, others.map((p) => h('option', { value: p.id }, `${p.id} (${p.name})`))));
    const [itemsWrap, items] = field('Items (one “quantity, unit, item” per line)', h('textarea', { name: 'items', rows: 4 }), 'e.g. 400, kits, hygiene kit');
    const [placeWrap, place] = field('Place (optional)', input({ name: 'place', maxlength: 256 }));
    const status = h('p', { class: 'form-status', role: 'status' });
    const form = h('form', { class: 'file-form', id: 'form-handoff', 'aria-labelledby': 'form-handoff-title', novalidate: true },
      h('h3', { id: 'form-handoff-title' }, 'Hand over a consignment'),
      h('p', { class: 'hint' }, 'You sign first; the receiving party checks the items, then countersigns. The offer reaches it as a message.'),
      consWrap, toWrap, itemsWrap, placeWrap,
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Sign and send for countersigning')), status);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      status.textContent = '';
      let statement;
      let text;
      try {
        if (!consignment.value.trim()) throw new Error('name the consignment');
        if (!to.value) throw new Error('choose the receiving party');
        const body = { consignment: consignment.value.trim(), from: key.party, to: to.value, items: readItems(items.value) };
        if (place.value.trim()) body.place = { name: place.value.trim() };
        statement = newStatement('custody.transfer', key.party, body);
        text = offerText(statement, signStatement(statement, key));
        if (text.length > MAX_MESSAGE_TEXT) throw new Error('too many items for one hand-off message; split the consignment');
      } catch (err) {
        status.textContent = `Please check the form: ${err.message}`;
        return;
      }
      const receipt = await this.ctx.submit('message.send', {
        to: [statement.body.to],
        subject: `Custody hand-off for your signature: ${statement.body.consignment}`,
        text,
      });
      if (receipt) {
        status.textContent = `Sent to ${statement.body.to} for countersigning (message entry ${receipt.index}).`;
        items.value = '';
      } else {
        status.textContent = 'The server refused it; see the message above.';
      }
    });
    return form;
  }
}
