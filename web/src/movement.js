// A movement's lifecycle as its requester works it: the request form (route
// drawn on the map or run between two notified sites, window, corridor,
// vehicles, people, escorts, manifest), a preview of who must clear it and
// which areas of operation it crosses, asked of the server before anything is
// signed, and — from the clearance board, on the party's own open movements —
// amending, cancelling and posting progress updates. The server decides what
// is valid: the preview shows its refusals (detail and code) as they will be
// met on signing, so the client checks only what it needs to build a body.

import { h, replace, fmtTime, fmtWindow, fmtNumber, humanize } from './dom.js';
import { field, input, num, select, formShell, pointPicker, localInput } from './actions.js';
import { ApiError, describeError, getAll, getJson, refPath } from './api.js';

export const PURPOSES = ['aid_delivery', 'evacuation', 'relocation', 'medical', 'assessment'];
const UPDATES = ['departed', 'position', 'checkpoint', 'arrived', 'aborted'];
// A movement in one of these states accepts no amendment, cancellation or update.
const ENDED = new Set(['cancelled', 'arrived', 'aborted']);
// The fields of a plan, in the order the statement lists them (brief §5).
const PLAN_FIELDS = ['purpose', 'route', 'corridor_m', 'window', 'origin', 'destination', 'origin_site',
  'destination_site', 'vehicles', 'people', 'escort_from', 'manifest', 'consignment'];
// Quiet time after the last edit before the preview is asked again.
const PREVIEW_DELAY = 350;
const DAY_MS = 86400000;

let seq = 0;
const slug = (ref) => ref.replace(/[^a-z0-9]/gi, '-');

// ---- talking to the server ----

/** POSTs the plan to the dry-run endpoint; refusals become ApiErrors with the problem's detail and code. */
async function postPreview(issuer, type, body) {
  let res;
  try {
    res = await fetch('/v1/movements/preview', {
      method: 'POST',
      cache: 'no-store',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ issuer, type, body }),
    });
  } catch {
    throw new ApiError(0, 'network', 'The server could not be reached.');
  }
  const data = await res.json().catch(() => null);
  if (res.ok && data) return data;
  if (data && typeof data.detail === 'string') throw new ApiError(res.status, data.code || `http_${res.status}`, data.detail);
  throw new ApiError(res.status, `http_${res.status}`, `The server answered ${res.status} ${res.statusText}`.trim());
}

/** Where a site is, as one point: a polygon site's mean vertex is close enough for a route's end. */
function sitePoint(f) {
  const g = f.geometry;
  if (g?.type === 'Point') return g.coordinates;
  const ring = g?.type === 'Polygon' ? g.coordinates[0].slice(0, -1) : [];
  if (!ring.length) return null;
  const mean = (i) => Math.round((ring.reduce((s, c) => s + c[i], 0) / ring.length) * 1e6) / 1e6;
  return [mean(0), mean(1)];
}

/** The sites a route can run between: those still active, with a point to run to. */
async function loadSites() {
  const fc = await getAll('/v1/sites', {});
  return fc.features.filter((f) => f.properties.status === 'active' && sitePoint(f));
}

// ---- comparing plans (amendments sign only what changed) ----

const canon = (v) => JSON.stringify(v, (_, x) => (x && typeof x === 'object' && !Array.isArray(x)
  ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b)))
  : x));

function same(key, a, b) {
  if (key === 'escort_from') return canon([...(a || [])].sort()) === canon([...(b || [])].sort());
  if (key === 'route') return canon(a?.coordinates) === canon(b?.coordinates);
  return canon(a ?? null) === canon(b ?? null);
}

// ---- the preview ----

const reasonText = (r) => (r.kind === 'zone' ? `the route crosses its zone ${r.zone}` : r.kind === 'escort' ? 'asked to escort' : humanize(r.kind));

/**
 * A warning when the window (the plan's, or for an amendment the one it
 * sets) ended before the server's "now": zones and operations are asked
 * about that time, so a past window can need no clearance at all.
 */
function pastWarning(r, body) {
  const to = body?.window?.to;
  if (!to || !(new Date(to) < new Date(r.at))) return null;
  return h('p', { class: 'warning', role: 'note' },
    `This window ended before now (${fmtTime(to)}): who must clear it and what it conflicts with are judged for that time, which has passed.`);
}

function previewResult(r) {
  const approvers = r.required_approvers || [];
  const conflicts = r.conflicts || [];
  return [
    h('p', { class: 'meta' }, `Asked of the server at ${fmtTime(r.at, { seconds: true })}; nothing was logged.`),
    h('h4', null, `Who must clear it (${approvers.length})`),
    approvers.length
      ? h('ul', { class: 'preview-approvers' }, approvers.map((a) => h('li', {
        dataset: { party: a.party, reasons: a.reasons.map((x) => (x.kind === 'zone' ? `zone:${x.zone}` : x.kind)).join(' ') },
      }, h('strong', null, a.party), `: ${a.reasons.map(reasonText).join('; ')}`)))
      : h('p', { class: 'empty' }, 'No party would need to clear it.'),
    h('h4', null, `Conflicts with areas of operation (${conflicts.length})`),
    conflicts.length
      ? h('ul', { class: 'preview-conflicts' }, conflicts.map((c) => h('li', { dataset: { operation: c.operation } },
        h('code', null, c.operation), ` (notified by ${c.party}): ${fmtNumber(Math.round(c.distance_m))} m from the route, `
          + `a conflict at ${fmtNumber(c.threshold_m)} m or less; overlapping ${fmtWindow(c.overlap)}`)))
      : h('p', { class: 'empty' }, 'No conflict with a notified area of operation.'),
  ];
}

/**
 * The "before you sign" box: re-asks the server whenever the body that would
 * be signed changes (after a pause in editing), and shows only the answer to
 * the latest body. `build()` throws while the form cannot make a body yet.
 */
function previewBox(ctx, type, build) {
  const body = h('div', { class: 'preview-body' });
  const el = h('section', { class: 'preview', dataset: { state: 'incomplete' }, 'aria-live': 'polite' },
    h('h4', { class: 'preview-title' }, 'Before you sign'), body);
  let timer = null;
  let gen = 0;
  let last = null;
  const set = (state, ...children) => {
    el.dataset.state = state;
    replace(body, ...children);
  };
  const run = async (mine, issuer, b) => {
    try {
      const r = await postPreview(issuer, type, b);
      if (mine === gen) set('ok', pastWarning(r, b), previewResult(r));
    } catch (e) {
      if (mine !== gen) return;
      const { detail, code } = describeError(e);
      const refused = e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 404;
      set(refused ? 'refused' : 'unavailable',
        h('p', null, h('strong', null, refused ? 'The server would refuse this: ' : 'The preview is not available: '),
          h('span', { class: 'detail' }, detail)),
        h('p', { class: 'code' }, 'code: ', h('code', null, code)));
    }
  };
  const update = () => {
    const issuer = ctx.getKey()?.party;
    let b;
    try {
      if (!issuer) throw new Error('sign in to see who must clear it');
      b = build();
    } catch (e) {
      gen++;
      last = null;
      clearTimeout(timer);
      set('incomplete', h('p', { class: 'empty' }, `Not previewed yet: ${e.message}.`));
      return;
    }
    const key = canon([issuer, b]);
    if (key === last) return;
    last = key;
    const mine = ++gen;
    el.dataset.state = 'pending';
    if (!body.querySelector(':scope > .checking')) body.prepend(h('p', { class: 'checking' }, 'Checking with the server…'));
    clearTimeout(timer);
    timer = setTimeout(() => run(mine, issuer, b), PREVIEW_DELAY);
  };
  return { el, update };
}

// ---- form parts ----

function parseVertices(text) {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).map((l, i) => {
    const [x, y] = l.split(/[\s,]+/).map(Number);
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new Error(`route point ${i + 1} is not “longitude latitude”`);
    return [x, y];
  });
}

/** A datetime-local value as RFC 3339; the order of the window's ends is for the server to judge. */
function when(value, what) {
  const d = new Date(value);
  if (!value || Number.isNaN(d.getTime())) throw new Error(`the window ${what} is not a valid time`);
  return d.toISOString();
}

/**
 * The route: drawn by clicking points on the map (or typed), or the straight
 * line between two notified sites. `onSite(end, site)` hears a site chosen;
 * `onChange()` hears any change to the route.
 */
function routeEditor(ctx, sites, start, { onSite, onChange }) {
  const modeName = `route-mode-${++seq}`;
  const radio = (value, text) => h('label', null,
    h('input', { type: 'radio', name: modeName, value, checked: start.mode === value }), ` ${text}`);
  const modes = h('fieldset', { class: 'checks route-mode' }, h('legend', null, 'Route'),
    radio('draw', 'Draw it on the map'), radio('sites', 'Straight between two notified sites'));
  const [vertWrap, vertices] = field('Route points (one “longitude latitude” per line)',
    h('textarea', { name: 'route', rows: 4 }), 'click the points on the map in order, or type them; at least two');
  vertices.value = (start.points || []).map(([x, y]) => `${x} ${y}`).join('\n');
  const draw = h('button', { type: 'button', class: 'pick', 'aria-pressed': 'false' }, 'Draw on map');
  const undo = h('button', { type: 'button', class: 'undo-point' }, 'Remove last point');
  const clear = h('button', { type: 'button', class: 'clear-route' }, 'Clear route');
  const drawPart = h('div', { class: 'route-draw' }, vertWrap, h('div', { class: 'actions' }, draw, undo, clear));
  const siteSelect = (name) => h('select', { name }, h('option', { value: '' }, 'Loading sites…'));
  const [oWrap, originSite] = field('Origin site', siteSelect('origin_site'));
  const [dWrap, destSite] = field('Destination site', siteSelect('destination_site'));
  const sitePart = h('div', { class: 'row route-sites' }, oWrap, dWrap);
  let list = [];

  const mode = () => modes.querySelector('input:checked').value;
  const siteOf = (ref) => list.find((f) => f.id === ref);
  const points = () => {
    if (mode() === 'draw') return parseVertices(vertices.value);
    const ends = [siteOf(originSite.value), siteOf(destSite.value)];
    return ends.every(Boolean) ? ends.map(sitePoint) : [];
  };
  const show = () => {
    try {
      ctx.cmap.showDraft(points(), false);
    } catch {
      // A half-typed point is shown once it reads; the preview says what is wrong.
    }
  };
  const changed = () => {
    show();
    onChange();
  };
  const showMode = () => {
    const sitesMode = mode() === 'sites';
    drawPart.hidden = sitesMode;
    sitePart.hidden = !sitesMode;
    if (sitesMode) ctx.stopPicking();
  };

  draw.addEventListener('click', () => {
    if (draw.getAttribute('aria-pressed') === 'true') return ctx.stopPicking();
    ctx.startPicking(draw, (x, y) => {
      vertices.value = `${vertices.value.trim() ? `${vertices.value.trim()}\n` : ''}${x} ${y}`;
      changed();
    });
  });
  undo.addEventListener('click', () => {
    vertices.value = vertices.value.trim().split('\n').slice(0, -1).join('\n');
    changed();
  });
  clear.addEventListener('click', () => {
    vertices.value = '';
    changed();
  });
  vertices.addEventListener('input', changed);
  modes.addEventListener('change', () => { showMode(); changed(); });
  for (const [end, sel] of [['origin', originSite], ['destination', destSite]]) {
    sel.addEventListener('change', () => {
      const site = siteOf(sel.value);
      if (site) onSite(end, site);
      changed();
    });
  }

  sites.then((found) => {
    list = found;
    for (const [sel, chosen] of [[originSite, start.origin_site], [destSite, start.destination_site]]) {
      replace(sel, h('option', { value: '' }, found.length ? 'Choose a site' : 'No notified sites'),
        found.map((f) => h('option', { value: f.id, selected: f.id === chosen }, `${f.properties.name} (${humanize(f.properties.category)})`)));
    }
    changed();
  }, (e) => {
    for (const sel of [originSite, destSite]) replace(sel, h('option', { value: '' }, `Sites could not be loaded: ${describeError(e).detail}`));
  });
  showMode();

  return {
    el: h('div', { class: 'route' }, modes, drawPart, sitePart),
    mode,
    show,
    /** { route, origin_site?, destination_site? }; throws while there is no route yet. */
    read() {
      const pts = points();
      if (mode() === 'sites' && !(originSite.value && destSite.value)) throw new Error('choose the origin and destination sites');
      if (pts.length < 2) throw new Error('the route needs at least two points: click them on the map');
      const out = { route: { type: 'LineString', coordinates: pts } };
      if (mode() === 'sites') Object.assign(out, { origin_site: originSite.value, destination_site: destSite.value });
      return out;
    },
    reset() {
      vertices.value = '';
      originSite.value = '';
      destSite.value = '';
      ctx.cmap.clearDraft();
    },
  };
}

/** Cargo manifest lines: add and remove rows; empty rows are left out. */
function manifestEditor(lines, onChange) {
  const rows = h('div', { class: 'manifest-rows' });
  const addRow = (line = {}) => {
    const [itemWrap, item] = field('Item', input({ name: 'item', maxlength: 256, value: line.item ?? '' }));
    const [unitWrap, unit] = field('Unit', input({ name: 'unit', maxlength: 256, value: line.unit ?? '' }));
    const [qWrap, quantity] = field('Quantity', input({ type: 'number', name: 'quantity', min: 0, step: 'any', value: line.quantity ?? '' }));
    const [wWrap, weight] = field('Weight (kg, optional)', input({ type: 'number', name: 'weight_kg', min: 0, step: 'any', value: line.weight_kg ?? '' }));
    const remove = h('button', { type: 'button', class: 'remove-line' }, 'Remove line');
    const row = h('div', { class: 'manifest-row' }, itemWrap, unitWrap, qWrap, wWrap, remove);
    row.read = (n) => {
      if (![item, unit, quantity, weight].some((c) => c.value.trim())) return null;
      if (!item.value.trim() || !unit.value.trim()) throw new Error(`manifest line ${n} needs an item and a unit`);
      const l = { item: item.value.trim(), unit: unit.value.trim(), quantity: num(quantity, `Manifest line ${n} quantity`) };
      const w = num(weight, `Manifest line ${n} weight`, { optional: true });
      if (w !== undefined) l.weight_kg = w;
      return l;
    };
    remove.addEventListener('click', () => { row.remove(); onChange(); });
    rows.append(row);
    return row;
  };
  for (const l of lines) addRow(l);
  const add = h('button', { type: 'button', class: 'add-line' }, 'Add manifest line');
  add.addEventListener('click', () => addRow().querySelector('input').focus());
  return {
    el: h('fieldset', { class: 'manifest' }, h('legend', null, 'Cargo manifest'), rows, h('div', { class: 'actions' }, add)),
    read: () => [...rows.children].map((r, i) => r.read(i + 1)).filter(Boolean),
    reset: () => rows.replaceChildren(),
  };
}

function escortChecks(ctx, chosen) {
  const others = ctx.parties().filter((p) => p.id !== ctx.getKey()?.party);
  const el = h('fieldset', { class: 'checks escorts' }, h('legend', null, 'Ask for an escort from'),
    others.length ? others.map((p) => h('label', null,
      h('input', { type: 'checkbox', name: 'escort_from', value: p.id, checked: chosen.includes(p.id) }), ` ${p.id}`)) : 'No other parties.');
  return { el, read: () => [...el.querySelectorAll('input:checked')].map((c) => c.value) };
}

// ---- the request (and amendment) form ----

/** What a form starts from: the record being amended, or a new request's defaults. */
function startingPoint(record, sites) {
  if (!record) {
    const now = new Date();
    return { mode: 'draw', points: [], purpose: 'aid_delivery', corridor_m: 500, from: localInput(now),
      to: localInput(new Date(now.getTime() + DAY_MS)), vehicles: 1, people: 2, escort_from: [], manifest: [] };
  }
  const pts = record.route.coordinates;
  const ends = [record.origin_site, record.destination_site].map((ref) => sites.find((f) => f.id === ref));
  // A two-point route that runs exactly between its two sites was drawn "between sites".
  const between = pts.length === 2 && ends.every(Boolean) && canon(ends.map(sitePoint)) === canon(pts);
  return { ...record, mode: between ? 'sites' : 'draw', points: pts,
    from: localInput(new Date(record.window.from)), to: record.window.to ? localInput(new Date(record.window.to)) : '' };
}

function planFields(ctx, start) {
  const [purposeWrap, purpose] = field('Purpose', select('purpose', PURPOSES.map((p) => [p, humanize(p)]), start.purpose));
  const [originWrap, origin] = field('Origin (place name)', input({ name: 'origin', maxlength: 256, value: start.origin ?? '' }));
  const [destWrap, destination] = field('Destination (place name)', input({ name: 'destination', maxlength: 256, value: start.destination ?? '' }));
  const [corridorWrap, corridor] = field('Corridor half-width (metres)', input({ type: 'number', name: 'corridor_m', min: 0, step: 'any', value: start.corridor_m }),
    'how far either side of the route the movement may be');
  const [fromWrap, from] = field('Window from', input({ type: 'datetime-local', name: 'from', value: start.from }), 'your local time');
  const [toWrap, to] = field('Window until', input({ type: 'datetime-local', name: 'to', value: start.to }), 'leave empty for open-ended');
  const [vehWrap, vehicles] = field('Vehicles', input({ type: 'number', name: 'vehicles', min: 0, step: 1, value: start.vehicles }));
  const [peopleWrap, people] = field('People', input({ type: 'number', name: 'people', min: 0, step: 1, value: start.people }));
  const [consWrap, consignment] = field('Consignment id (optional)', input({ name: 'consignment', maxlength: 256, value: start.consignment ?? '' }),
    'ties the cargo to its custody record');
  return {
    purpose, origin, destination, corridor, from, to, vehicles, people, consignment,
    els: { purposeWrap, names: h('div', { class: 'row' }, originWrap, destWrap), corridorWrap,
      window: h('div', { class: 'row' }, fromWrap, toWrap), counts: h('div', { class: 'row' }, vehWrap, peopleWrap), consWrap },
  };
}

/** The movement.request form (the File tab's). */
export function requestForm(ctx) {
  return buildMovementForm(ctx, null, startingPoint(null, []), loadSites(), {});
}

/**
 * The movement.amend form, prefilled from `record` (a movement as GET
 * /v1/movements/{ref} answers); it signs only the fields that differ from
 * the record. It waits for the sites: they tell how the route was made.
 */
export async function amendForm(ctx, record, hooks) {
  const sitesLoad = loadSites();
  const sites = await sitesLoad.catch(() => []);
  return buildMovementForm(ctx, record, startingPoint(record, sites), sitesLoad, hooks);
}

function buildMovementForm(ctx, record, start, sitesLoad, { onDone, onClose }) {
  const f = planFields(ctx, start);
  const auto = { origin: null, destination: null };
  let preview;
  const changed = () => preview?.update();
  const route = routeEditor(ctx, sitesLoad, start, {
    onChange: changed,
    // A site's name fills the place name unless the requester typed one of their own.
    onSite: (end, site) => {
      const box = f[end];
      if (!box.value.trim() || box.value === auto[end]) {
        box.value = site.properties.name;
        auto[end] = site.properties.name;
      }
    },
  });
  const escorts = escortChecks(ctx, start.escort_from || []);
  const manifest = manifestEditor(start.manifest || [], changed);
  const startedInSites = start.mode === 'sites';

  const plan = () => {
    const r = route.read();
    if (!f.origin.value.trim() || !f.destination.value.trim()) throw new Error('name the origin and the destination');
    const p = {
      purpose: f.purpose.value, route: r.route, corridor_m: num(f.corridor, 'Corridor half-width'),
      window: { from: when(f.from.value, 'start'), ...(f.to.value ? { to: when(f.to.value, 'end') } : {}) },
      origin: f.origin.value.trim(), destination: f.destination.value.trim(),
      origin_site: r.origin_site ?? null, destination_site: r.destination_site ?? null,
      vehicles: num(f.vehicles, 'Vehicles', { integer: true }), people: num(f.people, 'People', { integer: true }),
      escort_from: escorts.read(), manifest: manifest.read(), consignment: f.consignment.value.trim() || null,
    };
    // A drawn route keeps the sites the record named, unless it was run between them before.
    if (record && route.mode() === 'draw' && !startedInSites) {
      p.origin_site = record.origin_site ?? null;
      p.destination_site = record.destination_site ?? null;
    }
    return p;
  };
  const requestBody = () => Object.fromEntries(Object.entries(plan()).filter(([, v]) => v !== null));
  const amendBody = () => {
    const p = plan();
    const changes = PLAN_FIELDS.filter((k) => (k === 'window'
      ? f.from.value !== start.from || f.to.value !== start.to
      : !same(k, p[k], record[k])));
    if (!changes.length) throw new Error('change a field to see what the amendment would need');
    return { movement: record.ref, ...Object.fromEntries(changes.map((k) => [k, p[k]])) };
  };
  const type = record ? 'movement.amend' : 'movement.request';
  const build = record ? amendBody : requestBody;
  preview = previewBox(ctx, type, build);

  const id = record ? `form-amend-${slug(record.ref)}` : 'form-movement';
  const title = record ? `Amend movement ${record.ref}` : 'Request a movement';
  const form = formShell(title, id, [
    record ? h('p', { class: 'meta' }, 'An amendment asks every required approver again: earlier responses stop counting.') : null,
    f.els.purposeWrap, route.el, f.els.names, f.els.corridorWrap, f.els.window, f.els.counts, escorts.el, manifest.el, f.els.consWrap,
    preview.el,
  ], record ? 'Sign and amend movement' : 'Sign and request movement', {
    type,
    build,
    done: () => {
      ctx.stopPicking();
      if (record) return onDone?.();
      route.reset();
      manifest.reset();
      preview.update();
      return onDone?.();
    },
  }, ctx);
  form.classList.add('movement-form');
  form.addEventListener('input', changed);
  form.addEventListener('change', changed);
  // The map's draft layer is shared by every form: the one being worked on draws on it.
  form.addEventListener('focusin', () => route.show());
  if (onClose) form.querySelector(':scope > .actions').append(closeButton(ctx, onClose));
  changed();
  return form;
}

function closeButton(ctx, onClose) {
  return h('button', { type: 'button', class: 'close-form', onclick: () => { ctx.stopPicking(); ctx.cmap.clearDraft(); onClose(); } }, 'Close');
}

// ---- cancelling and progress updates ----

export function cancelForm(ctx, ref, { onDone, onClose }) {
  const [reasonWrap, reason] = field('Reason', input({ name: 'reason', maxlength: 1000 }), 'approvers and the record will show it');
  const form = formShell(`Cancel movement ${ref}`, `form-cancel-${slug(ref)}`, [reasonWrap], 'Sign and cancel movement', {
    type: 'movement.cancel',
    build: () => {
      if (!reason.value.trim()) throw new Error('give the reason for cancelling');
      return { movement: ref, reason: reason.value.trim() };
    },
    done: onDone,
  }, ctx);
  form.querySelector(':scope > .actions').append(closeButton(ctx, onClose));
  return form;
}

export function updateForm(ctx, ref, { onDone, onClose }) {
  const uid = slug(ref);
  const [statusWrap, status] = field('Status', select('status', UPDATES.map((s) => [s, humanize(s)]), 'departed'));
  const point = pointPicker(ctx, `position-${uid}`);
  const where = h('fieldset', { class: 'where' }, h('legend', null, 'Where (needed for a position report)'), point.el);
  const [noteWrap, note] = field('Note (optional)', input({ name: 'note', maxlength: 1000 }));
  const hasPoint = () => [...point.el.querySelectorAll('input')].some((i) => i.value.trim());
  const form = formShell(`Post an update on ${ref}`, `form-update-${uid}`, [statusWrap, where, noteWrap], 'Sign and post update', {
    type: 'movement.update',
    build: () => {
      const body = { movement: ref, status: status.value };
      if (status.value === 'position' && !hasPoint()) throw new Error('a position report needs a point: pick it on the map');
      if (hasPoint()) body.geometry = point.read();
      if (note.value.trim()) body.note = note.value.trim();
      return body;
    },
    done: () => {
      ctx.stopPicking();
      ctx.cmap.clearDraft();
      onDone();
    },
  }, ctx);
  form.querySelector(':scope > .actions').append(closeButton(ctx, onClose));
  return form;
}

// ---- the board's actions on the signed-in party's own movements ----

/**
 * Keeps the amend, cancel and update forms opened from the clearance board,
 * one per movement, so that they survive the board being redrawn (with
 * whatever was typed in them); `rerender()` redraws the board.
 */
export class MovementDesk {
  constructor(ctx, rerender) {
    this.ctx = ctx;
    this.rerender = rerender;
    this.open = new Map();
  }

  /** Forgets every open form (another party signed in, or nobody). */
  reset() {
    this.open.clear();
  }

  close(ref) {
    this.open.delete(ref);
    this.rerender();
  }

  /** The buttons and open form for one board card, or null when the signed-in party cannot act on it. */
  actions(m) {
    const party = this.ctx.getKey()?.party;
    if (!party || m.properties.requester !== party || ENDED.has(m.properties.status)) {
      this.open.delete(m.id);
      return null;
    }
    const open = this.open.get(m.id);
    const button = (kind, text) => h('button', {
      type: 'button', class: `mv-${kind}`, 'aria-expanded': String(open?.kind === kind), onclick: () => this.toggle(m.id, kind),
    }, text);
    return h('div', { class: 'movement-own', role: 'group', 'aria-label': 'Your movement' },
      h('div', { class: 'actions' }, button('amend', 'Amend…'), button('cancel', 'Cancel…'), button('update', 'Post update')),
      h('div', { class: 'movement-slot' }, open?.el));
  }

  toggle(ref, kind) {
    if (this.open.get(ref)?.kind === kind) return this.close(ref);
    const hooks = { onDone: () => this.close(ref), onClose: () => this.close(ref) };
    const el = {
      amend: () => this.loadAmendForm(ref, hooks),
      cancel: () => cancelForm(this.ctx, ref, hooks),
      update: () => updateForm(this.ctx, ref, hooks),
    }[kind]();
    this.open.set(ref, { kind, el });
    this.rerender();
    el.querySelector('input, select')?.focus();
    return undefined;
  }

  /** The amend form, prefilled from the movement as the server holds it now. */
  loadAmendForm(ref, hooks) {
    const slot = h('div', { class: 'amend-slot' }, h('p', { class: 'empty' }, 'Loading the movement…'));
    getJson(`/v1/movements/${refPath(ref)}`).then((record) => amendForm(this.ctx, record, hooks)).then(
      (form) => replace(slot, form),
      (e) => {
        const { detail, code } = describeError(e);
        replace(slot, h('p', { class: 'error' }, `The movement could not be loaded: ${detail} (${code})`));
      });
    return slot;
  }
}
