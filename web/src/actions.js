// What a signed-in party can do: sign in with a key file (kept in memory
// only), and the forms that file statements — site notifications, areas of
// operation, incident reports — plus the activity area that shows each
// receipt, verifies it in the browser, and shows the server's refusals as
// its problem `detail` and `code`. The form helpers (labelled fields, number
// reading) are shared with the Intake panel.

import { h, replace, fmtTime, humanize } from './dom.js';
import { parsePrivateKey, KeyFileError } from './crypto.js';
import { verifyReceipt } from './verify.js';
import { getJson, describeError } from './api.js';
import { fromBase64, fromUtf8 } from './bytes.js';

const MAX_KEY_FILE = 4096;

/**
 * Reads and checks a key file against the registered parties: the key must
 * parse, match its key ID, and be a live key of a registered party.
 */
export async function readKeyFile(file, parties) {
  if (!file) throw new KeyFileError('no file was chosen');
  if (file.size > MAX_KEY_FILE) throw new KeyFileError('this file is too large to be a key file');
  const key = parsePrivateKey(await file.text());
  const party = parties.find((p) => p.id === key.party);
  if (!party) throw new KeyFileError(`the log knows no party "${key.party}"`);
  const live = party.keys.find((k) => k.vkey === key.vkey);
  if (!live) throw new KeyFileError(`this key is not registered for ${key.party}`);
  if (live.revoked_at_index !== null && live.revoked_at_index !== undefined) {
    throw new KeyFileError(`this key of ${key.party} was revoked at entry ${live.revoked_at_index}`);
  }
  return { ...key, kind: party.kind, name: party.name };
}

// ---- activity: receipts and problems ----

export class Activity {
  constructor(el, vkey) {
    this.el = el;
    this.vkey = vkey;
    this.problemEl = h('div', { class: 'problem', role: 'alert', id: 'problem' });
    this.receiptsEl = h('div', { class: 'receipts', 'aria-live': 'polite' });
    replace(el, this.problemEl, this.receiptsEl);
  }

  clearProblem() {
    replace(this.problemEl);
    this.problemEl.classList.remove('shown');
  }

  /** Shows the problem's detail and code, never a stack. */
  problem(context, err) {
    const { detail, code } = describeError(err);
    this.problemEl.classList.add('shown');
    replace(this.problemEl,
      h('p', null, h('strong', null, `${context}: `), h('span', { class: 'detail' }, detail)),
      h('p', { class: 'code' }, 'code: ', h('code', null, code)),
      h('button', { type: 'button', onclick: () => this.clearProblem() }, 'Dismiss'));
    // The form that failed may be far down the panel: bring the reason into sight.
    this.problemEl.scrollIntoView?.({ block: 'nearest' });
  }

  receipt(receipt, statement, envelope, resubmitted) {
    this.clearProblem();
    const verdict = h('output', { class: 'verdict', dataset: { verdict: 'unchecked' } }, 'not verified yet');
    const button = h('button', { type: 'button', class: 'verify' }, 'Verify receipt');
    button.addEventListener('click', async () => {
      button.disabled = true;
      verdict.dataset.verdict = 'checking';
      verdict.textContent = 'verifying…';
      try {
        const r = await this.verify(receipt, envelope);
        verdict.dataset.verdict = 'verified';
        verdict.textContent = `✔ verified: entry ${r.index} is in the log (size ${r.size}) under a checkpoint signed by ${r.origin}`;
      } catch (e) {
        verdict.dataset.verdict = 'failed';
        verdict.textContent = `✘ verification failed: ${describeError(e).detail}`;
      } finally {
        button.disabled = false;
      }
    });
    const ref = `${statement.issuer}/${statement.id}`;
    const card = h('section', { class: 'receipt', dataset: { index: receipt.index, ref }, 'aria-label': `Receipt for entry ${receipt.index}` },
      h('h3', null, `${humanize(statement.type)} ${resubmitted ? 'already logged' : 'logged'} as entry ${receipt.index}`),
      h('dl', null,
        h('dt', null, 'Statement'), h('dd', null, h('code', null, ref)),
        h('dt', null, 'Index'), h('dd', { class: 'index' }, String(receipt.index)),
        h('dt', null, 'Leaf hash'), h('dd', null, h('code', null, receipt.leaf_hash)),
        h('dt', null, 'Sequenced'), h('dd', null, fmtTime(receipt.sequenced_at))),
      h('details', null, h('summary', null, 'Checkpoint'), h('pre', { class: 'note' }, receipt.checkpoint)),
      h('div', { class: 'actions' }, button, ' ', verdict,
        h('button', { type: 'button', class: 'dismiss', onclick: () => card.remove() }, 'Dismiss')));
    this.receiptsEl.prepend(card);
    while (this.receiptsEl.children.length > 3) this.receiptsEl.lastElementChild.remove();
    return card;
  }

  /** The entry as logged must hold our envelope, hash to the leaf, and be proven under a signed checkpoint. */
  async verify(receipt, envelope) {
    const entry = await getJson(`/v1/entries/${receipt.index}`);
    const bytes = fromBase64(entry.entry);
    const logged = JSON.parse(fromUtf8(bytes)).envelope;
    const same = logged.payload === envelope.payload && logged.signatures.length === envelope.signatures.length
      && logged.signatures.every((s, i) => s.keyid === envelope.signatures[i].keyid && s.sig === envelope.signatures[i].sig);
    if (!same) throw new Error('the logged entry does not hold the envelope this page signed');
    return verifyReceipt(receipt, this.vkey, bytes);
  }
}

// ---- forms ----

const pad = (n) => String(n).padStart(2, '0');
/** A Date as the value of a datetime-local input (local time, minutes). */
export const localInput = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;

export function isoFromLocal(value, field) {
  const d = new Date(value);
  if (!value || Number.isNaN(d.getTime())) throw new Error(`${field} is not a valid time`);
  return d.toISOString();
}

export function windowOf(fromValue, toValue, what) {
  const w = { from: isoFromLocal(fromValue, `${what} start`) };
  if (toValue) {
    w.to = isoFromLocal(toValue, `${what} end`);
    if (new Date(w.to) <= new Date(w.from)) throw new Error(`${what}: the end must be after the start`);
  }
  return w;
}

export function num(input, field, { optional = false, integer = false, min = 0 } = {}) {
  const v = input.value.trim();
  if (v === '') {
    if (optional) return undefined;
    throw new Error(`${field} is required`);
  }
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) throw new Error(`${field} must be ${integer ? 'a whole number' : 'a number'} of at least ${min}`);
  return n;
}

let fieldSeq = 0;
/** A labelled control; returns [wrapper, control]. */
export function field(label, control, hint) {
  const id = control.id || `f${++fieldSeq}`;
  control.id = id;
  const hintEl = hint ? h('span', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return [h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl), control];
}

export const input = (attrs) => h('input', { type: 'text', ...attrs });

export function select(name, options, value) {
  return h('select', { name }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
}

/** A pair of longitude/latitude inputs with a "Pick on map" toggle. */
export function pointPicker(ctx, name) {
  const [lonWrap, lon] = field('Longitude (°E)', input({ type: 'number', step: 'any', min: -180, max: 180, name: `${name}-lon`, required: true }));
  const [latWrap, lat] = field('Latitude (°N)', input({ type: 'number', step: 'any', min: -90, max: 90, name: `${name}-lat`, required: true }));
  const pick = h('button', { type: 'button', class: 'pick', 'aria-pressed': 'false' }, 'Pick on map');
  const show = () => {
    const x = Number(lon.value);
    const y = Number(lat.value);
    if (lon.value && lat.value && Number.isFinite(x) && Number.isFinite(y)) ctx.cmap.showDraft([[x, y]], false);
  };
  pick.addEventListener('click', () => {
    if (pick.getAttribute('aria-pressed') === 'true') return ctx.stopPicking();
    ctx.startPicking(pick, (x, y) => {
      lon.value = x;
      lat.value = y;
      show();
    });
  });
  lon.addEventListener('change', show);
  lat.addEventListener('change', show);
  const read = () => ({ type: 'Point', coordinates: [num(lon, 'Longitude', { min: -180 }), num(lat, 'Latitude', { min: -90 })] });
  const reset = () => { lon.value = ''; lat.value = ''; };
  return { el: h('div', { class: 'point' }, lonWrap, latWrap, pick), read, reset };
}

export function formShell(title, id, children, submitText, onSubmit, ctx) {
  const status = h('p', { class: 'form-status', role: 'status' });
  const form = h('form', { class: 'file-form', id, 'aria-labelledby': `${id}-title`, novalidate: true },
    h('h3', { id: `${id}-title` }, title), children,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, submitText)), status);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!ctx.getKey()) {
      status.textContent = 'Sign in with your key file first.';
      return;
    }
    status.textContent = '';
    let body;
    try {
      body = onSubmit.build();
    } catch (err) {
      status.textContent = `Please check the form: ${err.message}`;
      return;
    }
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const receipt = await ctx.submit(onSubmit.type, body);
      if (receipt) {
        status.textContent = `Logged as entry ${receipt.index}.`;
        onSubmit.done?.();
      } else {
        status.textContent = 'The server refused it; see the message above.';
      }
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

export function siteForm(ctx) {
  const [nameWrap, name] = field('Name', input({ name: 'name', maxlength: 256, required: true }));
  const [catWrap, category] = field('Category', select('category', ['hospital', 'clinic', 'school', 'bakery', 'distribution_point', 'camp', 'warehouse', 'office', 'residence', 'other'].map((c) => [c, humanize(c)]), 'clinic'));
  const point = pointPicker(ctx, 'site');
  const [bufWrap, buffer] = field('Buffer (metres)', input({ type: 'number', name: 'buffer_m', min: 0, step: 'any', value: 250 }));
  const [peopleWrap, people] = field('People served (optional)', input({ type: 'number', name: 'people', min: 0, step: 1 }));
  const [fromWrap, from] = field('Valid from', input({ type: 'datetime-local', name: 'from', value: localInput(new Date()) }), 'your local time');
  const [toWrap, to] = field('Valid until (optional)', input({ type: 'datetime-local', name: 'to' }), 'leave empty for open-ended');
  return formShell('Notify a protected site', 'form-site', [nameWrap, catWrap, point.el, bufWrap, peopleWrap, fromWrap, toWrap], 'Sign and notify site', {
    type: 'site.notify',
    build: () => {
      if (!name.value.trim()) throw new Error('the site needs a name');
      const body = {
        name: name.value.trim(), category: category.value, geometry: point.read(),
        buffer_m: num(buffer, 'Buffer'), window: windowOf(from.value, to.value, 'Validity'),
      };
      const p = num(people, 'People', { optional: true, integer: true });
      if (p !== undefined) body.people = p;
      return body;
    },
    done: () => { ctx.stopPicking(); ctx.cmap.clearDraft(); name.value = ''; point.reset(); },
  }, ctx);
}

export function operationForm(ctx) {
  const [nameWrap, name] = field('Name', input({ name: 'name', maxlength: 256, required: true }));
  const [vertWrap, vertices] = field('Vertices (one “longitude latitude” per line)', h('textarea', { name: 'vertices', rows: 4 }), 'click points on the map, or type them; at least three');
  let closed = false;
  const parse = () => vertices.value.split('\n').map((l) => l.trim()).filter(Boolean).map((l, i) => {
    const [x, y] = l.split(/[\s,]+/).map(Number);
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new Error(`vertex ${i + 1} is not “longitude latitude”`);
    return [x, y];
  });
  const redraw = () => { try { ctx.cmap.showDraft(parse(), closed); } catch { /* shown on submit */ } };
  const draw = h('button', { type: 'button', class: 'pick', 'aria-pressed': 'false' }, 'Draw on map');
  const close = h('button', { type: 'button', class: 'close-polygon' }, 'Close polygon');
  const clear = h('button', { type: 'button' }, 'Clear vertices');
  draw.addEventListener('click', () => {
    if (draw.getAttribute('aria-pressed') === 'true') return ctx.stopPicking();
    closed = false;
    ctx.startPicking(draw, (x, y) => {
      vertices.value = `${vertices.value.trim() ? `${vertices.value.trim()}\n` : ''}${x} ${y}`;
      redraw();
    });
  });
  close.addEventListener('click', () => { ctx.stopPicking(); closed = true; redraw(); });
  clear.addEventListener('click', () => { vertices.value = ''; closed = false; ctx.cmap.clearDraft(); });
  vertices.addEventListener('change', redraw);
  const [standWrap, standoff] = field('Standoff (metres)', input({ type: 'number', name: 'standoff_m', min: 0, step: 'any', value: 500 }));
  const now = new Date();
  const [fromWrap, from] = field('From', input({ type: 'datetime-local', name: 'from', value: localInput(now) }), 'your local time');
  const [toWrap, to] = field('Until', input({ type: 'datetime-local', name: 'to', value: localInput(new Date(now.getTime() + 86400000)) }));
  const notified = h('fieldset', { class: 'checks' }, h('legend', null, 'Parties notified'),
    ctx.parties().filter((p) => p.id !== ctx.getKey()?.party).map((p) => h('label', null,
      h('input', { type: 'checkbox', name: 'notified', value: p.id, checked: true }), ` ${p.id}`)));
  return formShell('Notify an area of operation', 'form-operation',
    [nameWrap, vertWrap, h('div', { class: 'actions' }, draw, close, clear), standWrap, fromWrap, toWrap, notified], 'Sign and notify operation', {
      type: 'operation.notify',
      build: () => {
        if (!name.value.trim()) throw new Error('the operation needs a name');
        const ring = parse();
        const first = ring[0];
        const last = ring[ring.length - 1];
        if (ring.length && (first[0] !== last[0] || first[1] !== last[1])) ring.push(first);
        if (ring.length < 4) throw new Error('a polygon needs at least three vertices');
        return {
          name: name.value.trim(), geometry: { type: 'Polygon', coordinates: [ring] }, window: windowOf(from.value, to.value, 'Window'),
          standoff_m: num(standoff, 'Standoff'), notified: [...notified.querySelectorAll('input:checked')].map((c) => c.value),
        };
      },
      done: () => { ctx.stopPicking(); ctx.cmap.clearDraft(); name.value = ''; vertices.value = ''; closed = false; },
    }, ctx);
}

export const INCIDENT_KINDS = ['airstrike', 'shelling', 'ground_attack', 'attack_on_convoy', 'attack_on_site', 'obstruction', 'detention', 'ceasefire_violation'];

export function incidentForm(ctx) {
  const [kindWrap, kind] = field('Kind', select('kind', INCIDENT_KINDS.map((k) => [k, humanize(k)]), 'shelling'));
  const point = pointPicker(ctx, 'incident');
  const [precWrap, precision] = field('Location precision (metres)', input({ type: 'number', name: 'precision_m', min: 0, step: 'any', value: 500 }));
  const now = new Date();
  const [fromWrap, from] = field('Occurred from', input({ type: 'datetime-local', name: 'from', value: localInput(new Date(now.getTime() - 3600000)) }), 'your local time');
  const [toWrap, to] = field('Occurred until', input({ type: 'datetime-local', name: 'to', value: localInput(now) }));
  const [perpWrap, perp] = field('Alleged perpetrator', select('perpetrator', [['', 'unknown'], ...ctx.parties().map((p) => [p.id, p.id])], ''));
  const range = (label) => {
    const [minWrap, min] = field(`${label}: at least`, input({ type: 'number', min: 0, step: 1, name: `${label}-min` }));
    const [maxWrap, max] = field(`${label}: at most`, input({ type: 'number', min: 0, step: 1, name: `${label}-max` }));
    const read = () => {
      const r = {};
      const lo = num(min, `${label} (at least)`, { optional: true, integer: true });
      const hi = num(max, `${label} (at most)`, { optional: true, integer: true });
      if (lo !== undefined) r.min = lo;
      if (hi !== undefined) r.max = hi;
      if (lo !== undefined && hi !== undefined && lo > hi) throw new Error(`${label}: “at least” is above “at most”`);
      return r;
    };
    return { el: h('div', { class: 'range' }, minWrap, maxWrap), read };
  };
  const killed = range('Killed');
  const injured = range('Injured');
  const [srcWrap, source] = field('Source (outlet)', input({ name: 'outlet', maxlength: 256 }), 'who reported it; optional');
  return formShell('Report an incident', 'form-incident', [kindWrap, point.el, precWrap, fromWrap, toWrap, perpWrap, killed.el, injured.el, srcWrap], 'Sign and report incident', {
    type: 'incident.report',
    build: () => {
      const body = {
        kind: kind.value, window: windowOf(from.value, to.value, 'Time'), geometry: point.read(),
        precision_m: num(precision, 'Precision'), casualties: { killed: killed.read(), injured: injured.read() },
        sources: source.value.trim() ? [{ outlet: source.value.trim() }] : [],
      };
      if (perp.value) body.alleged_perpetrator = perp.value;
      return body;
    },
    done: () => { ctx.stopPicking(); ctx.cmap.clearDraft(); point.reset(); },
  }, ctx);
}
