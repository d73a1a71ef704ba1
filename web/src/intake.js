// The Intake panel: an analyst pastes the text of a news report and this
// server drafts `claim.record` and `incident.report` bodies from it
// (POST /v1/intake, which signs, logs and keeps nothing). Each draft becomes
// a card of editable fields beside the report's text, where the source of
// each field is marked; an incident's point can be placed or dragged on the
// map. The analyst signs a draft here in the page, with the same signing
// code as every other statement, and only after ticking that they reviewed
// it: a draft is a machine's reading of a text, not yet anyone's statement.

import { h, replace, humanize } from './dom.js';
import { postText, describeError } from './api.js';
import { sha256 } from './crypto.js';
import { toHex, utf8 } from './bytes.js';
import { field, input, num, INCIDENT_KINDS } from './actions.js';

const STANCES = ['allegation', 'denial', 'assertion'];
const CASUALTIES = [['killed', 'Killed'], ['injured', 'Injured'], ['children_killed', 'Children killed'], ['children_injured', 'Children injured']];
const TITLES = { 'claim.record': 'claim', 'incident.report': 'incident' };
// A span as long as a sentence would hide the others: marked only while pointed at.
const QUIET = new Set(['/sources/0/quote']);

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

// ---- times: this panel reads and writes UTC, as the console shows every time ----

/** An RFC 3339 time as a datetime-local value in UTC ('' when absent or unreadable). */
function utcValue(iso) {
  const d = new Date(iso ?? '');
  if (!iso || Number.isNaN(d.getTime())) return '';
  return d.toISOString().slice(0, d.getUTCSeconds() ? 19 : 16);
}

/** A datetime-local value read as UTC, as RFC 3339; undefined when empty and optional. */
function readUtc(el, what, optional = false) {
  const v = el.value.trim();
  if (!v) {
    if (optional) return undefined;
    throw new Error(`${what} is required`);
  }
  const d = new Date(`${v}Z`);
  if (Number.isNaN(d.getTime())) throw new Error(`${what} is not a valid time`);
  return d.toISOString();
}

const utcInput = (name, iso) => input({ type: 'datetime-local', step: 1, name, value: utcValue(iso) });

// ---- reading edited fields ----

function required(el, what) {
  const v = el.value.trim();
  if (!v) throw new Error(`${what} is required`);
  return v;
}

/** Sets `key` to the trimmed value, or leaves it out when empty. */
function optional(body, key, el) {
  const v = el.value.trim();
  if (v) body[key] = v;
  else delete body[key];
}

function decimal(el, what) {
  const v = el.value.trim();
  if (!v) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${what} must be a number`);
  return n;
}

/** A select of [value, label] options and { group, options } groups. */
function select(name, options, value) {
  const opt = ([v, label]) => h('option', { value: v, selected: v === value }, label);
  return h('select', { name }, options.map((o) => (o.group ? h('optgroup', { label: o.group }, o.options.map(opt)) : opt(o))));
}

function group(legend, ...children) {
  return h('fieldset', { class: 'group' }, h('legend', null, legend), h('div', { class: 'row' }, children));
}

/** The field a JSON Pointer falls under: its own, or its nearest parent's. */
function owner(fields, pointer) {
  for (let p = pointer; p; p = p.slice(0, p.lastIndexOf('/'))) {
    if (fields.has(p)) return fields.get(p);
  }
  return null;
}

// ---- the report's text, with spans marked ----

/**
 * Draws the text as runs of code points, each run marked with the classes of
 * the spans covering it. Offsets are code points (Array.from), as the server
 * counts them, never UTF-16 units.
 */
function paintText(el, chars, layers) {
  const spans = [];
  const cuts = new Set([0, chars.length]);
  for (const { list, cls } of layers) {
    for (const [s, e] of list) {
      const a = Math.max(0, Math.min(chars.length, s));
      const b = Math.max(0, Math.min(chars.length, e));
      if (b <= a) continue;
      spans.push([a, b, cls]);
      cuts.add(a);
      cuts.add(b);
    }
  }
  const points = [...cuts].sort((x, y) => x - y);
  const runs = [];
  for (let k = 0; k + 1 < points.length; k++) {
    const [a, b] = [points[k], points[k + 1]];
    const cls = [...new Set(spans.filter(([s, e]) => s <= a && b <= e).map(([, , c]) => c))].sort();
    const text = chars.slice(a, b).join('');
    runs.push(cls.length ? h('mark', { class: cls.join(' ') }, text) : text);
  }
  replace(el, ...runs);
  // Bring the first pointed-at run into the text's own view.
  const active = el.querySelector('mark.active');
  if (active && (active.offsetTop < el.scrollTop || active.offsetTop > el.scrollTop + el.clientHeight - 24)) {
    el.scrollTop = Math.max(0, active.offsetTop - el.clientHeight / 3);
  }
}

// ---- editors: one per statement type, each returning its fields and a build() ----

function claimEditor(c) {
  const body = c.draft.body;
  const text = (label, pointer, key, attrs, hint) => {
    const [wrap, el] = field(label, input({ name: key, value: body[key] ?? '', ...attrs }), hint);
    c.bind(pointer, wrap);
    return [wrap, el];
  };
  const [speakerWrap, speaker] = text('Speaker', '/speaker', 'speaker', { maxlength: 256 });
  const [affWrap, affiliation] = text('Affiliation', '/affiliation', 'affiliation', { maxlength: 256 }, 'optional');
  const [outletWrap, outlet] = text('Outlet', '/outlet', 'outlet', { maxlength: 256 });
  const [urlWrap, url] = text('URL', '/url', 'url', { type: 'url' }, 'optional');
  const [pubWrap, published] = field('Published (UTC)', utcInput('published', body.published));
  c.bind('/published', pubWrap);
  const [saidWrap, said] = field('What was said', h('textarea', { name: 'text', rows: 3 }, body.text ?? ''));
  c.bind('/text', saidWrap);
  const [stanceWrap, stance] = field('Stance', select('stance', STANCES.map((s) => [s, s]), body.stance));
  c.bind('/stance', stanceWrap);
  const figures = figuresEditor(c, body.figures || []);
  return {
    el: [h('div', { class: 'row' }, speakerWrap, affWrap), h('div', { class: 'row' }, outletWrap, pubWrap), urlWrap, saidWrap, stanceWrap, figures.el],
    build() {
      // A copy of the draft keeps what the panel does not edit (source_sha256, subjects) exactly as drafted.
      const b = structuredClone(body);
      b.speaker = required(speaker, 'Speaker');
      optional(b, 'affiliation', affiliation);
      b.outlet = required(outlet, 'Outlet');
      optional(b, 'url', url);
      b.published = readUtc(published, 'Published');
      b.text = required(said, 'What was said');
      b.stance = stance.value;
      const figs = figures.read();
      if (figs.length) b.figures = figs;
      else delete b.figures;
      return b;
    },
  };
}

function figuresEditor(c, drafted) {
  const rows = h('div', { class: 'figure-rows' });
  let n = 0;
  const add = (f, pointer) => {
    n += 1;
    const k = n;
    const [whatWrap, what] = field(`Figure ${k}: what`, input({ name: 'what', maxlength: 256, value: f.what ?? '' }));
    const [minWrap, min] = field('at least', input({ type: 'number', step: 'any', name: 'min', value: f.min ?? '' }));
    const [maxWrap, max] = field('at most', input({ type: 'number', step: 'any', name: 'max', value: f.max ?? '' }));
    const [unitWrap, unit] = field('unit', input({ name: 'unit', maxlength: 64, value: f.unit ?? '' }));
    const remove = h('button', { type: 'button', class: 'remove', 'aria-label': `Remove figure ${k}` }, 'Remove');
    const row = h('div', { class: 'figure-row' }, whatWrap, minWrap, maxWrap, unitWrap, remove);
    if (pointer) c.bind(pointer, row);
    row.read = () => {
      const out = { what: what.value.trim() };
      const lo = decimal(min, `figure ${k} (at least)`);
      const hi = decimal(max, `figure ${k} (at most)`);
      const u = unit.value.trim();
      if (!out.what && lo === undefined && hi === undefined && !u) return null;
      if (!out.what) throw new Error(`figure ${k} needs to say what it counts`);
      if (lo !== undefined && hi !== undefined && lo > hi) throw new Error(`figure ${k}: “at least” is above “at most”`);
      if (lo !== undefined) out.min = lo;
      if (hi !== undefined) out.max = hi;
      if (u) out.unit = u;
      return out;
    };
    remove.addEventListener('click', () => {
      const next = row.nextElementSibling?.querySelector('input') || addButton;
      row.remove();
      next.focus();
    });
    rows.append(row);
    return what;
  };
  drafted.forEach((f, i) => add(f, `/figures/${i}`));
  const addButton = h('button', { type: 'button', class: 'add' }, 'Add a figure');
  addButton.addEventListener('click', () => add({}).focus());
  const el = h('fieldset', { class: 'group figures' }, h('legend', null, 'Figures quoted'), rows, addButton);
  c.bind('/figures', el);
  return { el, read: () => [...rows.children].map((r) => r.read()).filter(Boolean) };
}

function rangeEditor(c, key, label, drafted) {
  const [minWrap, min] = field(`${label}: at least`, input({ type: 'number', min: 0, step: 1, name: `${key}-min`, value: drafted?.min ?? '' }));
  const [maxWrap, max] = field(`${label}: at most`, input({ type: 'number', min: 0, step: 1, name: `${key}-max`, value: drafted?.max ?? '' }));
  const el = c.bind(`/casualties/${key}`, h('div', { class: 'range' }, minWrap, maxWrap));
  const read = () => {
    const r = {};
    const lo = num(min, `${label} (at least)`, { optional: true, integer: true });
    const hi = num(max, `${label} (at most)`, { optional: true, integer: true });
    if (lo !== undefined && hi !== undefined && lo > hi) throw new Error(`${label}: “at least” is above “at most”`);
    if (lo !== undefined) r.min = lo;
    if (hi !== undefined) r.max = hi;
    return r;
  };
  return { key, el, read };
}

/** Longitude and latitude inputs, a "Place on map" button that takes the next map click, and a draggable marker. */
function placeEditor(c, panel, geometry, place) {
  const { ctx } = panel;
  const point = geometry?.type === 'Point' ? geometry.coordinates : null;
  const [lonWrap, lon] = field('Longitude (°E)', input({ type: 'number', step: 'any', min: -180, max: 180, name: 'lon', value: point?.[0] ?? '' }));
  const [latWrap, lat] = field('Latitude (°N)', input({ type: 'number', step: 'any', min: -90, max: 90, name: 'lat', value: point?.[1] ?? '' }));
  const pick = h('button', { type: 'button', class: 'pick', 'aria-pressed': 'false' }, 'Place on map');
  const show = () => {
    const [x, y] = [Number(lon.value), Number(lat.value)];
    if (lon.value === '' || lat.value === '' || !Number.isFinite(x) || !Number.isFinite(y)) return;
    ctx.cmap.setIntakeMarker(c.key, [x, y], `Draft ${c.i + 1}: incident location`, (mx, my) => {
      lon.value = mx;
      lat.value = my;
    });
    ctx.cmap.reveal(x, y);
  };
  pick.addEventListener('click', () => {
    if (pick.getAttribute('aria-pressed') === 'true') return ctx.stopPicking();
    ctx.startPicking(pick, (x, y) => {
      lon.value = x;
      lat.value = y;
      ctx.stopPicking();
      show();
      pick.focus();
    });
  });
  lon.addEventListener('change', show);
  lat.addEventListener('change', show);
  const matched = place?.matched
    ? h('p', { class: 'hint', dataset: { span: place.matched.join(',') } },
      `Placed at ${place.name} (${humanize(place.kind)}, ${place.country}), matched from “${panel.slice(place.matched)}”.`)
    : null;
  const el = c.bind('/geometry', h('fieldset', { class: 'group' }, h('legend', null, 'Location'),
    h('div', { class: 'row point' }, lonWrap, latWrap, pick), matched,
    h('p', { class: 'hint' }, 'Drag the marker on the map to move it.')));
  const read = () => ({ type: 'Point', coordinates: [num(lon, 'Longitude', { min: -180 }), num(lat, 'Latitude', { min: -90 })] });
  return { el, read, show };
}

function perpetratorSelect(parties, alternatives, value) {
  const known = new Set(parties.map((p) => p.id));
  const named = alternatives.filter((a) => a.party && known.has(a.party));
  const options = [['', 'none: leave it out']];
  if (value && !known.has(value)) options.push([value, `${value} (not a registered party)`]);
  if (named.length) options.push({ group: 'Named in the report', options: named.map((a) => [a.party, `${a.party} (“${a.text}”)`]) });
  options.push({ group: 'Registered parties', options: parties.map((p) => [p.id, `${p.id}: ${p.name}`]) });
  return select('alleged_perpetrator', options, value ?? '');
}

function incidentEditor(c, panel) {
  const body = c.draft.body;
  const hints = c.draft.hints || {};
  const [kindWrap, kind] = field('Kind', select('kind', INCIDENT_KINDS.map((k) => [k, humanize(k)]), body.kind));
  c.bind('/kind', kindWrap);
  const [fromWrap, from] = field('From (UTC)', utcInput('from', body.window?.from));
  const [toWrap, to] = field('Until (UTC)', utcInput('to', body.window?.to), 'optional');
  const when = c.bind('/window', group('When it happened', fromWrap, toWrap));
  const place = placeEditor(c, panel, body.geometry, hints.place);
  const [precWrap, precision] = field('Location precision (metres)',
    input({ type: 'number', name: 'precision_m', min: 0, step: 'any', value: body.precision_m ?? '' }), 'how far the place may be from the point');
  c.bind('/precision_m', precWrap);
  const [textWrap, perpText] = field('Perpetrator as reported', input({ name: 'perpetrator_text', maxlength: 256, value: body.perpetrator_text ?? '' }), 'optional');
  c.bind('/perpetrator_text', textWrap);
  const alternatives = hints.perpetrator_alternatives || [];
  const [perpWrap, perp] = field('Alleged perpetrator', perpetratorSelect(panel.ctx.parties(), alternatives, body.alleged_perpetrator));
  c.bind('/alleged_perpetrator', perpWrap);
  if (alternatives.length) {
    perpWrap.append(h('div', { class: 'alternatives' }, h('span', { class: 'hint' }, 'The report names: '), alternatives.map((a) =>
      h('button', {
        type: 'button', class: 'alt', dataset: { span: a.span.join(',') }, 'aria-label': `Use “${a.text}”${a.party ? ` (${a.party})` : ''}`,
        onclick: () => {
          perpText.value = a.text;
          if (a.party) perp.value = a.party;
        },
      }, `“${a.text}”`))));
  }
  const ranges = CASUALTIES.map(([k, label]) => rangeEditor(c, k, label, body.casualties?.[k]));
  const source = body.sources?.[0] || {};
  const [outletWrap, outlet] = field('Source outlet', input({ name: 'source-outlet', maxlength: 256, value: source.outlet ?? '' }));
  c.bind('/sources/0/outlet', outletWrap);
  const quote = source.quote ? c.bind('/sources/0/quote', h('blockquote', { class: 'quote', tabindex: 0 }, source.quote)) : null;
  return {
    el: [kindWrap, when, place.el, precWrap, h('div', { class: 'row' }, textWrap, perpWrap),
      h('fieldset', { class: 'group' }, h('legend', null, 'Casualties'), ranges.map((r) => r.el)),
      h('fieldset', { class: 'group' }, h('legend', null, 'Source'), outletWrap, quote)],
    show: place.show,
    build() {
      // A copy of the draft keeps what the panel does not edit (sources[0].sha256, its quote) exactly as drafted.
      const b = structuredClone(body);
      b.kind = kind.value;
      b.window = { from: readUtc(from, 'From') };
      const until = readUtc(to, 'Until', true);
      if (until !== undefined) {
        if (new Date(until) <= new Date(b.window.from)) throw new Error('the end of “when it happened” must be after its start');
        b.window.to = until;
      }
      b.geometry = place.read();
      b.precision_m = num(precision, 'Location precision');
      optional(b, 'perpetrator_text', perpText);
      if (perp.value) b.alleged_perpetrator = perp.value;
      else delete b.alleged_perpetrator;
      b.casualties = {};
      for (const r of ranges) {
        const v = r.read();
        if (Object.keys(v).length) b.casualties[r.key] = v;
      }
      b.sources = [{ ...source, outlet: required(outlet, 'Source outlet') }, ...(body.sources || []).slice(1)];
      return b;
    },
  };
}

// ---- a draft's card ----

let cardSeq = 0;

/**
 * One draft as a card: its fields (each bound to the JSON Pointer it edits,
 * so review items and source spans can be shown beside it), its review
 * items, the acknowledgement and the "Sign and submit" button.
 */
function draftCard(panel, draft, i) {
  const uid = `intake-${++cardSeq}`;
  const c = { draft, i, key: uid, fields: new Map(), done: false, signing: false };
  c.bind = (pointer, el) => {
    el.dataset.pointer = pointer;
    c.fields.set(pointer, el);
    return el;
  };
  const editor = draft.type === 'incident.report' ? incidentEditor(c, panel) : claimEditor(c);
  c.showMarker = editor.show || (() => {});

  // Review items beside their fields; those about no field shown above them all.
  const general = [];
  draft.needs_review.forEach((r, k) => {
    const at = owner(c.fields, r.field);
    const data = { pointer: r.field };
    if (r.span) data.span = r.span.join(',');
    const item = h('p', { class: 'review-item', id: `${uid}-review-${k}`, dataset: data },
      h('strong', null, 'Check: '), at ? null : [h('code', null, r.field), ' '], r.reason);
    if (!at) return general.push(item);
    at.append(item);
    for (const control of at.querySelectorAll('input, select, textarea')) {
      control.setAttribute('aria-describedby', [control.getAttribute('aria-describedby'), item.id].filter(Boolean).join(' '));
    }
  });

  const fields = h('fieldset', { class: 'draft-fields' }, h('legend', { class: 'visually-hidden' }, `Fields of draft ${i + 1}`), editor.el);
  const ack = h('input', { type: 'checkbox', id: `${uid}-ack`, name: 'reviewed' });
  const n = draft.needs_review.length;
  const sign = h('button', { type: 'button', class: 'primary sign', 'aria-describedby': `${uid}-why` }, 'Sign and submit');
  const why = h('span', { class: 'hint', id: `${uid}-why` });
  const status = h('p', { class: 'form-status', role: 'status' });
  c.say = (state, ...text) => {
    status.dataset.state = state;
    replace(status, ...text);
  };
  c.refresh = () => {
    const key = panel.ctx.getKey();
    let reason;
    if (c.done) reason = 'Signed and logged.';
    else if (!panel.textMatches) reason = 'The server drafted from other text than this page sent; draft again.';
    else if (!key) reason = 'Sign in with your key file to sign this draft.';
    else if (!ack.checked) reason = 'Tick “I have reviewed this draft” first.';
    else if (c.signing) reason = 'Submitting…';
    else reason = `Signs as ${key.party}, in this page.`;
    sign.disabled = c.done || c.signing || !panel.textMatches || !key || !ack.checked;
    ack.disabled = c.done;
    why.textContent = reason;
  };
  ack.addEventListener('change', c.refresh);
  sign.addEventListener('click', () => signDraft(panel, c, editor, fields));

  c.el = h('article', { class: 'intake-draft', id: uid, dataset: { type: draft.type, index: i }, 'aria-labelledby': `${uid}-title` },
    h('h3', { id: `${uid}-title` }, `Draft ${i + 1}: ${TITLES[draft.type] || draft.type} `, h('code', { class: 'type' }, draft.type)),
    general.length ? h('div', { class: 'review-general' }, general) : null,
    fields,
    h('div', { class: 'actions ack' }, ack, h('label', { for: ack.id }, 'I have reviewed this draft'),
      n ? h('span', { class: 'hint' }, `(${plural(n, 'item')} above to check)`) : null),
    h('div', { class: 'actions' }, sign, why),
    status);

  // Which text to mark: the span of whatever field the pointer or the focus is on.
  const target = (el) => el?.closest?.('[data-span], [data-pointer]');
  // mousemove, not mouseover: scrolling moves fields under a still pointer, which is no pointing.
  c.el.addEventListener('mousemove', (e) => panel.point('hover', c, target(e.target)));
  c.el.addEventListener('mouseleave', () => panel.point('hover', null));
  c.el.addEventListener('focusin', (e) => panel.point('focus', c, target(e.target)));
  c.el.addEventListener('focusout', (e) => {
    if (!c.el.contains(e.relatedTarget)) panel.point('focus', null);
  });
  c.spansOf = (el) => {
    if (!el) return [];
    if (el.dataset.span) return [el.dataset.span.split(',').map(Number)];
    const p = el.dataset.pointer;
    const under = (k) => k === p || k.startsWith(`${p}/`);
    return [
      ...Object.entries(draft.spans || {}).filter(([k]) => under(k)).map(([, s]) => s),
      ...draft.needs_review.filter((r) => r.span && under(r.field)).map((r) => r.span),
    ];
  };
  return c;
}

async function signDraft(panel, c, editor, fields) {
  const { ctx } = panel;
  let body;
  try {
    body = editor.build();
  } catch (err) {
    c.say('error', `Please check the draft: ${err.message}`);
    return;
  }
  c.signing = true;
  c.refresh();
  c.say('busy', 'Signing and submitting…');
  let ref = '';
  const receipt = await ctx.submit(c.draft.type, body, {
    onLogged: (_, statement) => { ref = `${statement.issuer}/${statement.id}`; },
    onRefused: (e) => {
      const { detail, code } = describeError(e);
      c.say('error', `The server refused it: ${detail} `, h('code', null, `(${code})`));
    },
  });
  c.signing = false;
  if (receipt) {
    c.done = true;
    fields.disabled = true;
    ctx.cmap.removeIntakeMarker(c.key);
    c.el.dataset.state = 'logged';
    c.el.dataset.ref = ref;
    c.say('ok', `Signed and logged as entry ${receipt.index}: `, h('code', null, ref), '. Its receipt is above.');
    panel.count();
  } else if (c.el.querySelector('.form-status').dataset.state === 'busy') {
    c.say('error', 'Not submitted; see the message above.');
  }
  c.refresh();
}

// ---- the panel ----

export class IntakePanel {
  /** `ctx` is the console's form context (map, key, parties, submit, picking); `onCount(n)` hears how many drafts await signing. */
  constructor(el, ctx, onCount) {
    this.el = el;
    this.ctx = ctx;
    this.onCount = onCount;
    this.cards = [];
    this.chars = [];
    this.textMatches = true;
    this.pointed = { hover: null, focus: null };
    this.selected = null;
    this.painted = null;
    this.results = h('div', { class: 'intake-results' });
    replace(el, this.form(), this.results);
    // The marked text sticks below the tabs, whose height depends on the width;
    // the panels scroll a focused field clear of both (scroll-padding in app.css).
    this.panels = el.closest('.panels') || el;
    this.sizes = new ResizeObserver(() => this.measure());
    const tabs = document.querySelector('.tabs');
    if (tabs) this.sizes.observe(tabs);
  }

  measure() {
    const tabs = document.querySelector('.tabs');
    this.panels.style.setProperty('--tabs-h', `${tabs?.offsetHeight || 0}px`);
    this.panels.style.setProperty('--intake-text-h', `${this.textEl?.offsetHeight || 0}px`);
  }

  form() {
    const [textWrap, text] = field('Text of the report', h('textarea', { name: 'report', rows: 6, id: 'intake-report' }),
      'paste the article; the server drafts from it and keeps nothing');
    const [pubWrap, published] = field('Published (UTC)', utcInput('published'), 'optional; “on Wednesday” is read against it');
    const [outletWrap, outlet] = field('Outlet', input({ name: 'outlet', maxlength: 256 }), 'optional');
    const [urlWrap, url] = field('URL', input({ type: 'url', name: 'url' }), 'optional');
    const button = h('button', { type: 'submit', class: 'primary' }, 'Draft');
    const status = h('p', { class: 'form-status', role: 'status', id: 'intake-status' });
    const form = h('form', { class: 'file-form intake-form', id: 'intake-form', 'aria-labelledby': 'intake-form-title', novalidate: true },
      h('h3', { id: 'intake-form-title' }, 'Draft from a news report'),
      textWrap, h('div', { class: 'row' }, pubWrap, outletWrap), urlWrap, h('div', { class: 'actions' }, button), status);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.draft({ text, published, outlet, url }, button, status);
    });
    return form;
  }

  async draft({ text, published, outlet, url }, button, status) {
    const report = text.value;
    let params;
    try {
      if (!report.trim()) throw new Error('paste the text of a report first');
      params = { published: readUtc(published, 'Published', true), outlet: outlet.value.trim(), url: url.value.trim() };
    } catch (err) {
      status.dataset.state = 'error';
      status.textContent = `Please check the form: ${err.message}`;
      return;
    }
    button.disabled = true;
    status.dataset.state = 'busy';
    status.textContent = 'Drafting…';
    try {
      const result = await postText('/v1/intake', params, report);
      status.dataset.state = 'ok';
      status.textContent = `${plural(result.drafts.length, 'draft')} from this text, below.`;
      this.show(result, report);
    } catch (e) {
      const { detail, code } = describeError(e);
      status.dataset.state = 'error';
      replace(status, `The server could not draft from this text: ${detail} `, h('code', null, `(${code})`));
    } finally {
      button.disabled = false;
    }
  }

  /** Code points `[start, end)` of the drafted text. */
  slice([s, e]) {
    return this.chars.slice(s, e).join('');
  }

  clear() {
    if (this.textEl) this.sizes.unobserve(this.textEl);
    this.ctx.stopPicking();
    this.ctx.cmap.clearIntakeMarkers();
    this.cards = [];
    this.pointed = { hover: null, focus: null };
    this.selected = null;
    this.painted = null;
  }

  show(result, report) {
    this.clear();
    this.chars = Array.from(report);
    // The page hashes what it sent: the drafts must name exactly this text.
    const digest = toHex(sha256(utf8(report)));
    this.textMatches = digest === result.source.sha256;
    this.textEl = h('div', { class: 'intake-text', id: 'intake-text', tabindex: 0, role: 'region', 'aria-label': 'The report, with the sources of the selected draft marked' });
    this.cards = result.drafts.map((d, i) => draftCard(this, d, i));
    const n = this.cards.length;
    const heading = h('h3', { id: 'intake-results-title', tabindex: -1 }, n ? `${plural(n, 'draft')} from this text` : 'No drafts from this text');
    replace(this.results,
      heading,
      h('p', { class: 'meta', id: 'intake-source', dataset: { sha256: result.source.sha256 } }, 'SHA-256 of the text: ', h('code', null, result.source.sha256), ' ',
        this.textMatches
          ? h('span', { class: 'ok' }, '✔ the text this page sent')
          : h('span', { class: 'error' }, `✘ not the text this page sent (${digest})`)),
      result.truncated ? h('p', { class: 'error' }, 'The text held more drafts than the server returns; the rest were left out.') : null,
      n ? h('p', { class: 'hint' }, 'Marked in blue: where the selected draft’s fields came from; in yellow: text to check. Point at or focus a field to see its source.')
        : h('p', { class: 'empty' }, 'No claim or incident was found in this text.'),
      this.textEl,
      this.cards.map((c) => c.el));
    this.sizes.observe(this.textEl);
    for (const c of this.cards) c.showMarker();
    this.selected = this.cards[0] || null;
    this.paint();
    this.onIdentity();
    this.count();
    heading.focus();
  }

  /** The pointer or the focus (`how`) is on `el` of card `c` (null: it left); the latest of the two wins. */
  point(how, c, el) {
    this.pointed[how] = c ? { c, el } : null;
    if (c) this.pointed.last = how;
    this.paint();
  }

  paint() {
    if (!this.textEl) return;
    const { hover, focus, last } = this.pointed;
    const at = (last === 'focus' ? focus || hover : hover || focus);
    if (at) this.selected = at.c;
    const c = this.selected;
    const active = at?.el ? at.c.spansOf(at.el) : [];
    const key = JSON.stringify([c?.i, active]);
    if (key === this.painted) return;
    this.painted = key;
    for (const card of this.cards) card.el.classList.toggle('selected', card === c);
    if (!c) return paintText(this.textEl, this.chars, []);
    const spans = Object.entries(c.draft.spans || {}).filter(([k]) => !QUIET.has(k)).map(([, s]) => s);
    const review = c.draft.needs_review.filter((r) => r.span).map((r) => r.span);
    paintText(this.textEl, this.chars, [{ list: spans, cls: 'src' }, { list: review, cls: 'review' }, { list: active, cls: 'active' }]);
  }

  count() {
    this.onCount(this.cards.filter((c) => !c.done).length || '');
  }

  /** Signing in or out changes which drafts can be signed. */
  onIdentity() {
    for (const c of this.cards) c.refresh();
  }
}
