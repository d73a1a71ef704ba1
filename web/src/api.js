// Talking to the corridor server (same origin only): JSON reads, paging of
// collections, statement submission, report text for intake, and server-sent
// events. Every failure becomes an ApiError carrying the problem+json `detail`
// and `code`, so the page shows what the server said and never a stack trace.

export class ApiError extends Error {
  constructor(status, code, detail) {
    super(detail);
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

/** "detail (code)" for any error, for people to read. */
export function describeError(err) {
  if (err instanceof ApiError) return { detail: err.detail, code: err.code };
  return { detail: err?.message || String(err), code: err?.code || 'client_error' };
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

async function request(path, init) {
  let res;
  try {
    res = await fetch(path, { cache: 'no-store', ...init });
  } catch {
    throw new ApiError(0, 'network', 'The server could not be reached.');
  }
  if (res.ok) return res;
  const type = res.headers.get('content-type') || '';
  if (type.includes('json')) {
    const p = await res.json().catch(() => null);
    if (p && typeof p.detail === 'string') throw new ApiError(res.status, p.code || `http_${res.status}`, p.detail);
  }
  throw new ApiError(res.status, `http_${res.status}`, `The server answered ${res.status} ${res.statusText}`.trim());
}

export const refPath = (ref) => ref.split('/').map(encodeURIComponent).join('/');

export async function getJson(path, params) {
  return (await request(`${path}${query(params)}`, { headers: { accept: 'application/json' } })).json();
}

export async function getBytes(path) {
  return new Uint8Array(await (await request(path)).arrayBuffer());
}

/**
 * A collection, following `next_after` for at most `maxPages` pages of `pageSize`:
 * a page must stay responsive however large the record grows, so beyond that
 * the result says `truncated: true` instead of loading everything.
 */
export async function getAll(path, params, listKey = 'features', maxPages = 10, pageSize = 1000) {
  const items = [];
  let after;
  let extra = {};
  for (let pages = 0; pages < maxPages; pages++) {
    const page = await getJson(path, { ...params, limit: pageSize, after });
    items.push(...(page[listKey] || []));
    extra = page;
    if (page.next_after === null || page.next_after === undefined) return { ...extra, [listKey]: items, truncated: false };
    after = page.next_after;
  }
  return { ...extra, [listKey]: items, truncated: true };
}

/** POSTs a DSSE envelope; resolves to { status, receipt } (201 new, 200 resubmission). */
export async function submitEnvelope(envelope) {
  const res = await request('/v1/statements', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(envelope),
  });
  return { status: res.status, receipt: await res.json() };
}

/**
 * POSTs plain text (sent as UTF-8) and reads the JSON answer: how the Intake
 * panel asks the server to draft statements from a report's text.
 */
export async function postText(path, params, text) {
  const res = await request(`${path}${query(params)}`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain; charset=utf-8', accept: 'application/json' },
    body: text,
  });
  return res.json();
}

/**
 * Subscribes to /v1/events; `onEvent(name, data)` for `entry`, `conflict`
 * and `clearance`. EventSource reconnects by itself; `onState` hears whether
 * the stream is open. Returns a function that closes the stream.
 */
export function subscribe(party, onEvent, onState = () => {}) {
  const es = new EventSource(`/v1/events${query({ party })}`);
  for (const name of ['entry', 'conflict', 'clearance']) {
    es.addEventListener(name, (e) => {
      let data = null;
      try {
        data = JSON.parse(e.data);
      } catch {
        data = null;
      }
      onEvent(name, data);
    });
  }
  es.onopen = () => onState(true);
  es.onerror = () => onState(es.readyState === EventSource.OPEN);
  return () => es.close();
}
