// The console's entry point: loads the record, keeps every view fresh from
// server-sent events (debounced, refreshing only the views an entry can
// change), and wires sign-in, the time control, tabs, actions and the Intake
// panel together.

import { CorridorMap, renderLegend } from './map.js';
import * as api from './api.js';
import * as panels from './panels.js';
import { Activity, readKeyFile, siteForm, operationForm, incidentForm, localInput } from './actions.js';
import { IntakePanel } from './intake.js';
import { requestForm, MovementDesk } from './movement.js';
import { CustodyPanel } from './custody.js';
import { newStatement, signStatement, parseVerifierKey } from './crypto.js';
import { verifyCheckpointWithTiles, checkCosignatures, requireQuorum } from './verify.js';
import { witness } from './witness.js';
import { InboxPanel } from './inbox.js';
import * as accountability from './accountability.js';
import { h, byId, replace, humanize } from './dom.js';

const SPATIAL = ['zones', 'sites', 'movements', 'operations', 'agreements'];
const ALL = ['log', 'parties', ...SPATIAL, 'conflicts', 'incidents', 'violations', 'custody', 'claims', 'handoffs', 'inbox', 'records'];

// Which views an entry of each statement type can change. "records" is the
// list the forms' reference pickers offer; "inbox" what waits for the
// signed-in party; "handoffs" the custody offers, which travel as messages
// and are settled by an acknowledgement.
const AFFECTS = [
  ['party.', ['parties']],
  ['zone.', ['zones', 'movements']],
  ['site.', ['sites', 'conflicts', 'records']],
  ['movement.', ['movements', 'conflicts', 'custody', 'inbox', 'records']],
  ['acknowledge', ['movements', 'inbox', 'handoffs']],
  ['operation.', ['operations', 'conflicts', 'inbox', 'records']],
  ['agreement.', ['agreements', 'conflicts', 'violations']],
  ['incident.', ['incidents', 'violations', 'records']],
  ['custody.', ['custody']],
  ['distribution.', ['custody']],
  ['claim.', ['claims', 'records']],
  ['message.', ['inbox', 'handoffs']],
];

const affected = (type) => ['log', ...AFFECTS.filter(([p]) => type?.startsWith(p)).flatMap(([, v]) => v)];

const state = {
  key: null,
  parties: [],
  vkey: null,
  witnesses: null,
  at: null,
  data: { movements: [], agreements: [] },
  fetchedAt: Date.now(),
  respondForms: new Map(),
  evidence: new Map(),
  violations: new Map(),
};

let cmap;
let activity;
let intake;
let inbox;
let custody;
const generation = new Map();

// ---- refreshing ----

let pending = new Set();
let timer = null;
let running = null;

/** Refreshes the given views soon, coalescing bursts of events into one pass. */
function schedule(views, delay = 150) {
  for (const v of views) pending.add(v);
  clearTimeout(timer);
  timer = setTimeout(flush, delay);
}

async function flush() {
  if (running) {
    await running;
  }
  const views = pending;
  pending = new Set();
  if (!views.size) return;
  running = refresh(views).finally(() => { running = null; });
}

async function refresh(views) {
  const first = [...views].filter((v) => !['violations', 'custody', 'claims'].includes(v));
  await Promise.all(first.map(load));
  // These depend on agreements, movements and the log scan loaded above.
  await Promise.all(['violations', 'custody', 'claims'].filter((v) => views.has(v)).map(load));
}

/** Loads one view; a newer load of the same view makes an older answer stale. */
async function load(view) {
  const gen = (generation.get(view) || 0) + 1;
  generation.set(view, gen);
  const fresh = () => generation.get(view) === gen;
  try {
    await LOADERS[view](fresh);
  } catch (e) {
    if (fresh()) viewError(view, e);
  }
}

function viewError(view, e) {
  const { detail, code } = api.describeError(e);
  const el = byId(`err-${view}`) || byId('view-errors');
  replace(el, h('p', { class: 'error' }, `${humanize(view)} could not be loaded: ${detail} (${code})`));
}

// Custody and claims panels load their lists a page at a time, and the next
// page when asked: a log of millions of records would not fit one screen, and
// each consignment shown costs a request for its reconciliation.
const PANEL_PAGE = { custody: 20, claims: 50 };
const panelPages = { custody: 1, claims: 1 };

/** Appends a "Show more" button to a panel list that has more to load. */
function showMore(el, view, what) {
  const button = h('button', { type: 'button', class: 'show-more', dataset: { view } }, `Show more ${what}`);
  button.addEventListener('click', () => {
    button.disabled = true;
    panelPages[view] += 1;
    schedule([view], 0);
  });
  el.append(button);
}

// Layers that only the map shows are loaded for the area in view once the
// map has framed the record, and again after each pan or zoom, so that a
// record of a million sites costs the page what is on screen, not the whole.
// The other layers feed panels (the board, agreements) and load whole.
const IN_VIEW = ['sites', 'zones', 'operations'];
const IN_VIEW_PAGES = 2;

const atParam = () => (state.at ? { at: state.at } : {});

const LOADERS = {
  async log(fresh) {
    const log = await api.getJson('/v1/log');
    if (!fresh()) return;
    renderLogStatus(log, null);
    const check = await checkLog(log);
    if (!fresh()) return;
    renderLogStatus(log, check);
    followCosigning(log);
  },
  async parties(fresh) {
    const { parties } = await api.getJson('/v1/parties');
    if (!fresh()) return;
    state.parties = [...parties].sort((a, b) => a.id.localeCompare(b.id));
    cmap.setParties(state.parties);
    renderLegend(byId('layers-body'), cmap, state.parties);
  },
  zones: spatial('zones', (fc) => cmap.setZones(fc)),
  sites: spatial('sites', (fc) => cmap.setSites(fc)),
  movements: spatial('movements', (fc) => {
    cmap.setMovements(fc);
    state.data.movements = fc.features;
    state.fetchedAt = Date.now();
    renderBoard();
  }),
  operations: spatial('operations', (fc) => cmap.setOperations(fc)),
  agreements: spatial('agreements', (fc) => {
    cmap.setAgreements(fc);
    state.data.agreements = fc.features;
    renderAgreements();
  }),
  async conflicts(fresh) {
    const party = state.key?.party;
    const { conflicts } = await api.getAll('/v1/conflicts', { party }, 'conflicts');
    if (!fresh()) return;
    panels.renderConflicts(byId('conflicts-body'), conflicts, party);
    count('conflicts', conflicts.length);
  },
  async incidents(fresh) {
    const fc = await api.getAll('/v1/incidents', {});
    if (!fresh()) return;
    cmap.setIncidents(fc);
    panels.renderIncidents(byId('incidents-body'), fc, showEvidence);
    for (const [ref, slot] of state.evidence) {
      const el = byId('incidents-body').querySelector(`article[data-ref="${CSS.escape(ref)}"] .evidence-slot`);
      if (el) el.replaceWith(slot);
    }
    accountability.decorateIncidents(byId('incidents-body'), formCtx);
    count('incidents', fc.features.length);
  },
  async violations(fresh) {
    const results = await Promise.all(state.data.agreements.map((f) =>
      api.getJson(`/v1/agreements/${api.refPath(f.id)}/violations`).catch((e) => new Error(api.describeError(e).detail))));
    if (!fresh()) return;
    state.violations = new Map(state.data.agreements.map((f, i) => [f.id, results[i]]));
    renderAgreements();
  },
  async custody(fresh) {
    const page = await api.getAll('/v1/consignments', {}, 'consignments', panelPages.custody, PANEL_PAGE.custody);
    // Only a consignment some hand-off names has a reconciliation to ask
    // for; one a movement names before its first hand-off is shown as such.
    const handedOver = new Set(page.consignments.map((c) => c.consignment));
    const ids = [...new Set([...state.data.movements.map((m) => m.properties.consignment).filter(Boolean), ...handedOver])].sort();
    const list = await Promise.all(ids.map((id) => (handedOver.has(id)
      ? api.getJson(`/v1/consignments/${encodeURIComponent(id)}`)
        .then((data) => ({ id, data }), (e) => ({ id, error: api.describeError(e).detail }))
      : { id, awaiting: true })));
    if (!fresh()) return;
    panels.renderCustody(byId('custody-body'), list);
    if (page.truncated) showMore(byId('custody-body'), 'custody', 'consignments');
    count('custody', list.length);
  },
  inbox: (fresh) => inbox?.load(fresh),
  records: (fresh) => accountability.records.load(fresh),
  async handoffs(fresh) {
    await custody?.load(fresh);
  },
  async claims(fresh) {
    const page = await api.getAll('/v1/claims', {}, 'claims', panelPages.claims, PANEL_PAGE.claims);
    const list = page.claims.map((data) => ({ ref: data.claim.ref, data }));
    if (!fresh()) return;
    panels.renderClaims(byId('claims-body'), list);
    accountability.decorateClaims(byId('claims-body'), formCtx);
    if (page.truncated) showMore(byId('claims-body'), 'claims', 'claims');
    count('claims', list.length);
  },
};

// Collections cut short by getAll's page cap, and how many of each were loaded.
const truncated = new Map();

// The map frames the record once, when every layer it frames by has answered
// (or failed): framing on whichever arrived first left the rest off-screen.
const FRAMED_BY = ['zones', 'movements', 'sites'];
const answered = new Set();

function spatial(kind, apply) {
  const inView = IN_VIEW.includes(kind);
  return async (fresh) => {
    try {
      const params = inView && cmap.fitted ? { ...atParam(), bbox: cmap.viewBbox() } : atParam();
      const fc = await api.getAll(`/v1/${kind}`, params, 'features', inView ? IN_VIEW_PAGES : undefined);
      if (!fresh()) return;
      truncated.set(kind, fc.truncated ? [fc.features.length, !!params.bbox] : null);
      replace(byId('view-errors'), ...[...truncated].filter(([, t]) => t).map(([k, [n, viewed]]) => h('p', { class: 'error' }, viewed
        ? `Showing ${n.toLocaleString('en')} of the ${k} in view; zoom in to see them all.`
        : `Showing the first ${n.toLocaleString('en')} ${k}; the rest are not loaded into this page.`)));
      apply(fc);
    } finally {
      answered.add(kind);
      if (FRAMED_BY.every((k) => answered.has(k))) cmap.fitOnce();
    }
  };
}

// ---- log status ----

/**
 * Verifies what the log shows: its checkpoint as today when it has no
 * witnesses; with witnesses, the checkpoint they cosigned, and only with the
 * quorum of valid cosignatures. The remembered checkpoint is updated only
 * after everything else checked out.
 */
async function checkLog(log) {
  if (log.witnesses && !log.cosigned_checkpoint) {
    return { awaiting: 'no checkpoint of this log has reached the witnesses’ quorum yet' };
  }
  let cosign = null;
  let tiles = 0;
  try {
    if (log.vkey !== state.vkey.text) throw new Error('the log key differs from the one this page started with');
    if (witnessSet(log) !== state.witnesses) throw new Error('the witnesses or their quorum differ from those this page started with');
    const note = log.witnesses ? log.cosigned_checkpoint : log.checkpoint;
    const r = await verifyCheckpointWithTiles(note, state.vkey, (path) => { tiles++; return api.getBytes(`/${path}`); });
    if (log.witnesses) {
      cosign = checkCosignatures(note, log.witnesses);
      requireQuorum(cosign);
    }
    const consistency = (from, to) => api.getJson('/v1/proofs/consistency', { from, to }).then((p) => p.proof);
    return { ...r, tiles, cosign, ...(await witness(log.vkey, r, consistency)) };
  } catch (e) {
    return { error: api.describeError(e).detail, cosign };
  }
}

/**
 * The witnesses' keys and quorum, as one string: like the log key, they are
 * taken from the server once, when the page starts, and held to after that,
 * so a server cannot swap in witnesses of its own while the page is open.
 */
const witnessSet = (log) => (log.witnesses
  ? JSON.stringify([log.witnesses.quorum, (log.witnesses.witnesses || []).map((w) => [w?.name, w?.vkey])])
  : null);

// Cosignatures arrive without a log entry, so no event announces them: while
// the witnesses lag behind the log, its status is reloaded, ever less often.
const COSIGN_POLL = { first: 1000, max: 30000 };
let cosignPoll = { timer: null, delay: COSIGN_POLL.first };

function followCosigning(log) {
  clearTimeout(cosignPoll.timer);
  const behind = log.witnesses && (log.cosigned_size ?? -1) < log.size;
  if (!behind) {
    cosignPoll = { timer: null, delay: COSIGN_POLL.first };
    return;
  }
  const { delay } = cosignPoll;
  cosignPoll = { timer: setTimeout(() => schedule(['log'], 0), delay), delay: Math.min(delay * 2, COSIGN_POLL.max) };
}

function count(tab, n) {
  const el = byId(`count-${tab}`);
  if (el) el.textContent = String(n);
}

function renderLogStatus(log, check) {
  panels.renderLog(byId('log-body'), log, check);
  const badge = byId('log-badge');
  const verdict = !check ? 'checking' : check.awaiting ? 'awaiting' : check.error ? 'failed' : 'verified';
  const said = {
    checking: 'verifying…',
    awaiting: '… awaiting cosignatures',
    failed: '✘ verification failed',
    verified: check?.cosign ? `✔ verified, ${check.cosign.valid} cosignature${check.cosign.valid === 1 ? '' : 's'}` : '✔ verified',
  }[verdict];
  badge.dataset.verdict = verdict;
  badge.textContent = `Log: ${log.size} entries · ${said}`;
  badge.title = check?.error || check?.awaiting || '';
}

// ---- board ----

function renderBoard() {
  const el = byId('board-body');
  const focused = el.contains(document.activeElement) ? document.activeElement : null;
  panels.renderBoard(el, state.data.movements, {
    party: state.key?.party,
    fetchedAt: state.fetchedAt,
    onAcknowledge: (ref) => submit('acknowledge', { refs: [ref] }),
    onRespondForm: toggleRespond,
    movementActions: (m) => desk.actions(m),
  });
  // Open response forms survive a refresh, with whatever was typed in them.
  for (const [ref, form] of state.respondForms) {
    const art = el.querySelector(`article[data-ref="${CSS.escape(ref)}"]`);
    if (!art) continue;
    art.querySelector('.respond-slot').append(form);
    art.querySelector('button.respond')?.setAttribute('aria-expanded', 'true');
  }
  // Whoever was typing in a form that was carried over keeps the focus.
  if (focused?.isConnected && focused !== document.activeElement) focused.focus({ preventScroll: true });
  count('board', state.data.movements.length);
}

function toggleRespond(ref, button) {
  if (state.respondForms.has(ref)) {
    state.respondForms.get(ref).remove();
    state.respondForms.delete(ref);
    button.setAttribute('aria-expanded', 'false');
    return;
  }
  const close = () => {
    state.respondForms.get(ref)?.remove();
    state.respondForms.delete(ref);
    renderBoard();
  };
  const form = panels.respondForm(ref, async ({ decision, conditions, reason }) => {
    const body = { movement: ref, decision };
    if (decision === 'approve_with_conditions') {
      if (!conditions.length) {
        activity.problem('Response not sent', new Error('approving with conditions needs at least one condition'));
        return;
      }
      body.conditions = conditions;
    }
    if (reason) body.reason = reason;
    const receipt = await submit('movement.respond', body);
    if (receipt) close();
  }, close);
  state.respondForms.set(ref, form);
  button.closest('article').querySelector('.respond-slot').append(form);
  button.setAttribute('aria-expanded', 'true');
  form.querySelector('input')?.focus();
}

function renderAgreements() {
  panels.renderAgreements(byId('agreements-body'), state.data.agreements, state.violations);
  count('agreements', state.data.agreements.length);
}

async function showEvidence(ref, button) {
  if (state.evidence.has(ref)) {
    state.evidence.get(ref).replaceChildren();
    state.evidence.delete(ref);
    button.textContent = 'Show notification evidence';
    return;
  }
  const slot = button.closest('article').querySelector('.evidence-slot');
  state.evidence.set(ref, slot);
  button.textContent = 'Hide notification evidence';
  replace(slot, h('p', null, 'Loading…'));
  try {
    replace(slot, panels.renderEvidence(await api.getJson(`/v1/incidents/${api.refPath(ref)}/evidence`)));
  } catch (e) {
    const { detail, code } = api.describeError(e);
    replace(slot, h('p', { class: 'error' }, `${detail} (${code})`));
  }
}

// ---- signing and submitting ----

/**
 * Signs and submits a statement; shows its receipt or the server's refusal.
 * `hooks.onLogged(receipt, statement)` and `hooks.onRefused(error)` let a
 * caller show the outcome beside what was signed, too.
 */
async function submit(type, body, hooks = {}) {
  const key = state.key;
  if (!key) {
    activity.problem('Not signed in', new Error('Sign in with your key file first.'));
    return null;
  }
  const statement = newStatement(type, key.party, body);
  return submitSigned(statement, signStatement(statement, key), hooks);
}

/** Submits an envelope already signed (by more than one party, for a hand-off). */
async function submitSigned(statement, envelope, hooks = {}) {
  const { type } = statement;
  try {
    const { status, receipt } = await api.submitEnvelope(envelope);
    const card = activity.receipt(receipt, statement, envelope, status === 200);
    card.scrollIntoView({ block: 'nearest' });
    schedule(affected(type), 0);
    hooks.onLogged?.(receipt, statement);
    return receipt;
  } catch (e) {
    activity.problem(`The server refused this ${humanize(type)}`, e);
    byId('problem').scrollIntoView({ block: 'nearest' });
    hooks.onRefused?.(e);
    return null;
  }
}

async function signIn(file) {
  const err = byId('signin-error');
  replace(err);
  try {
    if (!state.parties.length) await load('parties');
    state.key = await readKeyFile(file, state.parties);
  } catch (e) {
    state.key = null;
    replace(err, `This key file cannot be used: ${api.describeError(e).detail}.`);
    return;
  } finally {
    byId('keyfile').value = '';
  }
  onIdentity();
}

function signOut() {
  state.key = null;
  onIdentity();
}

function onIdentity() {
  const key = state.key;
  byId('signin-form').hidden = !!key;
  byId('whoami').hidden = !key;
  replace(byId('whoami-name'), key ? `${key.party}` : '');
  replace(byId('whoami-kind'), key ? humanize(key.kind) : '');
  document.body.dataset.party = key?.party || '';
  for (const form of state.respondForms.values()) form.remove();
  state.respondForms.clear();
  desk.reset();
  renderBoard();
  renderForms();
  intake?.onIdentity();
  inbox?.onIdentity();
  schedule(['inbox', 'incidents', 'claims'], 0);
  custody?.onIdentity();
  schedule(['handoffs'], 0);
  connectPartyEvents();
  schedule(['conflicts'], 0);
  if (key) byId('signout').focus();
  else byId('keyfile').focus();
}

// ---- forms and map picking ----

let pickingButton = null;

const formCtx = {
  get cmap() { return cmap; },
  getKey: () => state.key,
  parties: () => state.parties,
  submit,
  submitSigned,
  problem: (context, err) => activity.problem(context, err),
  startPicking(button, onPick) {
    formCtx.stopPicking();
    pickingButton = button;
    button.setAttribute('aria-pressed', 'true');
    cmap.startPicking(onPick);
    byId('pick-hint').hidden = false;
    // On a phone the map sits above the panels, out of sight while a form is filled in.
    if (window.matchMedia('(max-width: 800px)').matches) byId('map').scrollIntoView({ block: 'start' });
  },
  stopPicking() {
    pickingButton?.setAttribute('aria-pressed', 'false');
    pickingButton = null;
    cmap.stopPicking();
    byId('pick-hint').hidden = true;
  },
};

// Amend, cancel and update forms on the requester's own movements, kept across board refreshes.
const desk = new MovementDesk(formCtx, () => renderBoard());

function renderForms() {
  formCtx.stopPicking();
  cmap.clearDraft();
  const el = byId('file-body');
  if (!state.key) {
    replace(el, h('p', { class: 'empty' }, 'Sign in with your key file to request movements, notify sites and operations or report incidents.'));
    return;
  }
  replace(el, requestForm(formCtx), siteForm(formCtx), operationForm(formCtx), incidentForm(formCtx),
    accountability.distributionForm(formCtx), accountability.claimForm(formCtx));
}

// ---- live events ----

let closeAll = null;
let closeParty = null;

function setLive(open) {
  const el = byId('live');
  el.dataset.live = open ? 'open' : 'closed';
  el.textContent = open ? '● Live' : '○ Reconnecting…';
}

function connectEvents() {
  closeAll = api.subscribe(undefined, (name, data) => {
    if (name === 'entry') schedule(affected(data?.type));
  }, setLive);
}

/** What a notice says, in words: its detail is a conflict, a clearance event or a response. */
function noticeText(d) {
  if (!d || typeof d !== 'object') return d ?? '';
  if (d.decision) return `${d.from} answered: ${humanize(d.decision)}`;
  if (d.event) return `${d.event}${d.approvers?.length ? ` (approvers: ${d.approvers.join(', ')})` : ''}`;
  if (d.operation) return `operation ${d.operation} within ${Math.round(d.distance_m)} m (limit ${d.threshold_m} m)`;
  return '';
}

// Notices (conflict, clearance) come only on the party's own stream.
function connectPartyEvents() {
  closeParty?.();
  closeParty = null;
  if (!state.key) return;
  closeParty = api.subscribe(state.key.party, (name, data) => {
    if (name === 'entry') return;
    schedule(name === 'conflict' ? ['conflicts', 'movements'] : ['movements']);
    const list = byId('notices');
    list.prepend(h('li', null, h('strong', null, `${humanize(name)}: `), `${data?.subject ?? ''} ${noticeText(data?.detail)} (entry ${data?.index})`));
    while (list.children.length > 5) list.lastElementChild.remove();
  });
}

// ---- time control ----

function setAt(date) {
  state.at = date ? date.toISOString() : null;
  byId('at').value = date ? localInput(date) : '';
  byId('at-status').textContent = date
    ? `Showing the state at ${state.at.slice(0, 16).replace('T', ' ')} UTC`
    : 'Current record (no time filter)';
  schedule(SPATIAL, 0);
}

function wireTime() {
  const input = byId('at');
  byId('timebar').addEventListener('submit', (e) => e.preventDefault());
  input.addEventListener('change', () => {
    const d = new Date(input.value);
    setAt(input.value && !Number.isNaN(d.getTime()) ? d : null);
  });
  const shift = (days) => setAt(new Date((state.at ? new Date(state.at) : new Date()).getTime() + days * 86400000));
  byId('at-back').addEventListener('click', () => shift(-1));
  byId('at-fwd').addEventListener('click', () => shift(1));
  byId('at-now').addEventListener('click', () => setAt(new Date()));
  byId('at-clear').addEventListener('click', () => setAt(null));
}

// ---- tabs ----

function wireTabs() {
  const tabs = [...document.querySelectorAll('[role=tab]')];
  const select = (tab, focus) => {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
      byId(t.getAttribute('aria-controls')).hidden = !on;
    }
    if (focus) tab.focus();
  };
  for (const [i, tab] of tabs.entries()) {
    tab.addEventListener('click', () => select(tab, false));
    tab.addEventListener('keydown', (e) => {
      const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
      if (to === undefined) return;
      e.preventDefault();
      select(tabs[(to + tabs.length) % tabs.length], true);
    });
  }
}

function wireSignIn() {
  byId('keyfile').addEventListener('change', (e) => {
    const f = e.target.files?.[0];
    if (f) signIn(f);
  });
  byId('signout').addEventListener('click', signOut);
  // A key file dropped anywhere on the page signs in; other drops are ignored.
  document.addEventListener('dragover', (e) => {
    if ([...(e.dataTransfer?.types || [])].includes('Files')) {
      e.preventDefault();
      document.body.classList.add('dropping');
    }
  });
  document.addEventListener('dragleave', (e) => {
    if (!e.relatedTarget) document.body.classList.remove('dropping');
  });
  document.addEventListener('drop', (e) => {
    const f = e.dataTransfer?.files?.[0];
    document.body.classList.remove('dropping');
    if (!f) return;
    e.preventDefault();
    if (!state.key) signIn(f);
  });
}

/** Refits the panels' tables after each render, tab switch and resize. */
function watchTables(root) {
  let queued = false;
  const refit = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; panels.fitTables(root); });
  };
  new MutationObserver(refit).observe(root, { childList: true, subtree: true, attributes: true, attributeFilter: ['hidden'] });
  new ResizeObserver(refit).observe(root);
}

async function start() {
  wireTabs();
  wireTime();
  wireSignIn();
  // On a phone the legend starts folded so the panels are near the map.
  if (window.matchMedia('(max-width: 800px)').matches) document.querySelector('details.layers').open = false;
  watchTables(byId('panels'));
  cmap = new CorridorMap(byId('map'));
  new ResizeObserver(() => cmap.invalidate()).observe(byId('map'));
  cmap.loadBasemap().catch((e) => viewError('base map', e));
  cmap.onViewChange(() => { if (cmap.fitted) schedule(IN_VIEW, 250); });
  const log = await api.getJson('/v1/log');
  state.vkey = parseVerifierKey(log.vkey);
  state.witnesses = witnessSet(log);
  activity = new Activity(byId('activity'), state.vkey);
  setInterval(() => panels.tickClocks(byId('board-body')), 1000);
  await load('parties');
  renderForms();
  intake = new IntakePanel(byId('intake-body'), formCtx, (n) => count('intake', n));
  inbox = new InboxPanel(byId('inbox-body'), formCtx, (n) => count('inbox', n));
  custody = new CustodyPanel(byId('handoffs-body'), formCtx);
  connectEvents();
  await refresh(new Set(ALL));
  document.body.dataset.ready = 'true';
}

start().catch((e) => {
  const { detail, code } = api.describeError(e);
  replace(byId('view-errors'), h('p', { class: 'error' }, `The console could not start: ${detail} (${code})`));
});
