// Accountability forms: distribution reports against a notified site, a
// monitor's assessment of an incident, public claims and the evidence linked
// to them. Also what these forms and the Inbox share: a catalogue of the
// records a statement can point at (movements, sites, operations, incidents,
// claims), pickers that choose from it or take a typed reference or entry
// index, and editors for lists of item lines. Every form signs through the
// console's `submit`, so receipts and the server's refusals show in one place.

import { h, replace, humanize } from './dom.js';
import { field, input, num, select, formShell, windowOf, isoFromLocal, localInput } from './actions.js';
import { getJson, describeError } from './api.js';

// ---- the records a statement can point at ----

// The pickers offer the first page of each collection: enough to choose from
// by eye; anything else can still be typed as issuer/id.
const CATALOGUE_PAGE = 1000;

const short = (text, n = 60) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

const KINDS = [
  { kind: 'movement', title: 'Movements', path: '/v1/movements', list: 'features',
    label: (f) => `${f.properties.origin} → ${f.properties.destination}` },
  { kind: 'site', title: 'Sites', path: '/v1/sites', list: 'features',
    label: (f) => `${f.properties.name}${f.properties.status === 'withdrawn' ? ' (withdrawn)' : ''}` },
  { kind: 'operation', title: 'Operations', path: '/v1/operations', list: 'features',
    label: (f) => `${f.properties.name} (${f.properties.party})` },
  { kind: 'incident', title: 'Incidents', path: '/v1/incidents', list: 'features',
    label: (f) => `${humanize(f.properties.kind)}, reported by ${f.properties.reporter}` },
  { kind: 'claim', title: 'Claims', path: '/v1/claims', list: 'claims', ref: (c) => c.claim.ref,
    label: (c) => `${c.claim.record.speaker}: “${short(c.claim.record.text)}”` },
];

/**
 * The records pickers choose from, kept fresh by the console's `records`
 * view; pickers built before the first load fill in when it arrives.
 */
export const records = {
  byKind: new Map(),
  pickers: new Set(),

  async load(fresh) {
    const pages = await Promise.all(KINDS.map((k) => getJson(k.path, { limit: CATALOGUE_PAGE })));
    if (!fresh()) return;
    KINDS.forEach((k, i) => this.byKind.set(k.kind, (pages[i][k.list] || []).map((x) => ({
      ref: k.ref ? k.ref(x) : x.id, label: k.label(x),
    }))));
    for (const p of this.pickers) {
      if (p.select.isConnected) p.fill();
      else this.pickers.delete(p);
    }
  },

  of(kind) {
    return this.byKind.get(kind) || [];
  },
};

/** Options grouped by kind, keeping the current choice if it is still offered. */
function fillRecordSelect(sel, kinds, placeholder) {
  const was = sel.value;
  replace(sel, h('option', { value: '' }, placeholder),
    KINDS.filter((k) => kinds.includes(k.kind)).map((k) => h('optgroup', { label: k.title },
      records.of(k.kind).map((r) => h('option', { value: r.ref }, `${r.label} — ${r.ref}`)))));
  sel.value = [...sel.options].some((o) => o.value === was) ? was : '';
}

const REF = /^[a-z0-9][a-z0-9.-]*\/\S+$/;
const INDEX = /^\d+$/;

/** A typed reference or entry index, checked for form only: the server decides whether it exists. */
function parseTarget(text, allowIndex) {
  const t = text.trim();
  if (allowIndex && INDEX.test(t)) {
    const n = Number(t);
    if (!Number.isSafeInteger(n)) throw new Error(`${t} is too large to be an entry index`);
    return n;
  }
  if (REF.test(t)) return t;
  throw new Error(`“${t}” is not issuer/id${allowIndex ? ' or an entry index' : ''}`);
}

/** The issuer/id of the statement logged at entry `index`, as the server reports it. */
async function refOfEntry(index) {
  const { statement } = await getJson(`/v1/entries/${index}`);
  return `${statement.issuer}/${statement.id}`;
}

const ALL_KINDS = KINDS.map((k) => k.kind);

/**
 * A list of references: picked from the records, or typed as issuer/id or
 * as an entry index. Where only references are allowed (`indexes: 'resolve'`),
 * an entry index is looked up and replaced by the reference of the statement
 * logged there. Returns { el, read, set, reset }.
 */
export function refList(legend, { kinds = ALL_KINDS, indexes = 'keep' } = {}) {
  const chosen = [];
  const list = h('ul', { class: 'chosen', 'aria-label': `${legend}: chosen` });
  const note = h('p', { class: 'form-status', role: 'status' });
  const [pickWrap, sel] = field('Record', h('select', { name: 'record' }));
  const [typeWrap, typed] = field('Or type issuer/id or an entry index', input({ name: 'typed-ref', autocomplete: 'off' }));
  const draw = () => replace(list, chosen.map((r, i) => h('li', null, h('code', null, String(r)), ' ',
    h('button', { type: 'button', 'aria-label': `Remove ${r}`, onclick: () => { chosen.splice(i, 1); draw(); } }, 'Remove'))));
  const add = (r) => {
    if (!chosen.includes(r)) chosen.push(r);
    draw();
  };
  const addTyped = async () => {
    note.textContent = '';
    if (!typed.value.trim()) return;
    try {
      const t = parseTarget(typed.value, true);
      add(typeof t === 'number' && indexes === 'resolve' ? await refOfEntry(t) : t);
      typed.value = '';
    } catch (e) {
      const { detail, code } = describeError(e);
      note.textContent = code === 'client_error' ? detail : `${detail} (${code})`;
    }
  };
  typed.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { e.preventDefault(); addTyped(); }
  });
  const picker = { select: sel, fill: () => fillRecordSelect(sel, kinds, '— choose a record —') };
  picker.fill();
  records.pickers.add(picker);
  const el = h('fieldset', { class: 'refs' }, h('legend', null, legend),
    h('div', { class: 'row' }, pickWrap, h('button', { type: 'button', onclick: () => { if (sel.value) add(sel.value); } }, 'Add record')),
    h('div', { class: 'row' }, typeWrap, h('button', { type: 'button', onclick: addTyped }, 'Add')),
    note, list);
  return {
    el,
    read: () => [...chosen],
    set: (refs) => { chosen.splice(0, chosen.length, ...new Set(refs)); draw(); },
    reset: () => { chosen.length = 0; typed.value = ''; note.textContent = ''; draw(); },
  };
}

/** One reference or entry index: typed, or else picked. Returns { el, read, reset }. */
function refOne(label, { kinds = ALL_KINDS } = {}) {
  const [pickWrap, sel] = field(label, h('select', { name: 'evidence-record' }));
  const [typeWrap, typed] = field('Or type issuer/id or an entry index', input({ name: 'evidence', autocomplete: 'off' }), 'a typed value wins over the list');
  const picker = { select: sel, fill: () => fillRecordSelect(sel, kinds, '— choose a record —') };
  picker.fill();
  records.pickers.add(picker);
  return {
    el: h('div', { class: 'ref-one' }, pickWrap, typeWrap),
    read: () => {
      if (typed.value.trim()) return parseTarget(typed.value, true);
      if (sel.value) return sel.value;
      throw new Error(`${label.toLowerCase()} is required`);
    },
    reset: () => { typed.value = ''; sel.value = ''; },
  };
}

// ---- item lines ----

/** A number as typed; whether it makes sense (not negative, not zero) is the server's to say. */
function number(ctl, label) {
  const v = ctl.value.trim();
  if (v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${label} must be a number`);
  return n;
}

/**
 * Editable lines of named columns (item, unit, quantity; or figures), each
 * column a labelled control. Lines left wholly empty are skipped. Returns
 * { el, read, reset }.
 */
export function lineEditor(legend, columns, { min = 0, start = min, name = 'line' } = {}) {
  const body = h('div', { class: 'line-rows' });
  let seq = 0;
  const addLine = () => {
    const n = ++seq;
    const controls = columns.map((c) => field(c.label, input({
      name: `${name}-${c.key}`, type: c.number ? 'number' : 'text', step: c.number ? 'any' : undefined, min: c.number ? 0 : undefined,
      'aria-label': `${c.label}, line ${n}`,
    })));
    const row = h('div', { class: 'line', dataset: { line: n } }, controls.map(([w]) => w),
      h('button', { type: 'button', class: 'remove', 'aria-label': `Remove line ${n}`, onclick: () => row.remove() }, 'Remove'));
    row.controls = controls.map(([, c]) => c);
    body.append(row);
    return row;
  };
  for (let i = 0; i < start; i++) addLine();
  const read = () => {
    const out = [];
    for (const row of body.children) {
      if (row.controls.every((c) => !c.value.trim())) continue;
      const line = {};
      columns.forEach((c, i) => {
        const ctl = row.controls[i];
        const label = `${legend}, line ${out.length + 1}: ${c.label.toLowerCase()}`;
        const v = c.number ? number(ctl, label) : ctl.value.trim();
        if (v === undefined || v === '') {
          if (!c.optional) throw new Error(`${label} is required`);
          return;
        }
        line[c.key] = v;
      });
      out.push(line);
    }
    if (out.length < min) throw new Error(`${legend}: at least ${min} line${min === 1 ? '' : 's'} needed`);
    return out;
  };
  const reset = () => {
    body.replaceChildren();
    seq = 0;
    for (let i = 0; i < start; i++) addLine();
  };
  const el = h('fieldset', { class: 'lines' }, h('legend', null, legend), body,
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => addLine().querySelector('input')?.focus() }, 'Add line')));
  return { el, read, reset };
}

const ITEM_COLUMNS = [
  { key: 'item', label: 'Item' },
  { key: 'unit', label: 'Unit' },
  { key: 'quantity', label: 'Quantity', number: true },
];

// ---- distribution.report ----

export function distributionForm(ctx) {
  const [siteWrap, site] = field('Site', h('select', { name: 'site' }), 'a notified site');
  const picker = { select: site, fill: () => fillRecordSelect(site, ['site'], '— choose a site —') };
  picker.fill();
  records.pickers.add(picker);
  const [roundWrap, round] = field('Round', input({ name: 'round', maxlength: 256 }), 'e.g. R2; reports of one round are compared across sites');
  const [consWrap, consignment] = field('Consignment (optional)', input({ name: 'consignment', maxlength: 256 }), 'the consignment id its goods came from, as named in hand-offs');
  const now = new Date();
  const [fromWrap, from] = field('Period from', input({ type: 'datetime-local', name: 'period-from', value: localInput(new Date(now.getTime() - 86400000)) }), 'your local time');
  const [toWrap, to] = field('Period until', input({ type: 'datetime-local', name: 'period-to', value: localInput(now) }));
  const items = lineEditor('Items distributed', ITEM_COLUMNS, { min: 1, name: 'item' });
  const [hhWrap, households] = field('Households', input({ type: 'number', name: 'households', min: 0, step: 1 }));
  const [peopleWrap, people] = field('People', input({ type: 'number', name: 'people', min: 0, step: 1 }));
  const plan = lineEditor('Planned per person (optional)', ITEM_COLUMNS, { start: 0, name: 'plan' });
  return formShell('Report a distribution', 'form-distribution',
    [siteWrap, roundWrap, consWrap, h('div', { class: 'range' }, fromWrap, toWrap), items.el,
      h('div', { class: 'range' }, hhWrap, peopleWrap), plan.el],
    'Sign and report distribution', {
      type: 'distribution.report',
      build: () => {
        if (!site.value) throw new Error('choose the site');
        if (!round.value.trim()) throw new Error('the round is required');
        const body = {
          site: site.value, round: round.value.trim(), period: windowOf(from.value, to.value, 'Period'), items: items.read(),
          households: num(households, 'Households', { integer: true }), people: num(people, 'People', { integer: true }),
        };
        if (consignment.value.trim()) body.consignment = consignment.value.trim();
        const planned = plan.read();
        if (planned.length) body.planned_per_person = planned;
        return body;
      },
      done: () => { items.reset(); plan.reset(); households.value = ''; people.value = ''; },
    }, ctx);
}

// ---- claim.record ----

const STANCES = ['allegation', 'denial', 'assertion'];

export function claimForm(ctx) {
  const [speakerWrap, speaker] = field('Speaker', input({ name: 'speaker', maxlength: 256 }), 'who said it');
  const affiliations = h('datalist', { id: 'claim-affiliations' }, ctx.parties().map((p) => h('option', { value: p.id }, p.name)));
  const [affWrap, affiliation] = field('Affiliation (optional)', input({ name: 'affiliation', list: 'claim-affiliations' }));
  const [outletWrap, outlet] = field('Outlet', input({ name: 'outlet', maxlength: 256 }), 'where it was said or published');
  const [urlWrap, url] = field('URL (optional)', input({ type: 'url', name: 'url' }));
  const [pubWrap, published] = field('Published', input({ type: 'datetime-local', name: 'published', value: localInput(new Date()) }), 'your local time');
  const [textWrap, text] = field('What was said', h('textarea', { name: 'text', rows: 3 }));
  const [stanceWrap, stance] = field('Stance', select('stance', STANCES.map((s) => [s, humanize(s)]), 'allegation'));
  const figures = lineEditor('Figures (optional)', [
    { key: 'what', label: 'What' }, { key: 'min', label: 'At least', number: true, optional: true },
    { key: 'max', label: 'At most', number: true, optional: true }, { key: 'unit', label: 'Unit', optional: true },
  ], { start: 0, name: 'figure' });
  const subjects = refList('Subjects (optional): the records it is about');
  return formShell('Record a public claim', 'form-claim',
    [speakerWrap, affWrap, affiliations, outletWrap, urlWrap, pubWrap, textWrap, stanceWrap, figures.el, subjects.el],
    'Sign and record claim', {
      type: 'claim.record',
      build: () => {
        for (const [ctl, what] of [[speaker, 'the speaker'], [outlet, 'the outlet'], [text, 'what was said']]) {
          if (!ctl.value.trim()) throw new Error(`${what} is required`);
        }
        const body = {
          speaker: speaker.value.trim(), outlet: outlet.value.trim(), published: isoFromLocal(published.value, 'Published'),
          text: text.value.trim(), stance: stance.value,
        };
        if (affiliation.value.trim()) body.affiliation = affiliation.value.trim();
        if (url.value.trim()) body.url = url.value.trim();
        const figs = figures.read();
        if (figs.length) body.figures = figs;
        const refs = subjects.read();
        if (refs.length) body.subjects = refs;
        return body;
      },
      done: () => { speaker.value = ''; text.value = ''; url.value = ''; figures.reset(); subjects.reset(); },
    }, ctx);
}

// ---- forms on the panels' records: incident.assess, claim.link ----

const OCCURRENCE = ['confirmed', 'likely', 'possible', 'unverified', 'discounted'];
const ATTRIBUTION = ['confirmed', 'likely', 'contested', 'unknown'];
const RELATIONS = ['supports', 'contradicts', 'context'];

const uidOf = (ref) => ref.replace(/[^a-z0-9]/gi, '-');

function assessForm(ref, ctx, close) {
  const uid = uidOf(ref);
  const [occWrap, occurrence] = field('Occurrence', select('occurrence', OCCURRENCE.map((g) => [g, humanize(g)]), 'unverified'));
  const [attWrap, attribution] = field('Attribution', select('attribution', ATTRIBUTION.map((g) => [g, humanize(g)]), 'unknown'));
  const attributed = h('fieldset', { class: 'checks' }, h('legend', null, 'Attributed to'),
    ctx.parties().map((p) => h('label', null, h('input', { type: 'checkbox', name: 'attributed_to', value: p.id }), ` ${p.id}`)));
  const [whyWrap, rationale] = field('Rationale', h('textarea', { name: 'rationale', rows: 3 }), 'what the grades rest on');
  const form = formShell(`Assess ${ref}`, `form-assess-${uid}`, [occWrap, attWrap, attributed, whyWrap], 'Sign and submit assessment', {
    type: 'incident.assess',
    build: () => {
      const body = { incident: ref, occurrence: occurrence.value, attribution: attribution.value, rationale: rationale.value };
      const to = [...attributed.querySelectorAll('input:checked')].map((c) => c.value);
      if (to.length) body.attributed_to = to;
      return body;
    },
    done: close,
  }, ctx);
  form.classList.add('panel-form');
  return form;
}

function linkForm(ref, ctx, close) {
  const uid = uidOf(ref);
  const evidence = refOne('Evidence');
  const [relWrap, relation] = field('Relation', select('relation', RELATIONS.map((r) => [r, humanize(r)]), 'supports'));
  const [noteWrap, note] = field('Note (optional)', h('textarea', { name: 'note', rows: 2 }));
  const form = formShell(`Link evidence to ${ref}`, `form-link-${uid}`, [evidence.el, relWrap, noteWrap], 'Sign and link evidence', {
    type: 'claim.link',
    build: () => {
      const body = { claim: ref, evidence: evidence.read(), relation: relation.value };
      if (note.value.trim()) body.note = note.value.trim();
      return body;
    },
    done: close,
  }, ctx);
  form.classList.add('panel-form');
  return form;
}

// Forms opened on a record survive the panel's refreshes, with whatever was
// typed in them, as long as the record is still shown and the form allowed;
// `toggles` holds each record's current button, which a refresh replaces.
const open = new Map();
const toggles = new Map();

/**
 * Adds a toggle button and a slot for its form to each record article of a
 * freshly rendered panel; idempotent, so it can run again after sign-in.
 */
function decorate(el, { kind, selector, allowed, text, build }, ctx) {
  const kept = new Set();
  for (const art of el.querySelectorAll(selector)) {
    art.querySelectorAll(`.${kind}-toggle, .${kind}-slot`).forEach((x) => x.remove());
    if (!allowed) continue;
    const ref = art.dataset.ref;
    const key = `${kind}:${ref}`;
    const slot = h('div', { class: `${kind}-slot` });
    const button = h('button', { type: 'button', class: `${kind}-toggle`, 'aria-expanded': 'false' }, text);
    toggles.set(key, button);
    const show = (form) => { slot.append(form); button.setAttribute('aria-expanded', 'true'); };
    const close = () => { open.get(key)?.remove(); open.delete(key); toggles.get(key)?.setAttribute('aria-expanded', 'false'); };
    button.addEventListener('click', () => {
      if (open.has(key)) return close();
      const form = build(ref, ctx, close);
      open.set(key, form);
      show(form);
      form.querySelector('select, input, textarea')?.focus();
    });
    let actions = art.querySelector(':scope > .actions');
    if (!actions) {
      actions = h('div', { class: 'actions' });
      art.append(actions);
    }
    actions.append(button);
    art.append(slot);
    if (open.has(key)) {
      show(open.get(key));
      kept.add(key);
    }
  }
  for (const key of [...open.keys()]) {
    if (key.startsWith(`${kind}:`) && !kept.has(key)) open.delete(key);
  }
}

/** “Assess…” on each incident, for a signed-in monitor. */
export function decorateIncidents(el, ctx) {
  decorate(el, { kind: 'assess', selector: 'article.incident[data-ref]', allowed: ctx.getKey()?.kind === 'monitor', text: 'Assess…', build: assessForm }, ctx);
}

/** “Link evidence…” on each claim, for any signed-in party. */
export function decorateClaims(el, ctx) {
  decorate(el, { kind: 'link', selector: 'article.claim[data-ref]', allowed: !!ctx.getKey(), text: 'Link evidence…', build: linkForm }, ctx);
}

