// The movement lifecycle in the console, driven in a real browser (Debian's
// chromium through playwright-core) against the real corridor binary and its
// demo scenario: a requester files a movement from the map or between two
// sites, previews who must clear it, signs it; each approver clears it from
// its own board; the requester amends, cancels or reports progress. Every
// outcome is checked against the server's API; every wait is on a condition.
//
//   node build.mjs --out /tmp/dist && CORRIDOR_CONSOLE_DIR=/tmp/dist node --test tests/movement.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parsePrivateKey, newStatement, signStatement } from '../src/crypto.js';
import { WAIT, startDemo, launchBrowser, openPage as openPageOn, signIn as signInWith } from './harness.mjs';

const REQUESTER = 'relief-consortium';
const ORIGIN_SITE = 'relief-consortium/site-dumayr-bakery';
const DESTINATION_SITE = 'relief-consortium/site-rukban-distribution';
const DAY = 86400000;
// The browser's own report of a refused request: expected where the server refuses on purpose.
const REFUSED_LOAD = /Failed to load resource: the server responded with a status of 4\d\d/;

let demo;
let browser;

before(async () => {
  demo = await startDemo();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

const api = (p, init) => demo.api(p, init);
const movement = async (ref) => (await api(`/v1/movements/${ref}`)).body;
const logSize = async () => (await api('/v1/log')).body.size;
const postJson = (p, text) => api(p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });

async function browse(party, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport });
  const { page, problems } = await openPageOn(context, demo.base);
  if (party) await signInWith(page, demo.keyPath(party), party);
  return { context, page, problems };
}

/** Signs a statement as `party` outside the browser, as that party's own tooling would. */
async function file(party, type, body) {
  const key = parsePrivateKey(await readFile(demo.keyPath(party), 'utf8'));
  const r = await postJson('/v1/statements', JSON.stringify(signStatement(newStatement(type, party, body), key)));
  assert.equal(r.status, 201, `${type} by ${party}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/** A datetime-local value `offset` ms from now, in the page's time zone. */
const localAt = (page, offset) => page.evaluate((off) => {
  const d = new Date(Date.now() + off);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}, offset);

/** Clicks `button` and waits for the receipt (or the refusal) it brings; answers { ref, index }. */
async function signAndWait(page, button) {
  const before = await page.evaluate(() => document.querySelector('#activity .receipt')?.dataset.index ?? null);
  await page.evaluate(() => document.querySelector('#problem button')?.click());
  await button.click();
  const outcome = await page.waitForFunction((b) => {
    const r = document.querySelector('#activity .receipt');
    if (r && r.dataset.index !== b) return 'receipt';
    return document.getElementById('problem')?.classList.contains('shown') ? 'problem' : false;
  }, before, WAIT);
  if (await outcome.jsonValue() === 'problem') assert.fail(`refused: ${await page.locator('#problem').textContent()}`);
  const receipt = page.locator('#activity .receipt').first();
  return { ref: await receipt.getAttribute('data-ref'), index: Number(await receipt.getAttribute('data-index')) };
}

// Approvers as "party: reason reason", the page's (data attributes) and the API's alike.
const reasonToken = (r) => (r.kind === 'zone' ? `zone:${r.zone}` : r.kind);
const apiApprovers = (list) => list.map((a) => `${a.party}: ${a.reasons.map(reasonToken).sort().join(' ')}`).sort();
const shownApprovers = (form) => form.locator('.preview .preview-approvers li').evaluateAll((els) =>
  els.map((e) => `${e.dataset.party}: ${e.dataset.reasons.split(' ').sort().join(' ')}`).sort());

/** Waits until the form's preview answers for what the form holds now. */
async function previewed(form, state = 'ok') {
  await form.locator(`.preview[data-state="${state}"]`).waitFor(WAIT);
}

/** Runs the request form's route between the two demo sites. */
async function routeBetweenSites(page, form) {
  await form.getByLabel('Straight between two notified sites').check();
  await page.waitForFunction((ids) => ids.every((id) => document.querySelector(`#form-movement select[name="origin_site"] option[value="${id}"]`)),
    [ORIGIN_SITE, DESTINATION_SITE], WAIT);
  await form.getByLabel('Origin site').selectOption(ORIGIN_SITE);
  await form.getByLabel('Destination site').selectOption(DESTINATION_SITE);
}

async function mapClicker(page) {
  const box = await page.locator('#map').boundingBox();
  return (fx, fy) => page.mouse.click(box.x + box.width * fx, box.y + box.height * fy);
}

const board = (page, ref) => page.locator(`#board-body article[data-ref="${ref}"]`);

test('a convoy between two sites is previewed, cleared by each approver from its board, and driven to arrival', { timeout: 180000 }, async () => {
  const sites = Object.fromEntries((await api('/v1/sites')).body.features.map((f) => [f.id, f]));
  const r = await browse(REQUESTER);
  await r.page.evaluate(() => { window.notReloaded = true; });
  await r.page.click('#tab-file');
  const form = r.page.locator('#form-movement');
  await routeBetweenSites(r.page, form);
  // Place names default to the sites' names.
  assert.equal(await form.getByLabel('Origin (place name)').inputValue(), sites[ORIGIN_SITE].properties.name);
  assert.equal(await form.getByLabel('Destination (place name)').inputValue(), sites[DESTINATION_SITE].properties.name);
  await form.getByLabel('Purpose').selectOption('aid_delivery');
  const from = await localAt(r.page, 0);
  const until = await localAt(r.page, 4 * DAY);
  await form.getByLabel('Window from').fill(from);
  await form.getByLabel('Window until').fill(until);
  await form.getByLabel('Corridor half-width (metres)').fill('750');
  await form.getByLabel('Vehicles').fill('12');
  await form.getByLabel('People', { exact: true }).fill('30');
  await form.getByLabel('monitoring-mission', { exact: true }).check();
  await form.getByRole('button', { name: 'Add manifest line' }).click();
  const line = form.locator('.manifest-row').first();
  await line.getByLabel('Item').fill('water');
  await line.getByLabel('Unit').fill('litre');
  await line.getByLabel('Quantity').fill('20000');
  await line.getByLabel('Weight (kg, optional)').fill('20000');
  await form.getByRole('button', { name: 'Add manifest line' }).click();
  await form.locator('.manifest-row').nth(1).getByLabel('Item').fill('to be removed');
  await form.locator('.manifest-row').nth(1).getByRole('button', { name: 'Remove line' }).click();
  assert.equal(await form.locator('.manifest-row').count(), 1);

  await previewed(form);
  const preview = await shownApprovers(form);
  const previewConflicts = (await form.locator('.preview .preview-conflicts li').evaluateAll((els) => els.map((e) => e.dataset.operation))).sort();
  assert.ok(preview.length >= 2, `approvers previewed: ${preview}`);
  assert.ok(previewConflicts.length >= 1, 'the window reaches into the patrol area at the destination');

  const { ref } = await signAndWait(r.page, form.getByRole('button', { name: 'Sign and request movement' }));
  assert.match(ref, new RegExp(`^${REQUESTER}/`));
  const filed = await movement(ref);
  assert.deepEqual(apiApprovers(filed.required_approvers), preview, 'the preview named the approvers the log asks');
  assert.ok(filed.required_approvers.find((a) => a.party === 'monitoring-mission').reasons.some((x) => x.kind === 'escort'));
  const conflicts = (await api(`/v1/conflicts?party=${REQUESTER}&limit=1000`)).body.conflicts
    .filter((c) => c.with.kind === 'movement' && c.with.movement === ref).map((c) => c.operation).sort();
  assert.deepEqual(conflicts, previewConflicts, 'the preview named the conflicts the log found');
  assert.deepEqual([filed.origin_site, filed.destination_site], [ORIGIN_SITE, DESTINATION_SITE]);
  assert.deepEqual([filed.origin, filed.destination], [sites[ORIGIN_SITE].properties.name, sites[DESTINATION_SITE].properties.name]);
  assert.deepEqual(filed.route.coordinates, [sites[ORIGIN_SITE].geometry.coordinates, sites[DESTINATION_SITE].geometry.coordinates]);
  assert.deepEqual([filed.corridor_m, filed.vehicles, filed.people, filed.escort_from], [750, 12, 30, ['monitoring-mission']]);
  assert.deepEqual(filed.manifest, [{ item: 'water', unit: 'litre', quantity: 20000, weight_kg: 20000 }]);
  assert.equal(Date.parse(filed.window.from), await r.page.evaluate((v) => Date.parse(new Date(v).toISOString()), from));
  assert.equal(filed.status, 'pending');

  // Each approver signs in in its own browser and approves from its board.
  for (const { party } of filed.required_approvers) {
    const a = await browse(party);
    const card = board(a.page, ref);
    await card.locator(`tr[data-party="${party}"][data-state="waiting"]`).waitFor(WAIT);
    await card.locator('button.respond').click();
    await card.getByLabel('Approve', { exact: true }).check();
    await signAndWait(a.page, card.getByRole('button', { name: 'Sign and submit response' }));
    assert.equal((await movement(ref)).required_approvers.find((x) => x.party === party).response?.decision, 'approve');
    assert.deepEqual(a.problems, [], party);
    await a.context.close();
  }
  assert.equal((await movement(ref)).status, 'cleared');
  await r.page.click('#tab-board');
  await r.page.locator(`#board-body article[data-ref="${ref}"][data-status="cleared"]`).waitFor(WAIT);
  assert.equal(await r.page.evaluate(() => window.notReloaded), true, 'the requester saw it cleared without reloading');

  // The requester reports progress from the board; the API follows each step.
  const click = await mapClicker(r.page);
  const steps = [['departed', 'underway'], ['position', 'underway'], ['checkpoint', 'underway'], ['arrived', 'arrived']];
  for (const [update, status] of steps) {
    const card = board(r.page, ref);
    await card.locator('button.mv-update').click();
    const uform = card.locator('form[id^="form-update-"]');
    await uform.getByLabel('Status').selectOption(update);
    let picked = null;
    if (update === 'position') {
      await uform.getByRole('button', { name: 'Pick on map' }).click();
      await click(0.55, 0.5);
      await r.page.waitForFunction(() => (document.querySelector('form[id^="form-update-"] input[name$="-lon"]')?.value ?? '') !== '', null, WAIT);
      picked = [Number(await uform.getByLabel('Longitude (°E)').inputValue()), Number(await uform.getByLabel('Latitude (°N)').inputValue())];
    }
    if (update === 'checkpoint') await uform.getByLabel('Note (optional)').fill('Dumayr checkpoint passed');
    await signAndWait(r.page, uform.getByRole('button', { name: 'Sign and post update' }));
    const now = await movement(ref);
    assert.deepEqual([now.progress?.status, now.status], [update, status], `after ${update}`);
    if (picked) assert.deepEqual(now.last_position?.coordinates, picked, 'the position is the point clicked on the map');
    await r.page.locator(`#board-body article[data-ref="${ref}"][data-status="${status}"] .progress[data-progress="${update}"]`).waitFor(WAIT);
  }
  assert.equal(await board(r.page, ref).locator('button.mv-update').count(), 0, 'an arrived movement takes no more updates');

  const receipt = r.page.locator('#activity .receipt').first();
  await receipt.getByRole('button', { name: 'Verify receipt' }).click();
  await receipt.locator('output.verdict[data-verdict="verified"]').waitFor(WAIT);
  assert.deepEqual(r.problems, []);
  await r.context.close();
});

test('a drawn route is amended (responses reset) and then cancelled, from the board', { timeout: 180000 }, async () => {
  const r = await browse(REQUESTER);
  await r.page.click('#tab-file');
  const form = r.page.locator('#form-movement');
  assert.equal(await form.getByLabel('Draw it on the map').isChecked(), true, 'a route is drawn unless sites are chosen');
  await form.getByRole('button', { name: 'Draw on map' }).click();
  const click = await mapClicker(r.page);
  for (const [fx, fy] of [[0.35, 0.45], [0.5, 0.5], [0.62, 0.55]]) await click(fx, fy);
  await r.page.waitForFunction(() => document.querySelector('#form-movement textarea[name="route"]').value.trim().split('\n').length === 3, null, WAIT);
  assert.ok(await r.page.locator('.leaflet-draft-pane path').count() >= 1, 'the drawn route is shown');
  await form.getByRole('button', { name: 'Draw on map' }).click();
  await form.getByLabel('Origin (place name)').fill('Console test origin');
  await form.getByLabel('Destination (place name)').fill('Console test destination');
  await form.getByLabel('Purpose').selectOption('assessment');
  await form.getByLabel('central-authority', { exact: true }).check();
  await previewed(form);
  const preview = await shownApprovers(form);
  const drawn = (await form.getByLabel(/^Route points/).inputValue()).trim().split('\n').map((l) => l.split(' ').map(Number));

  const { ref } = await signAndWait(r.page, form.getByRole('button', { name: 'Sign and request movement' }));
  const filed = await movement(ref);
  assert.deepEqual(filed.route.coordinates, drawn, 'the route is the points clicked on the map');
  assert.deepEqual(apiApprovers(filed.required_approvers), preview);
  assert.deepEqual([filed.origin_site, filed.destination_site], [null, null]);

  // Every approver approves (with its own key, outside this browser).
  for (const { party } of filed.required_approvers) await file(party, 'movement.respond', { movement: ref, decision: 'approve' });
  assert.equal((await movement(ref)).status, 'cleared');
  await r.page.click('#tab-board');
  const card = () => board(r.page, ref);
  await r.page.locator(`#board-body article[data-ref="${ref}"][data-status="cleared"]`).waitFor(WAIT);

  // Amend: the form is prefilled from the record and previews the amendment.
  await card().locator('button.mv-amend').click();
  const aform = card().locator('form[id^="form-amend-"]');
  await aform.waitFor(WAIT);
  assert.equal(Number(await aform.getByLabel('Corridor half-width (metres)').inputValue()), filed.corridor_m);
  assert.equal(await aform.getByLabel('Origin (place name)').inputValue(), filed.origin);
  assert.equal(await aform.getByLabel('Purpose').inputValue(), filed.purpose);
  assert.deepEqual((await aform.getByLabel(/^Route points/).inputValue()).trim().split('\n').map((l) => l.split(' ').map(Number)), filed.route.coordinates);
  await previewed(aform, 'incomplete');
  await aform.getByLabel('Corridor half-width (metres)').fill('900');
  await aform.getByLabel('central-authority', { exact: true }).uncheck();
  await aform.getByLabel('monitoring-mission', { exact: true }).check();

  // The open form survives a board refresh brought by someone else's entry.
  const other = (await api('/v1/movements')).body.features.flatMap((m) => m.properties.required_approvers
    .filter((a) => !a.acknowledged_at && m.id !== ref).map((a) => [m.id, a.party]))[0];
  assert.ok(other, 'some approver has yet to acknowledge some movement');
  await aform.evaluate((el) => { el.dataset.marked = 'yes'; });
  await file(other[1], 'acknowledge', { refs: [other[0]] });
  await r.page.waitForFunction(([m, p]) => {
    const cell = document.querySelector(`#board-body article[data-ref="${m}"] tr[data-party="${p}"] td[data-label="Acknowledged"]`);
    return cell && cell.textContent !== 'not yet';
  }, other, WAIT);
  assert.equal(await aform.getAttribute('data-marked'), 'yes', 'the same form is still open');
  assert.equal(await aform.getByLabel('Corridor half-width (metres)').inputValue(), '900');

  await previewed(aform);
  const amendPreview = await shownApprovers(aform);
  const amended = await signAndWait(r.page, aform.getByRole('button', { name: 'Sign and amend movement' }));
  const after = await movement(ref);
  assert.equal(after.amendments, 1);
  assert.deepEqual([after.corridor_m, after.escort_from], [900, ['monitoring-mission']]);
  assert.deepEqual(after.required_approvers.map((a) => a.response), after.required_approvers.map(() => null), 'an amendment resets every response');
  assert.deepEqual(apiApprovers(after.required_approvers), amendPreview);
  assert.equal(after.status, 'pending');
  // What was signed: movement.amend naming the movement and only the fields that changed.
  const entry = (await api(`/v1/entries/${amended.index}`)).body;
  const envelope = JSON.parse(Buffer.from(entry.entry, 'base64').toString('utf8')).envelope;
  const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));
  assert.equal(statement.type, 'movement.amend');
  assert.deepEqual(Object.keys(statement.body).sort(), ['corridor_m', 'escort_from', 'movement']);
  assert.equal(statement.body.movement, ref);
  await r.page.locator(`#board-body article[data-ref="${ref}"][data-status="pending"]`).waitFor(WAIT);
  assert.equal(await card().locator('tr[data-state="approve"]').count(), 0, 'the board shows no earlier approval');

  // Cancel, with a reason.
  await card().locator('button.mv-cancel').click();
  const cform = card().locator('form[id^="form-cancel-"]');
  await cform.getByLabel('Reason').fill('Road closed by flooding');
  await signAndWait(r.page, cform.getByRole('button', { name: 'Sign and cancel movement' }));
  const cancelled = await movement(ref);
  assert.equal(cancelled.status, 'cancelled');
  assert.equal(cancelled.cancelled?.reason, 'Road closed by flooding');
  await r.page.locator(`#board-body article[data-ref="${ref}"][data-status="${cancelled.status}"]`).waitFor(WAIT);
  assert.match(await card().locator('.progress').textContent(), /Road closed by flooding/);
  assert.equal(await card().locator('.movement-own').count(), 0, 'a cancelled movement offers no more actions');
  assert.deepEqual(r.problems, []);
  await r.context.close();
});

test('bad input: the preview and the signing show the server’s refusal, and nothing is logged', { timeout: 180000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  // This page's party list names a party the log has never registered.
  await context.route('**/v1/parties', async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    body.parties.push({ id: 'ghost-escort', name: 'Not in the log', kind: 'agency', keys: [] });
    await route.fulfill({ response: res, json: body });
  });
  const { page, problems } = await openPageOn(context, demo.base);
  await signInWith(page, demo.keyPath(REQUESTER), REQUESTER);
  const sent = { preview: null, statement: null };
  page.on('request', (req) => {
    if (req.method() !== 'POST') return;
    if (req.url().endsWith('/v1/movements/preview')) sent.preview = req.postData();
    if (req.url().endsWith('/v1/statements')) sent.statement = req.postData();
  });
  await page.click('#tab-file');
  const form = page.locator('#form-movement');
  await routeBetweenSites(page, form);
  await previewed(form);
  const size = await logSize();

  const cases = [
    ['a window that ends before it starts', /window/,
      async () => form.getByLabel('Window until').fill(await localAt(page, -DAY)),
      async () => form.getByLabel('Window until').fill(await localAt(page, DAY))],
    ['a corridor wider than the Earth', /corridor_m/,
      () => form.getByLabel('Corridor half-width (metres)').fill('30000000'),
      () => form.getByLabel('Corridor half-width (metres)').fill('500')],
    ['an escort from a party the log does not know', /ghost-escort/,
      () => form.getByLabel('ghost-escort', { exact: true }).check(),
      () => form.getByLabel('ghost-escort', { exact: true }).uncheck()],
  ];
  for (const [what, about, spoil, mend] of cases) {
    await spoil();
    await previewed(form, 'refused');
    const server = await postJson('/v1/movements/preview', sent.preview);
    assert.ok(server.status >= 400 && server.status < 500, `${what}: the server refuses the previewed body (${server.status})`);
    assert.equal(await form.locator('.preview .detail').textContent(), server.body.detail, what);
    assert.equal(await form.locator('.preview .code code').textContent(), server.body.code, what);
    assert.match(server.body.detail, about, what);

    // Signing it anyway: the page shows what the server says of that very envelope.
    await page.evaluate(() => document.querySelector('#problem button')?.click());
    await form.getByRole('button', { name: 'Sign and request movement' }).click();
    await page.waitForSelector('#problem.shown', WAIT);
    const refused = await postJson('/v1/statements', sent.statement);
    assert.ok(refused.status >= 400 && refused.status < 500, `${what}: the statement is refused (${refused.status})`);
    assert.equal(await page.locator('#problem .detail').textContent(), refused.body.detail, what);
    assert.equal(await page.locator('#problem .code code').textContent(), refused.body.code, what);
    assert.doesNotMatch(await page.locator('#problem').textContent(), /at \S+\.js|Error:/, 'no stack trace');
    assert.equal(await logSize(), size, `${what}: nothing was logged`);

    await mend();
    await previewed(form);
  }
  assert.deepEqual(problems.filter((p) => !REFUSED_LOAD.test(p)), []);
  await context.close();
});

test('the request form and its preview at 1280x800 and 390x844: screenshots, labels, no horizontal scroll', { timeout: 120000 }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'corridor-movement-screens-'));
  for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
    const { context, page, problems } = await browse(REQUESTER, viewport);
    await page.click('#tab-file');
    const form = page.locator('#form-movement');
    await routeBetweenSites(page, form);
    await form.getByLabel('southern-task-force', { exact: true }).check();
    await form.getByRole('button', { name: 'Add manifest line' }).click();
    await form.locator('.manifest-row').first().getByLabel('Item').fill('food parcels');
    await form.locator('.manifest-row').first().getByLabel('Unit').fill('parcel');
    await form.locator('.manifest-row').first().getByLabel('Quantity').fill('500');
    await form.getByLabel('Window until').fill(await localAt(page, 4 * DAY));
    await previewed(form);
    assert.ok(await form.locator('.preview .preview-approvers li').count() > 0);

    const unlabelled = await form.evaluate((el) => [...el.querySelectorAll('input, select, textarea')]
      .filter((c) => !c.labels?.length && !c.getAttribute('aria-label') && !c.getAttribute('aria-labelledby')).map((c) => c.outerHTML));
    assert.deepEqual(unlabelled, []);
    const file = path.join(dir, `movement-form-${viewport.width}x${viewport.height}.png`);
    // On a wide screen the panels scroll beside the map: the shot is the screen with the preview in view.
    if (viewport.width >= 800) {
      await form.locator('.preview').scrollIntoViewIfNeeded();
      await page.screenshot({ path: file });
    } else {
      await form.screenshot({ path: file });
    }
    console.log(`screenshot: ${file}`);
    const fit = await page.evaluate(() => {
      const f = document.getElementById('form-movement');
      return { doc: document.documentElement.scrollWidth, body: document.body.scrollWidth, inner: window.innerWidth, form: f.scrollWidth, formBox: f.clientWidth };
    });
    assert.ok(fit.doc <= fit.inner && fit.body <= fit.inner, `no horizontal scroll at ${viewport.width}: ${JSON.stringify(fit)}`);
    assert.ok(fit.form <= fit.formBox, `nothing overflows the form at ${viewport.width}: ${JSON.stringify(fit)}`);
    assert.deepEqual(problems, []);
    await context.close();
  }
});

test('a window that has already ended is called out in the preview', { timeout: 120000 }, async () => {
  const { context, page, problems } = await browse(REQUESTER);
  await page.click('#tab-file');
  const form = page.locator('#form-movement');
  await routeBetweenSites(page, form);
  await form.getByLabel('Window from').fill(await localAt(page, 4 * DAY));
  await form.getByLabel('Window until').fill(await localAt(page, 5 * DAY));
  await previewed(form);
  assert.equal(await form.locator('.preview .warning').count(), 0, 'no warning for a window to come');
  await form.getByLabel('Window from').fill(await localAt(page, -5 * DAY));
  await form.getByLabel('Window until').fill(await localAt(page, -4 * DAY));
  await form.locator('.preview .warning').waitFor(WAIT);
  assert.match(await form.locator('.preview .warning').textContent(), /ended before now/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a movement not yet cleared cannot be reported under way: the server says why', { timeout: 120000 }, async () => {
  const { context, page, problems } = await browse(REQUESTER);
  const pending = (await api('/v1/movements')).body.features
    .find((f) => f.properties.requester === REQUESTER && f.properties.status === 'pending');
  assert.ok(pending, 'the demo has a pending movement of the requester');
  const card = board(page, pending.id);
  await card.getByRole('button', { name: 'Post update' }).click();
  const size = await logSize();
  await card.getByLabel('Status').selectOption('departed');
  await card.getByRole('button', { name: /Sign and post update/ }).click();
  await page.waitForSelector('#problem.shown', WAIT);
  assert.match(await page.locator('#problem .code').textContent(), /not_cleared/);
  assert.equal(await logSize(), size, 'nothing was logged');
  assert.equal((await movement(pending.id)).status, 'pending');
  assert.deepEqual(problems.filter((p) => !REFUSED_LOAD.test(p)), []);
  await context.close();
});
