// The Inbox: the deconfliction channel as the signed-in party sees it.
// Messages addressed to it, newest first, unread until it acknowledges them;
// what else waits for its acknowledgement (areas of operation it was
// notified of, movements it must clear and has neither acknowledged nor
// answered), each with a button that signs the acknowledgement; and a form
// to write a message or reply to one. Acknowledgements are statements in the
// log, so "read" here means the same for every reader of the record.

import { h, replace, humanize, fmtTime, fmtWindow } from './dom.js';
import { field, input, formShell } from './actions.js';
import { getAll } from './api.js';
import { refList } from './accountability.js';
import { readOffer } from './custody.js';

// An inbox must reach its newest messages, and the API pages oldest first,
// so it reads further than the other panels before saying it stopped.
const MESSAGE_PAGES = 50;
const ENDED = new Set(['arrived', 'aborted', 'expired']);

const empty = (text) => h('p', { class: 'empty' }, text);

// A custody hand-off offered for this party's signature is settled in the
// Custody panel (countersigned or refused, then acknowledged there): a bare
// acknowledgement here would take it off that list with neither.
const toCustody = () => h('button', { type: 'button', class: 'to-custody', onclick: () => document.getElementById('tab-custody')?.click() },
  'Countersign or refuse in Custody');
const ackedBy = (m, party) => (m.acknowledged_by || []).find((a) => a.party === party);

/** A subject for a reply: one “Re: ”, within the 256 bytes a subject may hold. */
export function replySubject(subject) {
  const s = /^re:\s/i.test(subject) ? subject : `Re: ${subject}`;
  const bytes = new TextEncoder().encode(s);
  if (bytes.length <= 256) return s;
  let cut = s;
  while (new TextEncoder().encode(`${cut}…`).length > 256) cut = cut.slice(0, -1);
  return `${cut}…`;
}

export class InboxPanel {
  constructor(el, ctx, onCount) {
    this.el = el;
    this.ctx = ctx;
    this.onCount = onCount;
    this.attention = h('section', { class: 'attention', 'aria-labelledby': 'inbox-attention-title' });
    this.list = h('section', { class: 'messages', 'aria-labelledby': 'inbox-messages-title' });
    this.compose = h('details', { class: 'compose', id: 'inbox-compose' });
    this.onIdentity();
  }

  /** Starts over for whoever is signed in now. */
  onIdentity() {
    const key = this.ctx.getKey();
    if (!key) {
      this.onCount('');
      replace(this.el, empty('Sign in with your key file to see the messages sent to you and what waits for your acknowledgement.'));
      return;
    }
    this.form = this.composeForm();
    replace(this.compose, h('summary', null, 'New message or reply'), this.form.el);
    replace(this.attention, empty('Loading…'));
    replace(this.list);
    replace(this.el, this.attention, this.compose, this.list);
  }

  /** The view loader: reads what concerns the party and draws it. */
  async load(fresh) {
    const key = this.ctx.getKey();
    if (!key) return;
    const party = key.party;
    const [messages, operations, movements] = await Promise.all([
      getAll('/v1/messages', { to: party }, 'messages', MESSAGE_PAGES),
      getAll('/v1/operations', { party, status: 'active' }),
      getAll('/v1/movements', { party }),
    ]);
    if (!fresh() || this.ctx.getKey()?.party !== party) return;
    const notified = operations.features.filter((o) => o.properties.party !== party
      && o.properties.notified_parties.includes(party) && !ackedBy(o.properties, party));
    const unread = messages.messages.filter((m) => !ackedBy(m, party));
    this.onCount(unread.length);
    this.drawAttention(party, unread, notified, movements.features);
    this.drawMessages(party, messages);
  }

  /** Everything waiting for the party's acknowledgement, as list items to draw. */
  waiting(party, unread, operations, movements) {
    const op = (o) => ({
      kind: 'operation', ref: o.id,
      title: `Area of operation “${o.properties.name}” by ${o.properties.party}`,
      meta: `entry ${o.properties.notified.index} · ${fmtWindow(o.properties.window)} · standoff ${o.properties.standoff_m} m`,
    });
    const movement = (m) => {
      const a = (m.properties.required_approvers || []).find((x) => x.party === party);
      if (!a || a.acknowledged_at || a.response) return [];
      return [{ kind: 'movement', ref: m.id, title: `Movement ${m.properties.origin} → ${m.properties.destination} by ${m.properties.requester}`,
        meta: `you must clear it · asked ${fmtTime(a.asked_at)} · ${humanize(m.properties.status)}` }];
    };
    return [
      ...unread.map((m) => ({ kind: 'message', ref: m.ref, offer: !!readOffer(m, party), title: `Message from ${m.from}: ${m.subject}`, meta: `entry ${m.index} · ${fmtTime(m.sequenced_at)}` })),
      ...operations.map(op),
      ...movements.filter((m) => !ENDED.has(m.properties.status) && !m.properties.cancelled).flatMap(movement),
    ];
  }

  drawAttention(party, unread, operations, movements) {
    const items = this.waiting(party, unread, operations, movements);
    const item = (it) => h('li', { class: 'attention-item', dataset: { kind: it.kind, ref: it.ref } },
      h('p', null, h('span', { class: 'badge waiting' }, humanize(it.kind)), ' ', h('strong', null, it.title)),
      h('p', { class: 'meta' }, h('code', null, it.ref), ` · ${it.meta}`),
      h('div', { class: 'actions' }, it.offer ? toCustody()
        : h('button', { type: 'button', class: 'ack', onclick: () => this.ctx.submit('acknowledge', { refs: [it.ref] }) }, 'Acknowledge')));
    replace(this.attention,
      h('h3', { id: 'inbox-attention-title' }, `Waiting for your acknowledgement (${items.length})`),
      items.length ? h('ul', { class: 'attention-list' }, items.map(item)) : empty('Nothing waits for your acknowledgement.'));
  }

  drawMessages(party, page) {
    const newest = [...page.messages].reverse();
    replace(this.list,
      h('h3', { id: 'inbox-messages-title' }, `Messages to ${party} (${newest.length}), newest first`),
      page.truncated ? h('p', { class: 'error' }, `Only the oldest ${newest.length.toLocaleString('en')} messages could be loaded into this page.`) : null,
      newest.length ? newest.map((m) => this.message(m, party)) : empty('No messages yet.'));
  }

  message(m, party) {
    const mine = ackedBy(m, party);
    const others = (m.acknowledged_by || []).filter((a) => a.party !== party).map((a) => a.party);
    return h('article', { class: `message${mine ? '' : ' unread'}`, dataset: { ref: m.ref, index: m.index, from: m.from }, 'aria-label': `Message ${m.subject} from ${m.from}` },
      h('h4', null, mine ? null : [h('span', { class: 'badge unread-badge' }, 'Unread'), ' '], m.subject),
      h('p', { class: 'meta' }, `From ${m.from} to ${m.to.join(', ')} · entry ${m.index} · ${fmtTime(m.sequenced_at)}`),
      m.text ? h('p', { class: 'text' }, m.text) : null,
      m.refs.length ? h('p', { class: 'meta' }, 'References: ', m.refs.map((r, i) => [i ? ', ' : '', h('code', null, r)])) : null,
      h('p', { class: 'meta' }, mine ? `You acknowledged it at ${fmtTime(mine.at)} (entry ${mine.index})` : 'You have not acknowledged it.',
        others.length ? ` Also acknowledged by ${others.join(', ')}.` : ''),
      h('div', { class: 'actions' },
        mine ? null : readOffer(m, party) ? toCustody()
          : h('button', { type: 'button', class: 'ack', onclick: () => this.ctx.submit('acknowledge', { refs: [m.ref] }) }, 'Acknowledge'),
        h('button', { type: 'button', class: 'reply', onclick: () => this.reply(m) }, 'Reply…')));
  }

  /** Fills the form to answer `m`: to its sender, about it and what it was about. */
  reply(m) {
    this.form.fill({ to: [m.from], subject: replySubject(m.subject), refs: [m.ref, ...m.refs] });
    this.compose.open = true;
    this.compose.scrollIntoView({ block: 'nearest' });
    this.form.focusText();
  }

  composeForm() {
    const self = this.ctx.getKey().party;
    const to = h('fieldset', { class: 'checks' }, h('legend', null, 'To'),
      this.ctx.parties().filter((p) => p.id !== self).map((p) => h('label', null,
        h('input', { type: 'checkbox', name: 'to', value: p.id }), ` ${p.id}`)));
    const [subjectWrap, subject] = field('Subject', input({ name: 'subject', maxlength: 256 }));
    const [textWrap, text] = field('Text', h('textarea', { name: 'text', rows: 4 }));
    const refs = refList('References (optional)', { indexes: 'resolve' });
    const boxes = () => [...to.querySelectorAll('input')];
    const el = formShell('Write a message', 'form-message', [to, subjectWrap, textWrap, refs.el], 'Sign and send message', {
      type: 'message.send',
      build: () => {
        const body = { to: boxes().filter((b) => b.checked).map((b) => b.value), subject: subject.value.trim(), text: text.value };
        if (!body.to.length) throw new Error('choose at least one recipient');
        if (!body.subject) throw new Error('the subject is required');
        const r = refs.read();
        if (r.length) body.refs = r;
        return body;
      },
      done: () => { for (const b of boxes()) b.checked = false; subject.value = ''; text.value = ''; refs.reset(); },
    }, this.ctx);
    return {
      el,
      fill: (v) => {
        for (const b of boxes()) b.checked = v.to.includes(b.value);
        subject.value = v.subject;
        refs.set(v.refs);
      },
      focusText: () => text.focus(),
    };
  }
}
