// The side panels: clearance board, conflicts, incidents, agreements with
// their violation tallies, custody reconciliation, claims with evidence, and
// log status. Each render function draws one panel from server data; the
// actions it offers (acknowledge, respond, evidence) are callbacks, so the
// panels never sign or send anything themselves.

import { h, replace, fmtTime, fmtDuration, fmtRange, fmtWindow, fmtNumber, humanize } from './dom.js';

const empty = (text) => h('p', { class: 'empty' }, text);
const plural = (n, word) => `${fmtNumber(n)} ${word}${n === 1 ? '' : 's'}`;

function table(caption, head, rows, attrs) {
  // Each cell carries its column name, which narrow screens show beside it.
  for (const tr of rows) [...tr.children].forEach((cell, i) => { cell.dataset.label = head[i]; });
  return h('div', { class: 'table-wrap' }, h('table', attrs,
    h('caption', null, caption),
    h('thead', null, h('tr', null, head.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', null, rows)));
}

/**
 * Stacks each table that would not fit its panel: every row becomes a card
 * whose cells are labelled with their column, so that no column is ever
 * hidden past the panel's edge (a table scrolled sideways inside its box
 * hides the right-hand columns, which hold the discrepancies and the times).
 * Tables in a hidden panel are left as they are until it is shown.
 */
export function fitTables(root) {
  for (const wrap of root.querySelectorAll('.table-wrap')) {
    const table = wrap.firstElementChild;
    if (!table || !wrap.offsetParent) continue;
    wrap.classList.remove('stacked');
    if (table.scrollWidth > wrap.clientWidth + 1) wrap.classList.add('stacked');
  }
}

function badge(text, kind) {
  return h('span', { class: `badge ${kind || ''}`.trim(), dataset: { value: text } }, humanize(text));
}

// ---- clearance board ----

/** Seconds the movement's longest-waiting approver has been waiting. */
function longestWait(m) {
  return Math.max(-1, ...(m.properties.required_approvers || []).filter((a) => !a.response).map((a) => a.waiting_s ?? 0));
}

export function sortForBoard(movements) {
  return [...movements].sort((a, b) => longestWait(b) - longestWait(a) || a.id.localeCompare(b.id));
}

function approverState(a) {
  return a.response ? a.response.decision : 'waiting';
}

// Statuses under which nobody is waiting any more: the clocks stand still.
const STOPPED = new Set(['cancelled', 'arrived', 'aborted', 'expired']);

function clock(a, fetchedAt, status) {
  if (!a.response && STOPPED.has(status)) return h('span', null, `no answer after ${fmtDuration(a.waiting_s)}`);
  if (a.response) {
    const took = (new Date(a.response.at) - new Date(a.asked_at)) / 1000;
    return h('span', null, `answered after ${fmtDuration(took)}`);
  }
  return h('span', { class: 'clock', dataset: { wait: a.waiting_s ?? 0, since: fetchedAt } }, fmtDuration(a.waiting_s));
}

/** Keeps waiting clocks moving between refreshes. */
export function tickClocks(root) {
  const now = Date.now();
  for (const el of root.querySelectorAll('.clock[data-wait]')) {
    el.textContent = fmtDuration(Number(el.dataset.wait) + (now - Number(el.dataset.since)) / 1000);
  }
}

/** The requester's last progress report, or why it was cancelled: what the status alone does not say. */
function progressLine(p) {
  if (p.cancelled) return h('p', { class: 'meta progress' }, `Cancelled at ${fmtTime(p.cancelled.at?.at)}: ${p.cancelled.reason ?? 'no reason given'}`);
  if (!p.progress) return null;
  const where = p.last_position?.coordinates ? ` · last position ${p.last_position.coordinates.join(', ')}` : '';
  return h('p', { class: 'meta progress', dataset: { progress: p.progress.status } },
    `Last update: ${humanize(p.progress.status)} at ${fmtTime(p.progress.at?.at)} (entry ${p.progress.at?.index})${where}`);
}

export function renderBoard(el, movements, ctx) {
  const { party, fetchedAt, onAcknowledge, onRespondForm } = ctx;
  if (!movements.length) return replace(el, empty('No movements at this time.'));
  replace(el, sortForBoard(movements).map((m) => {
    const p = m.properties;
    const approvers = p.required_approvers || [];
    const mine = party && approvers.find((a) => a.party === party);
    const actions = party ? h('div', { class: 'actions' },
      mine && !mine.acknowledged_at && !mine.response
        ? h('button', { type: 'button', class: 'ack', onclick: () => onAcknowledge(m.id) }, 'Acknowledge receipt') : null,
      mine ? h('button', { type: 'button', class: 'respond', 'aria-expanded': 'false', onclick: (e) => onRespondForm(m.id, e.currentTarget) },
        mine.response ? 'Change response…' : 'Respond…') : null) : null;
    return h('article', { class: 'movement', dataset: { ref: m.id, status: p.status }, 'aria-label': `Movement ${m.id}` },
      h('h3', null, `${p.origin} → ${p.destination}`),
      h('p', { class: 'meta' }, h('code', null, m.id), ' ', badge(p.status, `status-${p.status}`)),
      h('p', { class: 'meta' }, `${humanize(p.purpose)} · ${plural(p.vehicles, 'vehicle')} · ${fmtNumber(p.people)} people · window ${fmtWindow(p.window)}`,
        p.consignment ? ` · consignment ${p.consignment}` : ''),
      progressLine(p),
      approvers.length
        ? table('Required approvers (times UTC)', ['Party', 'Asked', 'Acknowledged', 'Response', 'Waiting'], approvers.map((a) =>
          h('tr', { dataset: { party: a.party, state: approverState(a) } },
            h('th', { scope: 'row' }, a.party, mine === a ? ' (you)' : ''),
            h('td', { class: 'time' }, fmtTime(a.asked_at, { zone: false })),
            h('td', { class: 'time' }, a.acknowledged_at ? fmtTime(a.acknowledged_at, { zone: false }) : 'not yet'),
            h('td', null, a.response
              ? [badge(a.response.decision, `decision-${a.response.decision}`),
                (a.response.conditions || []).length ? h('ul', { class: 'conditions' }, a.response.conditions.map((c) => h('li', null, c))) : null,
                a.response.reason ? h('p', { class: 'reason' }, a.response.reason) : null]
              : badge('waiting', 'waiting')),
            h('td', null, clock(a, fetchedAt, p.status)))), { class: 'approvers' })
        : empty('No party needs to clear this movement.'),
      actions,
      h('div', { class: 'respond-slot' }),
      // The requester's own actions (amend, cancel, update), when the caller offers them.
      ctx.movementActions?.(m));
  }));
}

/** The movement.respond form; `onSubmit({decision, conditions, reason})`. */
export function respondForm(ref, onSubmit, onCancel) {
  const uid = ref.replace(/[^a-z0-9]/gi, '-');
  const conditions = h('textarea', { id: `cond-${uid}`, rows: 3, name: 'conditions' });
  const reason = h('input', { id: `reason-${uid}`, type: 'text', name: 'reason', maxlength: 1000 });
  const choice = (value, text, checked) => h('label', null,
    h('input', { type: 'radio', name: `decision-${uid}`, value, checked }), ` ${text}`);
  const form = h('form', { class: 'respond-form', 'aria-label': `Respond to ${ref}` },
    h('fieldset', null, h('legend', null, 'Decision'),
      choice('approve', 'Approve', true), choice('approve_with_conditions', 'Approve with conditions'), choice('deny', 'Deny')),
    h('label', { for: `cond-${uid}` }, 'Conditions (one per line; only with “approve with conditions”)'), conditions,
    h('label', { for: `reason-${uid}` }, 'Reason (optional)'), reason,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Sign and submit response'),
      h('button', { type: 'button', onclick: onCancel }, 'Cancel')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const decision = form.querySelector(`input[name="decision-${uid}"]:checked`).value;
    const conds = conditions.value.split('\n').map((s) => s.trim()).filter(Boolean);
    onSubmit({ decision, conditions: conds, reason: reason.value.trim() });
  });
  return form;
}

// ---- conflicts ----

function conflictWith(w) {
  if (w.kind === 'site') return `site ${w.site}`;
  if (w.kind === 'movement') return `movement ${w.movement}`;
  if (w.kind === 'corridor') return `corridor “${w.corridor}” of ${w.agreement}`;
  return JSON.stringify(w);
}

export function renderConflicts(el, conflicts, party) {
  const title = party ? `Conflicts concerning ${party}` : 'All conflicts';
  if (!conflicts.length) return replace(el, h('h3', null, title), empty('No conflicts.'));
  replace(el, table(title, ['Operation', 'Conflicts with', 'Distance', 'Threshold', 'Overlap', 'Parties', 'Found'],
    conflicts.map((c) => h('tr', { dataset: { operation: c.operation } },
      h('th', { scope: 'row' }, c.operation), h('td', null, conflictWith(c.with)),
      h('td', null, `${fmtNumber(Math.round(c.distance_m))} m`), h('td', null, `${fmtNumber(c.threshold_m)} m`),
      h('td', null, fmtWindow(c.overlap)), h('td', null, (c.parties || []).join(', ')),
      h('td', null, `entry ${c.found?.index}`)))));
}

// ---- incidents ----

const CASUALTY_FIELDS = [['killed', 'Killed'], ['injured', 'Injured'], ['children_killed', 'Children killed'], ['children_injured', 'Children injured']];

function casualtyList(c) {
  return h('dl', { class: 'casualties' }, CASUALTY_FIELDS.filter(([k]) => c?.[k]).map(([k, label]) =>
    [h('dt', null, label), h('dd', null, fmtRange(c[k]))]));
}

export function renderIncidents(el, fc, onEvidence) {
  const items = fc.features || [];
  if (!items.length) return replace(el, empty('No incidents reported.'));
  replace(el,
    h('p', { class: 'totals' }, h('strong', null, 'Totals (sum of minimums..sum of maximums): '),
      CASUALTY_FIELDS.map(([k, label]) => `${label} ${fmtRange(fc.totals?.[k])}`).join(' · ')),
    items.map((f) => {
      const p = f.properties;
      const g = p.grade;
      return h('article', { class: 'incident', dataset: { ref: f.id } },
        h('h3', null, humanize(p.kind)),
        h('p', { class: 'meta' }, h('code', null, f.id), ` · reported by ${p.reporter} · ${fmtWindow(p.window)} · ±${fmtNumber(p.precision_m)} m`),
        h('p', null, 'Alleged perpetrator: ', p.alleged_perpetrator || p.perpetrator_text || 'unknown'),
        h('p', { class: 'grades' },
          'Occurrence: ', badge(g?.occurrence || 'not_assessed', `grade-${g?.occurrence || 'none'}`),
          ' Attribution: ', badge(g?.attribution || 'not_assessed', 'attribution'),
          g?.attributed_to?.length ? ` to ${g.attributed_to.join(', ')}` : '',
          g ? ` (by ${g.by}, ${p.assessments} assessment${p.assessments === 1 ? '' : 's'})` : ''),
        g?.rationale ? h('p', { class: 'reason' }, g.rationale) : null,
        casualtyList(p.casualties),
        (p.sources || []).length ? h('p', { class: 'meta' }, 'Sources: ', p.sources.map((s) => s.outlet).join('; ')) : null,
        h('div', { class: 'actions' }, h('button', { type: 'button', onclick: (e) => onEvidence(f.id, e.currentTarget) }, 'Show notification evidence')),
        h('div', { class: 'evidence-slot' }));
    }));
}

export function renderEvidence(ev) {
  const ack = (list) => (list || []).map((a) => `${a.party} (entry ${a.index})`).join(', ') || 'nobody';
  const rows = [
    ...(ev.notified_sites || []).map((s) => ['site', s.site, s]),
    ...(ev.notified_movements || []).map((m) => ['movement', m.movement, m]),
  ];
  if (!rows.length) return empty('No notified site or movement was within reach.');
  return table('Notifications within reach', ['Object', 'Notified', 'Distance', 'Acknowledged by'], rows.map(([kind, ref, x]) =>
    h('tr', null, h('th', { scope: 'row' }, `${kind} ${ref}`),
      h('td', null, `entry ${x.entry}, ${x.relative_to_incident} the incident (${fmtTime(x.sequenced_at)})`),
      h('td', null, `${fmtNumber(Math.round(x.distance_m))} m`), h('td', null, ack(x.acknowledged_by)))));
}

// ---- agreements ----

const GRADES = ['confirmed', 'likely', 'possible', 'unverified', 'discounted', 'ungraded'];

export function renderAgreements(el, agreements, violations) {
  if (!agreements.length) return replace(el, empty('No agreements at this time.'));
  replace(el, agreements.map((f) => {
    const p = f.properties;
    const v = violations.get(f.id);
    let tally;
    if (v instanceof Error) tally = h('p', { class: 'error' }, `Violations could not be loaded: ${v.message}`);
    else if (v) {
      const by = v.by_alleged_perpetrator || {};
      const grades = GRADES.filter((g) => Object.values(by).some((row) => row[g]));
      tally = [
        Object.keys(by).length
          ? table('Violations by alleged perpetrator and occurrence grade', ['Alleged perpetrator', ...grades.map(humanize), 'Total'],
            Object.entries(by).map(([who, row]) => h('tr', { dataset: { perpetrator: who } }, h('th', { scope: 'row' }, who),
              grades.map((g) => h('td', null, row[g] || 0)),
              h('td', null, Object.values(row).reduce((a, b) => a + b, 0)))), { class: 'tally' })
          : empty('No incidents inside this agreement’s area and window.'),
        Object.keys(v.by_reporting_party || {}).length
          ? table('By reporting party', ['Reported by', 'Incidents', 'Killed', 'Injured'],
            Object.entries(v.by_reporting_party).map(([who, r]) => h('tr', null, h('th', { scope: 'row' }, who),
              h('td', null, r.incidents), h('td', null, fmtRange(r.casualties?.killed)), h('td', null, fmtRange(r.casualties?.injured)))))
          : null,
      ];
    } else tally = empty('Loading violations…');
    return h('article', { class: 'agreement', dataset: { ref: f.id } },
      h('h3', null, p.name),
      h('p', { class: 'meta' }, h('code', null, f.id), ` · ${humanize(p.agreement_kind)} · ${fmtWindow(p.window)}`),
      h('p', null, 'Parties: ', (p.parties || []).map((x) => `${x}${p.acceded?.[x] ? ` (acceded, entry ${p.acceded[x].index})` : ' (not acceded)'}`).join(', ')),
      (p.terms || []).length ? h('ul', { class: 'terms' }, p.terms.map((t) => h('li', null, t))) : null,
      (p.corridors || []).length ? h('p', null, 'Corridors: ', p.corridors.map((c) => `${c.name} (±${fmtNumber(c.corridor_m)} m, ${fmtWindow(c.window)})`).join('; ')) : null,
      tally);
  }));
}

// ---- custody ----

export function renderCustody(el, consignments) {
  if (!consignments.length) return replace(el, empty('No consignments referenced.'));
  replace(el, consignments.map(({ id, data, error }) => {
    if (error) return h('article', { class: 'consignment', dataset: { consignment: id } }, h('h3', null, id), h('p', { class: 'error' }, error));
    if (!data) {
      return h('article', { class: 'consignment', dataset: { consignment: id, awaiting: 'true' } },
        h('h3', null, `Consignment ${id}`, ' ', badge('no_hand_off_yet', 'waiting')),
        empty('A movement carries it; no custody hand-off names it yet.'));
    }
    return h('article', { class: 'consignment', dataset: { consignment: id, flagged: String(data.flagged) } },
      h('h3', null, `Consignment ${id}`, ' ', data.flagged ? badge('flagged', 'flagged') : badge('reconciled', 'ok')),
      h('p', { class: 'meta' }, `Tolerance ${fmtNumber(data.tolerance * 100)}% · ${plural(data.hand_offs?.length || 0, 'hand-off')}`),
      table('Reconciliation per item', ['Item', 'Dispatched', 'Received at hand-offs', 'Distributed', 'In stock', 'Reported lost', 'Unaccounted'],
        (data.items || []).map((it) => h('tr', { class: it.flagged ? 'flagged' : '', dataset: { item: it.item } },
          h('th', { scope: 'row' }, `${it.item} (${it.unit})`, it.flagged ? ' ⚑' : ''),
          h('td', null, fmtNumber(it.dispatched)),
          h('td', null, (it.received || []).map(([from, to, q, idx]) => `${from} → ${to}: ${fmtNumber(q)} (entry ${idx})`).join('; ') || '—'),
          h('td', null, fmtNumber(it.distributed)), h('td', null, fmtNumber(it.in_stock)),
          h('td', null, fmtNumber(it.reported_lost)), h('td', null, fmtNumber(it.unaccounted))))));
  }));
}

// ---- claims ----

function links(title, list) {
  if (!list?.length) return null;
  return h('div', { class: 'links' }, h('h4', null, `${title} (${list.length})`),
    h('ul', null, list.map((l) => h('li', null, h('code', null, String(l.evidence)), l.note ? ` — ${l.note}` : '', ` (linked by ${l.by}, entry ${l.at?.index})`))));
}

export function renderClaims(el, claims) {
  if (!claims.length) return replace(el, empty('No claims recorded.'));
  replace(el, claims.map(({ ref, data, error }) => {
    if (error) return h('article', { class: 'claim', dataset: { ref } }, h('h3', null, ref), h('p', { class: 'error' }, error));
    const c = data.claim;
    const r = c.record;
    return h('article', { class: 'claim', dataset: { ref } },
      h('h3', null, `${r.speaker}`, r.affiliation ? ` (${r.affiliation})` : ''),
      h('p', { class: 'meta' }, badge(r.stance, `stance-${r.stance}`), ` ${r.outlet} · ${fmtTime(r.published)} · recorded by ${c.recorder} (entry ${c.recorded?.index})`),
      h('blockquote', null, r.text),
      r.source_sha256 ? h('p', { class: 'meta source-sha256' }, 'Drafted from the text with SHA-256 ', h('code', null, r.source_sha256)) : null,
      (r.figures || []).length ? h('p', null, 'Figures: ', r.figures.map((f) => `${f.what}: ${fmtRange(f)}${f.unit ? ` ${f.unit}` : ''}`).join('; ')) : null,
      (r.subjects || []).length ? h('p', null, 'About: ', r.subjects.join(', ')) : null,
      links('Evidence that supports it', data.supports), links('Evidence that contradicts it', data.contradicts), links('Context', data.context),
      !(data.supports?.length || data.contradicts?.length || data.context?.length) ? empty('No evidence linked yet.') : null);
  }));
}

// ---- log status ----

function logVerdict(log, check) {
  const p = (kind, text) => h('p', { class: `verdict ${kind}`, dataset: { verdict: kind } }, text);
  if (!check) return p('pending', 'Verifying in this browser…');
  if (check.awaiting) {
    return p('awaiting', `Awaiting cosignatures: ${check.awaiting} (quorum ${log.witnesses?.quorum}), so there is no checkpoint to verify.`);
  }
  if (check.error) return p('failed', `Verification FAILED: ${check.error}`);
  const tiles = `root hash recomputed from ${plural(check.tiles, 'tile')} (size ${fmtNumber(check.size)})`;
  if (!check.cosign) return p('verified', `Verified in this browser: checkpoint signature by the log key, and ${tiles}.`);
  const q = check.cosign.quorum;
  return p('verified', `Verified in this browser: checkpoint signature by the log key, ${tiles}, and ${plural(check.cosign.valid, 'valid witness cosignature')}, `
    + `meeting the quorum ${q.exact ? q.description : `of all ${fmtNumber(q.threshold)} listed witnesses`}.`);
}

const COSIGNATURE_STATES = { verified: 'ok', missing: 'waiting', invalid: 'flagged' };

/** One row per witness the log sends its checkpoints to: what this page found, and what the log says the witness last did. */
function witnessTable(log, check) {
  const found = new Map((check?.cosign?.witnesses || []).map((w) => [w.name, w]));
  const unchecked = !check ? 'checking' : 'not checked';
  return table('Witnesses (times UTC; cosigned size and age are of each witness’s latest cosignature)',
    ['Witness', 'Cosignature here', 'Signed at', 'Cosigned size', 'Age', 'Last error'],
    (log.witnesses.witnesses || []).map((w) => {
      const f = found.get(w.name);
      const status = f ? f.status : unchecked;
      return h('tr', { dataset: { witness: w.name, cosignature: status } },
        h('th', { scope: 'row', title: w.vkey }, w.name),
        h('td', null, badge(status, COSIGNATURE_STATES[status]), f?.reason ? h('p', { class: 'reason' }, f.reason) : null),
        h('td', { class: 'time' }, f?.timestamp !== undefined ? fmtTime(new Date(f.timestamp * 1000), { seconds: true, zone: false }) : '—'),
        h('td', null, fmtNumber(w.cosigned_size)),
        h('td', { class: 'time' }, typeof w.age_s === 'number' ? fmtDuration(Math.round(w.age_s)) : '—'),
        h('td', null, w.last_error ? h('span', { class: 'error' }, w.last_error) : 'none'));
    }), { class: 'witnesses' });
}

function witnessSection(log, check) {
  if (!log.witnesses) return null;
  const q = check?.cosign?.quorum;
  return h('section', { id: 'log-cosignatures', 'aria-labelledby': 'log-cosignatures-title' },
    h('h4', { id: 'log-cosignatures-title' }, 'Witness cosignatures'),
    h('p', null, 'Each cosignature is an independent witness’s signed statement that it checked this checkpoint extends every checkpoint of this log it saw before, '
      + 'so the operator cannot show two different histories without the witnesses noticing; its timestamp shows that the entries the checkpoint covers existed by then.'),
    q && !q.exact
      ? h('p', { class: 'meta' }, `This page cannot read the quorum “${q.description}” as a simple list, so it requires every listed witness.`)
      : null,
    witnessTable(log, check));
}

export function renderLog(el, log, check) {
  const witnessed = !check || check.error || check.awaiting ? null : h('p', { id: 'log-witness', dataset: { since: check.since ?? '' } },
    check.since === null
      ? 'First checkpoint this browser has seen from this log key; later ones will be held to it with consistency proofs.'
      : `Consistent with the checkpoint this browser verified before (size ${fmtNumber(check.since)}): nothing it saw has been rewritten.`,
    check.remembered ? null : ' (This browser cannot store checkpoints, so it will not remember this one.)');
  const cosigned = log.witnesses ? [
    h('dt', null, 'Cosigned size'),
    h('dd', { id: 'log-cosigned-size' }, log.cosigned_size === null || log.cosigned_size === undefined
      ? `none yet (log size ${fmtNumber(log.size)})`
      : `${fmtNumber(log.cosigned_size)} of ${fmtNumber(log.size)} entries`
        + (log.cosigned_size < log.size ? ' (the witnesses have not yet cosigned the newest entries)' : '')),
    h('dt', null, 'Witness quorum'), h('dd', { id: 'log-quorum' }, log.witnesses.quorum),
  ] : null;
  replace(el,
    h('dl', { class: 'log-facts' },
      h('dt', null, 'Origin'), h('dd', null, log.origin),
      h('dt', null, 'Size'), h('dd', { id: 'log-size' }, fmtNumber(log.size)),
      h('dt', null, 'Root hash'), h('dd', null, h('code', { id: 'log-root' }, log.root_hash)),
      h('dt', null, 'Log verifier key'), h('dd', null, h('code', null, log.vkey)),
      cosigned),
    logVerdict(log, check),
    witnessed,
    witnessSection(log, check),
    h('h4', null, log.witnesses ? 'Checkpoint (the freshest the log signed)' : 'Checkpoint'), h('pre', { class: 'note' }, log.checkpoint),
    log.witnesses && log.cosigned_checkpoint
      ? [h('h4', null, 'Cosigned checkpoint (the one this page verifies)'), h('pre', { class: 'note', id: 'log-cosigned' }, log.cosigned_checkpoint)]
      : null);
}
