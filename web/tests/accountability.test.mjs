// The accountability forms in a real browser (Debian's chromium through
// playwright-core) against the real corridor binary running its demo: a
// monitor assesses an incident from the Incidents panel, an agency reports a
// distribution, a claim is recorded and evidence linked to it from the
// Claims panel. Each outcome is read back from the API; each form is also
// given input the server refuses, and the page must show the server's own
// detail and code while the log stays the same size.
//
//   CORRIDOR_CONSOLE_DIR=/tmp/dist node --test tests/accountability.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parsePrivateKey, newStatement, signStatement } from '../src/crypto.js';
import { WAIT, startDemo, launchBrowser, openPage, signIn } from './harness.mjs';

const MONITOR = 'monitoring-mission';
const AGENCY = 'relief-consortium';
const INCIDENT = 'central-authority/inc-pause-violation';
const OTHER_INCIDENT = 'health-alliance/inc-clinic-shelling';
const SITE = 'relief-consortium/site-rukban-distribution';

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

const logSize = async () => (await demo.api('/v1/log')).body.size;
const unexpected = (problems) => problems.filter((p) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(p));
const isSubmit = (r) => r.url().endsWith('/v1/statements') && r.request().method() === 'POST';
const incident = async (ref) => (await demo.api('/v1/incidents?limit=1000')).body.features.find((f) => f.id === ref);

/** The statement a page signed, read from the envelope it posted. */
function signedStatement(request) {
  const envelope = JSON.parse(request.postData());
  return JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));
}

/** Clicks `button`, waits for the server's receipt and the Activity card showing it. */
async function signAndLog(page, button) {
  const [res] = await Promise.all([page.waitForResponse(isSubmit, WAIT), button.click()]);
  const body = await res.json();
  assert.equal(res.status(), 201, JSON.stringify(body));
  const card = page.locator(`#activity .receipt[data-index="${body.index}"]`);
  await card.waitFor(WAIT);
  const statement = signedStatement(res.request());
  return { index: body.index, ref: `${statement.issuer}/${statement.id}`, statement, card };
}

/** Clicks `button`, expecting a refusal: the page shows the server's own detail and code, and nothing is logged. */
async function refused(page, button, code) {
  const size = await logSize();
  if (await page.locator('#problem.shown').count()) await page.locator('#problem').getByRole('button', { name: 'Dismiss' }).click();
  const [res] = await Promise.all([page.waitForResponse(isSubmit, WAIT), button.click()]);
  const problem = await res.json();
  assert.ok(res.status() >= 400 && res.status() < 500, `refused with ${res.status()}`);
  assert.equal(problem.code, code, problem.detail);
  await page.waitForSelector('#problem.shown', WAIT);
  assert.equal(await page.locator('#problem .code code').textContent(), problem.code);
  assert.equal(await page.locator('#problem .detail').textContent(), problem.detail);
  assert.equal(await logSize(), size, 'nothing was logged');
  return { problem, statement: signedStatement(res.request()) };
}

/** A signed-in page in UTC, so that times typed into the forms read the same here. */
async function signedIn(party, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport, timezoneId: 'UTC' });
  const opened = await openPage(context, demo.base);
  await signIn(opened.page, demo.keyPath(party), party);
  return { context, ...opened };
}

test('a monitor assesses an incident from the Incidents panel; others are not offered to', { timeout: 120000 }, async () => {
  const other = await signedIn(AGENCY);
  await other.page.click('#tab-incidents');
  await other.page.waitForSelector(`#incidents-body article[data-ref="${INCIDENT}"]`, WAIT);
  assert.equal(await other.page.locator('#incidents-body .assess-toggle').count(), 0, 'an agency is not offered to assess');
  await other.context.close();

  const before = await incident(INCIDENT);
  const { context, page, problems } = await signedIn(MONITOR);
  await page.click('#tab-incidents');
  const art = page.locator(`#incidents-body article[data-ref="${INCIDENT}"]`);
  await art.getByRole('button', { name: 'Assess…' }).click();
  const form = art.locator('form.panel-form');
  await form.getByLabel('Occurrence').selectOption('confirmed');
  await form.getByLabel('Attribution').selectOption('contested');
  await form.getByLabel('central-authority').check();
  await form.getByLabel('southern-task-force').check();

  // A refusal first: a rationale over the 16,384 bytes a text may hold (6,000 three-byte characters).
  await form.getByLabel('Rationale').fill('€'.repeat(6000));
  const { problem, statement } = await refused(page, form.getByRole('button', { name: 'Sign and submit assessment' }), 'invalid_body');
  assert.equal(statement.body.rationale.length, 6000);
  assert.match(problem.detail, /rationale/);

  // The open form survives the panel's refresh when another incident is assessed meanwhile.
  const rationale = '[EXERCISE] Crater analysis confirms the strike; each side blames the other.';
  await form.getByLabel('Rationale').fill(rationale);
  const key = parsePrivateKey(await readFile(demo.keyPath(MONITOR), 'utf8'));
  const elsewhere = signStatement(newStatement('incident.assess', MONITOR, {
    incident: OTHER_INCIDENT, occurrence: 'possible', attribution: 'unknown', rationale: '[EXERCISE] Reassessed from the test.',
  }), key);
  const filed = await demo.api('/v1/statements', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(elsewhere) });
  assert.equal(filed.status, 201, JSON.stringify(filed.body));
  await page.waitForSelector(`#incidents-body article[data-ref="${OTHER_INCIDENT}"] .grades .badge[data-value="possible"]`, WAIT);
  assert.equal(await form.getByLabel('Rationale').inputValue(), rationale);
  assert.equal(await art.getByRole('button', { name: 'Assess…' }).getAttribute('aria-expanded'), 'true');

  const logged = await signAndLog(page, form.getByRole('button', { name: 'Sign and submit assessment' }));
  assert.equal(logged.statement.type, 'incident.assess');
  const after = await incident(INCIDENT);
  assert.deepEqual(after.properties.grade && {
    by: after.properties.grade.by, occurrence: after.properties.grade.occurrence, attribution: after.properties.grade.attribution,
    attributed_to: [...after.properties.grade.attributed_to].sort(), rationale: after.properties.grade.rationale, index: after.properties.grade.at.index,
  }, {
    by: MONITOR, occurrence: 'confirmed', attribution: 'contested',
    attributed_to: ['central-authority', 'southern-task-force'], rationale, index: logged.index,
  });
  assert.equal(after.properties.assessments, before.properties.assessments + 1);
  await page.waitForSelector(`#incidents-body article[data-ref="${INCIDENT}"] .grades .badge[data-value="confirmed"]`, WAIT);
  assert.equal(await page.locator(`#incidents-body article[data-ref="${INCIDENT}"] form.panel-form`).count(), 0, 'the form closed');

  await logged.card.getByRole('button', { name: 'Verify receipt' }).click();
  await logged.card.locator('output.verdict[data-verdict="verified"]').waitFor(WAIT);
  assert.deepEqual(unexpected(problems), []);
  await context.close();
});

test('an agency reports a distribution against a notified site; a report the server refuses is explained', { timeout: 120000 }, async () => {
  const sites = (await demo.api('/v1/sites')).body.features.map((f) => f.id);
  assert.ok(sites.includes(SITE));
  const { context, page, problems } = await signedIn(AGENCY);
  await page.click('#tab-file');
  const form = page.locator('#form-distribution');
  // The site list is the API's.
  await page.waitForFunction((n) => document.querySelectorAll('#form-distribution select[name="site"] option[value]:not([value=""])').length === n, sites.length, WAIT);
  assert.deepEqual((await form.getByLabel('Site').locator('option').evaluateAll((o) => o.map((x) => x.value))).filter(Boolean).sort(), [...sites].sort());
  await form.getByLabel('Site').selectOption(SITE);
  await form.getByLabel('Round').fill('R2-test');
  await form.getByLabel('Period from').fill('2026-03-01T08:00');
  await form.getByLabel('Period until').fill('2026-03-02T18:00');
  const items = form.getByRole('group', { name: 'Items distributed' });
  await items.getByLabel('Item, line 1').fill('food parcels');
  await items.getByLabel('Unit, line 1').fill('parcel');
  await items.getByLabel('Quantity, line 1').fill('300');
  await items.getByRole('button', { name: 'Add line' }).click();
  await items.getByLabel('Item, line 2').fill('water');
  await items.getByLabel('Unit, line 2').fill('litre');
  await items.getByLabel('Quantity, line 2').fill('2500');
  const plan = form.getByRole('group', { name: 'Planned per person (optional)' });
  await plan.getByRole('button', { name: 'Add line' }).click();
  await plan.getByLabel('Item, line 1').fill('food parcels');
  await plan.getByLabel('Unit, line 1').fill('parcel');
  await plan.getByLabel('Quantity, line 1').fill('0.25');

  // More households than people: the server refuses it.
  await form.getByLabel('Households').fill('500');
  await form.getByLabel('People').fill('400');
  const { statement } = await refused(page, form.getByRole('button', { name: 'Sign and report distribution' }), 'inconsistent_counts');
  assert.deepEqual([statement.body.households, statement.body.people], [500, 400]);

  await form.getByLabel('Households').fill('300');
  await form.getByLabel('People').fill('1200');
  const logged = await signAndLog(page, form.getByRole('button', { name: 'Sign and report distribution' }));
  const { reports, rounds } = (await demo.api('/v1/distributions?limit=1000')).body;
  const report = reports.find((r) => r.ref === logged.ref);
  assert.ok(report, `${logged.ref} is listed`);
  const { consignment, period, ...rest } = report.report;
  assert.deepEqual(rest, {
    site: SITE, round: 'R2-test',
    items: [{ item: 'food parcels', unit: 'parcel', quantity: 300 }, { item: 'water', unit: 'litre', quantity: 2500 }],
    households: 300, people: 1200, planned_per_person: [{ item: 'food parcels', unit: 'parcel', quantity: 0.25 }],
  });
  assert.deepEqual([Date.parse(period.from), Date.parse(period.to)], [Date.parse('2026-03-01T08:00:00Z'), Date.parse('2026-03-02T18:00:00Z')]);
  assert.equal(consignment ?? null, null, 'no consignment was given');
  assert.ok(rounds.some((r) => r.round === 'R2-test'), 'the round is tallied');
  assert.deepEqual(unexpected(problems), []);
  await context.close();
});

test('a claim is recorded, and evidence linked to it from the Claims panel; refusals are explained', { timeout: 120000 }, async () => {
  const { context, page, problems } = await signedIn(AGENCY);
  await page.click('#tab-file');
  const form = page.locator('#form-claim');
  await form.getByLabel('Speaker').fill('[EXERCISE] District official');
  await form.getByLabel('Affiliation (optional)').fill('central-authority');
  await form.getByLabel('Outlet').fill('[EXERCISE] Radio bulletin');
  await form.getByLabel('URL (optional)').fill('https://radio.example/bulletin/17');
  await form.getByLabel('Published').fill('2026-02-10T09:30');
  await form.getByLabel('What was said').fill('[EXERCISE] Between 100 and 250 people were displaced by the shelling.');
  await form.getByLabel('Stance').selectOption('assertion');
  const figures = form.getByRole('group', { name: 'Figures (optional)' });
  await figures.getByRole('button', { name: 'Add line' }).click();
  await figures.getByLabel('What, line 1').fill('people displaced');
  await figures.getByLabel('At least, line 1').fill('100');
  await figures.getByLabel('At most, line 1').fill('250');
  await figures.getByLabel('Unit, line 1').fill('people');
  const subjects = form.getByRole('group', { name: /^Subjects/ });
  await page.waitForFunction((r) => !!document.querySelector(`#form-claim select[name="record"] option[value="${r}"]`), OTHER_INCIDENT, WAIT);
  await subjects.getByLabel('Record', { exact: true }).selectOption(OTHER_INCIDENT);
  await subjects.getByRole('button', { name: 'Add record' }).click();

  // A subject that names nothing in the log: refused.
  await subjects.getByLabel('Or type issuer/id or an entry index').fill('nobody/no-such-record');
  await subjects.getByRole('button', { name: 'Add', exact: true }).click();
  const bad = await refused(page, form.getByRole('button', { name: 'Sign and record claim' }), 'unknown_ref');
  assert.deepEqual(bad.statement.body.subjects, [OTHER_INCIDENT, 'nobody/no-such-record']);
  await subjects.getByRole('button', { name: 'Remove nobody/no-such-record' }).click();

  const logged = await signAndLog(page, form.getByRole('button', { name: 'Sign and record claim' }));
  const claim = (await demo.api(`/v1/claims/${logged.ref}`)).body;
  assert.deepEqual({ ...claim.claim.record, published: Date.parse(claim.claim.record.published) }, {
    speaker: '[EXERCISE] District official', affiliation: 'central-authority', outlet: '[EXERCISE] Radio bulletin',
    url: 'https://radio.example/bulletin/17', published: Date.parse('2026-02-10T09:30:00Z'),
    text: '[EXERCISE] Between 100 and 250 people were displaced by the shelling.', stance: 'assertion',
    figures: [{ what: 'people displaced', min: 100, max: 250, unit: 'people' }], subjects: [OTHER_INCIDENT],
  });
  assert.equal(claim.claim.recorder, AGENCY);

  // Evidence, from the Claims panel: first an entry past the end of the log (refused), then a real one.
  await page.click('#tab-claims');
  const art = page.locator(`#claims-body article[data-ref="${logged.ref}"]`);
  await art.getByRole('button', { name: 'Link evidence…' }).click();
  const link = art.locator('form.panel-form');
  const size = await logSize();
  await link.getByLabel('Or type issuer/id or an entry index').fill(String(size + 1000));
  await link.getByLabel('Relation').selectOption('contradicts');
  await link.getByLabel('Note (optional)').fill('[EXERCISE] The site report counts 40 displaced.');
  const far = await refused(page, link.getByRole('button', { name: 'Sign and link evidence' }), 'unknown_ref');
  assert.equal(far.statement.body.evidence, size + 1000);

  const evidence = (await demo.api('/v1/incidents')).body.features.find((f) => f.id === OTHER_INCIDENT).properties.reported.index;
  await link.getByLabel('Or type issuer/id or an entry index').fill(String(evidence));
  const linked = await signAndLog(page, link.getByRole('button', { name: 'Sign and link evidence' }));
  const after = (await demo.api(`/v1/claims/${logged.ref}`)).body;
  assert.deepEqual(after.contradicts.map((l) => [l.by, l.evidence, l.note, l.at.index]),
    [[AGENCY, evidence, '[EXERCISE] The site report counts 40 displaced.', linked.index]]);
  assert.deepEqual([after.supports, after.context], [[], []]);
  await page.waitForFunction((r) => /Evidence that contradicts it \(1\)/.test(document.querySelector(`#claims-body article[data-ref="${r}"]`)?.textContent || ''), logged.ref, WAIT);
  assert.equal(await art.locator('form.panel-form').count(), 0, 'the form closed');
  assert.deepEqual(unexpected(problems), []);
  await context.close();
});

test('the accountability forms at 1280x800 and 390x844: screenshots, labelled controls, no horizontal scroll', { timeout: 90000 }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'corridor-accountability-'));
  for (const [width, height] of [[1280, 800], [390, 844]]) {
    const { context, page, problems } = await signedIn(MONITOR, { width, height });
    await page.click('#tab-file');
    const form = page.locator('#form-distribution');
    await form.getByRole('group', { name: 'Planned per person (optional)' }).getByRole('button', { name: 'Add line' }).click();
    await form.scrollIntoViewIfNeeded();
    const file = path.join(dir, `distribution-form-${width}x${height}.png`);
    await page.screenshot({ path: file, fullPage: width < 800 });
    console.log(`screenshot: ${file}`);
    await page.click('#tab-incidents');
    await page.locator('#incidents-body .assess-toggle').first().click();
    await page.locator('#incidents-body form.panel-form').waitFor(WAIT);
    const controls = ['#form-distribution', '#form-claim', '#incidents-body form.panel-form'].flatMap((f) => ['input', 'select', 'textarea'].map((c) => `${f} ${c}`)).join(', ');
    const unlabelled = await page.evaluate((sel) => [...document.querySelectorAll(sel)]
      .filter((el) => el.type !== 'hidden' && !el.labels?.length && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
      .map((el) => el.outerHTML), controls);
    assert.deepEqual(unlabelled, []);
    const layout = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth, bodyScrollWidth: document.body.scrollWidth, innerWidth: window.innerWidth,
    }));
    assert.ok(layout.scrollWidth <= layout.innerWidth, `no horizontal scroll at ${width}: ${JSON.stringify(layout)}`);
    assert.ok(layout.bodyScrollWidth <= layout.innerWidth, `body fits at ${width}: ${JSON.stringify(layout)}`);
    assert.deepEqual(unexpected(problems), []);
    await context.close();
  }
});
