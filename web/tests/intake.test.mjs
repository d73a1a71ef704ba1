// The Intake panel in a real browser (Debian's chromium through
// playwright-core) against the real corridor binary running its demo: an
// analyst pastes a news report, the server drafts a claim and an incident,
// the page marks where each field came from, and the analyst edits, places
// the incident on the map, acknowledges the review and signs both drafts in
// the page. The records are then read back from the API and held to the
// SHA-256 of the pasted text, computed here.
//
//   CORRIDOR_BIN=/path/to/corridor CORRIDOR_CONSOLE_DIR=$PWD/dist node --test tests/intake.test.mjs
//
// (CORRIDOR_CONSOLE_DIR serves a fresh `node build.mjs` instead of the
// console embedded in the binary, which may predate this panel.)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { WAIT, startDemo, launchBrowser, openPage, signIn } from './harness.mjs';

const REPORT = 'An air strike hit a bakery in the village of Umm Jloud on Wednesday, killing at least nine people, '
  + 'including three children, rescuers said. The Syrian Observatory for Human Rights said the strike was carried out '
  + 'by either Russian or Syrian government aircraft.';
const PUBLISHED = '2026-01-15T08:00:00Z';
const OUTLET = 'Test Wire';
// A monitor: the demo party whose role is to record and weigh reports.
const ANALYST = 'monitoring-mission';

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

const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('hex');
const spanText = (text, [s, e]) => Array.from(text).slice(s, e).join('');
/** The statement logged at `index`, decoded from its DSSE envelope. */
async function statementAt(index) {
  const { body } = await demo.api(`/v1/entries/${index}`);
  const entry = JSON.parse(Buffer.from(body.entry, 'base64').toString('utf8'));
  return JSON.parse(Buffer.from(entry.envelope.payload, 'base64').toString('utf8'));
}

const activeMarks = (page) => page.evaluate(() => [...document.querySelectorAll('#intake-text mark.active')].map((m) => m.textContent).join('|'));

async function openIntake(context) {
  const opened = await openPage(context, demo.base);
  const tab = opened.page.locator('#tab-intake');
  assert.equal(await tab.count(), 1, 'the console served has no Intake tab: build it (node build.mjs) and set CORRIDOR_CONSOLE_DIR to web/dist');
  // The tab sits after Claims and is reached with the arrow keys like the others.
  await opened.page.focus('#tab-claims');
  await opened.page.keyboard.press('ArrowRight');
  assert.equal(await opened.page.evaluate(() => document.activeElement.id), 'tab-intake');
  assert.equal(await tab.getAttribute('aria-selected'), 'true');
  await opened.page.locator('#panel-intake').waitFor({ state: 'visible', ...WAIT });
  return opened;
}

test('an analyst drafts from a report, checks each field against its source, edits, and signs a claim and an incident', { timeout: 120000 }, async () => {
  const digest = sha256(REPORT);
  const monitor = (await demo.api('/v1/parties')).body.parties.find((p) => p.id === ANALYST);
  assert.equal(monitor?.kind, 'monitor', 'the demo has a monitor whose key file the test can use');

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const { page, problems } = await openIntake(context);
  const form = page.locator('#intake-form');
  await form.getByLabel('Text of the report').fill(REPORT);
  await form.getByLabel('Published (UTC)').fill(PUBLISHED.slice(0, 16));
  await form.getByLabel('Outlet').fill(OUTLET);

  // What the page sends: the text as text/plain, the options in the query.
  const [request, response] = await Promise.all([
    page.waitForRequest((r) => r.url().includes('/v1/intake'), WAIT),
    page.waitForResponse((r) => r.url().includes('/v1/intake'), WAIT),
    form.getByRole('button', { name: 'Draft', exact: true }).click(),
  ]);
  assert.equal(request.method(), 'POST');
  assert.match(request.headers()['content-type'], /^text\/plain/);
  assert.equal(request.postData(), REPORT);
  const query = new URL(request.url()).searchParams;
  assert.equal(new Date(query.get('published')).toISOString(), new Date(PUBLISHED).toISOString());
  assert.equal(query.get('outlet'), OUTLET);
  assert.equal(query.has('url'), false, 'an empty option is left out');
  assert.equal(response.status(), 200);
  const answer = await response.json();
  assert.equal(answer.source.sha256, digest, 'the server drafted from exactly the pasted text');

  // One card per draft: an incident with at least nine killed, and a claim
  // for each of the two speakers (the rescuers, the Observatory).
  const claimDrafts = answer.drafts.filter((d) => d.type === 'claim.record');
  const observatory = claimDrafts.findIndex((d) => /Observatory/.test(d.body.speaker));
  assert.ok(observatory >= 0, 'the Observatory is drafted as a speaker');
  const incident = page.locator('.intake-draft[data-type="incident.report"]');
  const claim = page.locator('.intake-draft[data-type="claim.record"]').nth(observatory);
  await incident.waitFor(WAIT);
  assert.equal(await page.locator('.intake-draft').count(), answer.drafts.length);
  assert.equal(await page.locator('.intake-draft[data-type="claim.record"]').count(), claimDrafts.length);
  assert.equal(await incident.count(), 1);
  const killedMin = incident.getByLabel('Killed: at least', { exact: true });
  assert.equal(await killedMin.inputValue(), '9');
  assert.equal(await incident.getByLabel('Kind').inputValue(), 'airstrike');
  assert.equal(await page.locator('#count-intake').textContent(), String(answer.drafts.length));
  assert.equal(await page.locator('#intake-source').getAttribute('data-sha256'), digest);
  assert.match(await page.locator('#intake-source').textContent(), /✔ the text this page sent/);

  // The report is shown with the selected draft's sources marked; focusing or
  // pointing at a field marks its own source, sliced by code points.
  assert.equal(await page.locator('#intake-text').textContent(), REPORT);
  assert.ok(await page.locator('#intake-text mark').count() > 0, 'the sources of the first draft are marked');
  const drafted = { 'incident.report': answer.drafts.find((d) => d.type === 'incident.report'), 'claim.record': claimDrafts[observatory] };
  assert.equal(spanText(REPORT, drafted['incident.report'].spans['/casualties/killed']), 'at least nine');
  await killedMin.focus();
  await page.waitForFunction(() => document.querySelector('#intake-text mark.active')?.textContent === 'at least nine', null, WAIT);
  assert.equal(await activeMarks(page), 'at least nine');
  assert.match(await incident.getAttribute('class'), /\bselected\b/);
  await claim.getByLabel('Speaker').hover();
  const speakerSource = spanText(REPORT, drafted['claim.record'].spans['/speaker']);
  await page.waitForFunction((t) => [...document.querySelectorAll('#intake-text mark.active')].map((m) => m.textContent).join('') === t, speakerSource, WAIT);
  assert.match(await claim.getAttribute('class'), /\bselected\b/);

  // Review items stand beside their fields (the incident's place is not in the gazetteer).
  for (const r of drafted['incident.report'].needs_review) {
    assert.equal(await incident.locator(`.review-item[data-pointer="${r.field}"]`).count(), 1, r.field);
  }
  assert.match(await incident.locator('[data-pointer="/geometry"] .review-item').textContent(), /place it on the map/);

  // Every control of the panel has a label, and it fits without scrolling sideways.
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('#panel-intake input, #panel-intake select, #panel-intake textarea')]
    .filter((el) => !el.labels?.length && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
    .map((el) => el.outerHTML));
  assert.deepEqual(unlabelled, []);
  const widths = await page.evaluate(() => {
    const panels = document.getElementById('panels');
    return { doc: document.documentElement.scrollWidth, inner: window.innerWidth, panel: panels.scrollWidth, panelBox: panels.clientWidth };
  });
  assert.ok(widths.doc <= widths.inner && widths.panel <= widths.panelBox, `no horizontal scroll at 1280x800: ${JSON.stringify(widths)}`);

  // Signing needs a signed-in party and the acknowledgement.
  const signClaim = claim.getByRole('button', { name: 'Sign and submit' });
  assert.equal(await signClaim.isDisabled(), true, 'not signed in');
  await signIn(page, demo.keyPath(ANALYST), ANALYST);
  assert.equal(await signClaim.isDisabled(), true, 'not yet acknowledged');
  assert.match(await claim.locator('[id$="-why"]').textContent(), /I have reviewed this draft/);

  // The analyst corrects what the machine read: the speaker's name, an affiliation that is not one, a figure.
  await claim.getByLabel('Speaker').fill('Syrian Observatory for Human Rights');
  await claim.getByLabel('Affiliation').fill('');
  await claim.getByRole('button', { name: 'Add a figure' }).click();
  await claim.getByLabel('Figure 1: what').fill('aircraft types named');
  await claim.getByLabel('at least', { exact: true }).fill('2');
  await claim.getByLabel('at most', { exact: true }).fill('2');
  await claim.getByLabel('I have reviewed this draft').check();
  assert.equal(await signClaim.isEnabled(), true);
  const receipts = await page.locator('#activity .receipt').count();
  await signClaim.click();
  await page.waitForSelector('.intake-draft[data-type="claim.record"][data-state="logged"]', WAIT);
  const claimRef = await claim.getAttribute('data-ref');
  assert.match(claimRef, new RegExp(`^${ANALYST}/claim-record-`));
  assert.match(await claim.locator('.form-status').textContent(), /Signed and logged as entry \d+/);
  await page.waitForFunction((n) => document.querySelectorAll('#activity .receipt').length === n + 1, receipts, WAIT);
  assert.equal(await page.locator('#activity .receipt').first().getAttribute('data-ref'), claimRef);
  assert.equal(await page.locator('#count-intake').textContent(), String(answer.drafts.length - 1));

  // The claim as the log holds it: edited where the analyst edited, the source digest as drafted.
  const claims = (await demo.api('/v1/claims?limit=1000')).body.claims;
  const logged = claims.find((c) => c.claim.ref === claimRef);
  assert.ok(logged, `${claimRef} is listed in /v1/claims`);
  const r = logged.claim.record;
  assert.equal(r.source_sha256, digest);
  assert.equal(r.speaker, 'Syrian Observatory for Human Rights');
  assert.equal(r.affiliation, undefined, 'an emptied optional field is left out');
  assert.equal(r.outlet, OUTLET);
  assert.equal(new Date(r.published).toISOString(), new Date(PUBLISHED).toISOString());
  assert.equal(r.text, drafted['claim.record'].body.text);
  assert.equal(r.stance, drafted['claim.record'].body.stance);
  assert.deepEqual(r.figures.map((f) => [f.what, f.min, f.max, f.unit ?? null]), [['aircraft types named', 2, 2, null]]);

  // The body as signed: empty optional fields left out, numbers as numbers, the digest as drafted.
  const index = Number(await page.locator('#activity .receipt').first().getAttribute('data-index'));
  const signed = await statementAt(index);
  assert.equal(`${signed.issuer}/${signed.id}`, claimRef);
  const expected = { ...drafted['claim.record'].body, speaker: 'Syrian Observatory for Human Rights', figures: [{ what: 'aircraft types named', min: 2, max: 2 }] };
  delete expected.affiliation;
  assert.deepEqual(signed.body, expected);

  // The incident: placed with the next map click, then dragged, then signed.
  const lon = incident.getByLabel('Longitude (°E)');
  const lat = incident.getByLabel('Latitude (°N)');
  assert.equal(await lon.inputValue(), '', 'the draft has no point yet');
  await incident.getByRole('button', { name: 'Place on map' }).click();
  await page.waitForSelector('#pick-hint:not([hidden])', WAIT);
  const box = await page.locator('#map').boundingBox();
  await page.mouse.click(box.x + box.width * 0.5, box.y + box.height * 0.45);
  await page.waitForFunction(() => document.querySelector('.intake-draft[data-type="incident.report"] input[name="lon"]').value !== '', null, WAIT);
  assert.equal(await incident.getByRole('button', { name: 'Place on map' }).getAttribute('aria-pressed'), 'false', 'one click places it');
  const marker = page.locator('.leaflet-marker-pane [data-intake]');
  await marker.waitFor(WAIT);
  const placed = [Number(await lon.inputValue()), Number(await lat.inputValue())];
  const m = await marker.boundingBox();
  await page.mouse.move(m.x + m.width / 2, m.y + m.height / 2);
  await page.mouse.down();
  await page.mouse.move(m.x + m.width / 2 + 60, m.y + m.height / 2 + 40, { steps: 8 });
  await page.mouse.up();
  await page.waitForFunction((x) => Number(document.querySelector('.intake-draft[data-type="incident.report"] input[name="lon"]').value) !== x, placed[0], WAIT);
  const moved = [Number(await lon.inputValue()), Number(await lat.inputValue())];
  assert.ok(moved[0] > placed[0] && moved[1] < placed[1], `dragging east and south moved the point: ${placed} -> ${moved}`);

  await incident.getByLabel('Location precision (metres)').fill('2000');
  await incident.getByLabel('Injured: at least', { exact: true }).fill('4');
  await incident.getByLabel('I have reviewed this draft').check();
  await incident.getByRole('button', { name: 'Sign and submit' }).click();
  await page.waitForSelector('.intake-draft[data-type="incident.report"][data-state="logged"]', WAIT);
  const incidentRef = await incident.getAttribute('data-ref');
  assert.equal(await marker.count(), 0, 'the draft marker gives way to the logged incident');
  const features = (await demo.api('/v1/incidents')).body.features;
  const reported = features.find((f) => f.id === incidentRef);
  assert.ok(reported, `${incidentRef} is listed in /v1/incidents`);
  assert.deepEqual(reported.geometry, { type: 'Point', coordinates: moved });
  assert.equal(reported.properties.sources[0].sha256, digest);
  const signedIncident = await statementAt(Number(await page.locator('#activity .receipt').first().getAttribute('data-index')));
  assert.equal(`${signedIncident.issuer}/${signedIncident.id}`, incidentRef);
  assert.deepEqual(signedIncident.body, {
    ...drafted['incident.report'].body,
    geometry: { type: 'Point', coordinates: moved },
    precision_m: 2000,
    casualties: { killed: { min: 9 }, injured: { min: 4 }, children_killed: { min: 3, max: 3 } },
  });
  assert.equal(signedIncident.body.sources[0].sha256, digest);
  assert.equal(signedIncident.body.sources[0].outlet, OUTLET);

  // The other panels show both records, refreshed live.
  await page.click('#tab-claims');
  await page.waitForSelector(`#claims-body article.claim[data-ref="${claimRef}"]`, WAIT);
  assert.match(await page.locator(`#claims-body article.claim[data-ref="${claimRef}"]`).textContent(), /Syrian Observatory for Human Rights/);
  assert.equal(await page.locator(`#claims-body article.claim[data-ref="${claimRef}"] .source-sha256 code`).textContent(), digest);
  await page.click('#tab-incidents');
  await page.waitForSelector(`#incidents-body article.incident[data-ref="${incidentRef}"]`, WAIT);
  await page.waitForSelector(`.leaflet-overlay-pane path[data-layer="incidents"][data-ref="${incidentRef}"]`, WAIT);
  assert.deepEqual(problems, []);
  await context.close();
});

test('refusals are explained: an empty text here, and the server’s own detail and code for a text it cannot read', { timeout: 60000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const { page, problems } = await openIntake(context);
  const form = page.locator('#intake-form');
  const status = page.locator('#intake-status');

  await form.getByRole('button', { name: 'Draft', exact: true }).click();
  assert.match(await status.textContent(), /paste the text of a report first/);

  // A control character makes the text "binary" to the server: what does it say?
  const text = 'Shelling hit Douma\u0007 on Monday.';
  const refusal = await fetch(`${demo.base}/v1/intake`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: text });
  const problem = await refusal.json();
  assert.equal(refusal.status, 400);
  assert.equal(problem.code, 'binary_text');
  await form.getByLabel('Text of the report').fill(text);
  await form.getByRole('button', { name: 'Draft', exact: true }).click();
  await page.waitForFunction(() => document.getElementById('intake-status').dataset.state === 'error'
    && /binary_text/.test(document.getElementById('intake-status').textContent), null, WAIT);
  assert.equal(await status.textContent(), `The server could not draft from this text: ${problem.detail} (${problem.code})`);
  assert.equal(await page.locator('.intake-draft').count(), 0);

  // The browser itself reports the refused request; nothing else may appear.
  assert.deepEqual(problems.filter((p) => !/Failed to load resource: the server responded with a status of 400/.test(p)), []);
  await context.close();
});

test('spans count code points: a report with characters outside the BMP is marked where the server says', { timeout: 60000 }, async () => {
  // Each of these takes two UTF-16 units and one code point: sliced by UTF-16, every mark would fall short.
  const report = `𝐁𝐑𝐄𝐀𝐊𝐈𝐍𝐆 🔥 ${REPORT}`;
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const { page, problems } = await openIntake(context);
  const form = page.locator('#intake-form');
  await form.getByLabel('Text of the report').fill(report);
  await form.getByLabel('Published (UTC)').fill(PUBLISHED.slice(0, 16));
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().includes('/v1/intake'), WAIT),
    form.getByRole('button', { name: 'Draft', exact: true }).click(),
  ]);
  const answer = await response.json();
  assert.equal(answer.source.sha256, sha256(report));
  const incident = answer.drafts.find((d) => d.type === 'incident.report');
  assert.equal(spanText(report, incident.spans['/casualties/killed']), 'at least nine');
  const card = page.locator('.intake-draft[data-type="incident.report"]');
  await card.getByLabel('Killed: at least', { exact: true }).focus();
  await page.waitForFunction(() => document.querySelector('#intake-text mark.active'), null, WAIT);
  assert.equal(await activeMarks(page), 'at least nine');
  // No outlet was given: the server asks for one, beside the field that takes it.
  assert.equal(await card.locator('[data-pointer="/sources/0/outlet"] .review-item').count(), 1);
  assert.deepEqual(problems, []);
  await context.close();
});
