// A tiny element builder and the formatting every view shares (times,
// durations, casualty ranges). Elements are built as DOM nodes, never from
// HTML strings, so text that came from the log cannot inject markup.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

export const byId = (id) => document.getElementById(id);

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** "2026-11-23 07:18 UTC" (with seconds: "07:18:05"): unambiguous for parties in different time zones. */
export function fmtTime(iso, { zone = true, seconds = false } = {}) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.toISOString().slice(0, seconds ? 19 : 16).replace('T', ' ')}${zone ? ' UTC' : ''}`;
}

export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  if (d) return `${d}d ${hh}h ${mm}m`;
  if (hh) return `${hh}h ${mm}m`;
  if (mm) return `${mm}m ${ss}s`;
  return `${ss}s`;
}

/** A casualty range as "min..max", with "?" for an unknown end. */
export function fmtRange(r) {
  if (!r) return '—';
  const lo = r.min ?? '?';
  const hi = r.max ?? '?';
  return lo === hi ? String(lo) : `${lo}..${hi}`;
}

export const fmtWindow = (w) => (w ? `${fmtTime(w.from)} → ${w.to ? fmtTime(w.to) : 'open'}` : '—');

export const fmtNumber = (n) => (typeof n === 'number' ? n.toLocaleString('en') : '—');

export const humanize = (s) => String(s ?? '—').replace(/_/g, ' ');
