// The Inbox in a real browser (Debian's chromium through playwright-core)
// against the real corridor binary running its demo: two parties, each in its
// own browser context, write to each other on the deconfliction channel,
// reply, and acknowledge; every step is held to what GET /v1/messages says,
// and receipts are verified in the page. Also: what waits for a party's
// acknowledgement, a message the server refuses, and the layout at a laptop's
// and a phone's size.
//
//   CORRIDOR_CONSOLE_DIR=/tmp/dist node --test tests/inbox.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WAIT, startDemo, launchBrowser, openPage, signIn } from './harness.mjs';

// Two agencies the demo sends no messages to, so every message either sees is this test's.
const A = 'relief-consortium';
const B = 'health-alliance';
const CONVOY = 'relief-consortium/convoy-rukban';

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

const messagesTo = async (party) => (await demo.api(`/v1/messages?to=${party}&limit=1000`)).body.messages;
const unreadOf = async (party) => (await messagesTo(party)).filter((m) => !m.acknowledged_by.some((a) => a.party === party)).length;
const logSize = async () => (await demo.api('/v1/log')).body.size;
/** Browser noise other than the refused requests a test provokes on purpose. */
const unexpected = (problems) => problems.filter((p) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(p));

const isSubmit = (r) => r.url().endsWith('/v1/statements') && r.request().method() === 'POST';
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
  assert.equal(await card.getAttribute('data-ref'), `${statement.issuer}/${statement.id}`);
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

async function openInbox(context, party) {
  const opened = await openPage(context, demo.base);
  await signIn(opened.page, demo.keyPath(party), party);
  await opened.page.click('#tab-inbox');
  await opened.page.locator('#panel-inbox').waitFor({ state: 'visible', ...WAIT });
  return opened;
}

const waitCount = (page, n) => page.waitForFunction((want) => document.getElementById('count-inbox').textContent === String(want), n, WAIT);

/** Everything `party` has acknowledged, read from every entry of the log. */
async function acknowledgedBy(party) {
  const out = new Set();
  const size = await logSize();
  for (let i = 0; i < size; i++) {
    const { statement } = (await demo.api(`/v1/entries/${i}`)).body;
    if (statement.type === 'acknowledge' && statement.issuer === party) for (const r of statement.body.refs) out.add(String(r));
  }
  return out;
}

test('two parties write, reply and acknowledge; each inbox agrees with GET /v1/messages', { timeout: 120000 }, async () => {
  assert.equal((await messagesTo(B)).length, 0, `the demo sends ${B} no messages`);
  const op = (await demo.api('/v1/operations')).body.features.find((f) => f.properties.notified_parties.includes(B));
  assert.ok(op, `an operation notifies ${B}`);

  const ctxA = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const ctxB = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const a = await openInbox(ctxA, A);
  const b = await openInbox(ctxB, B);
  await waitCount(a.page, await unreadOf(A));
  await waitCount(b.page, 0);
  await b.page.waitForSelector('#live[data-live="open"]', WAIT);

  // A writes to B about the convoy and about the operation, named by its entry index.
  await a.page.locator('#inbox-compose > summary').click();
  const form = a.page.locator('#form-message');
  await form.getByLabel(B, { exact: true }).check();
  await form.getByLabel('Subject').fill('Clinic staff on the convoy');
  await form.getByLabel('Text').fill('[EXERCISE] Two clinic staff will travel with the convoy.');
  await form.getByLabel('Record').selectOption(CONVOY);
  await form.getByRole('button', { name: 'Add record' }).click();
  await form.getByLabel('Or type issuer/id or an entry index').fill(String(op.properties.notified.index));
  await form.getByRole('button', { name: 'Add', exact: true }).click();
  await form.locator(`.chosen code:text-is("${op.id}")`).waitFor(WAIT);
  const sent = await signAndLog(a.page, form.getByRole('button', { name: 'Sign and send message' }));
  assert.deepEqual(sent.statement.body.refs, [CONVOY, op.id], 'the entry index was sent as the reference logged there');

  const toB = (await messagesTo(B)).find((m) => m.ref === sent.ref);
  assert.deepEqual([toB.from, toB.to, toB.subject, toB.refs], [A, [B], 'Clinic staff on the convoy', [CONVOY, op.id]]);

  // B sees it, unread, without reloading.
  const inB = b.page.locator(`#inbox-body article.message[data-ref="${sent.ref}"]`);
  await b.page.locator(`#inbox-body article.message.unread[data-ref="${sent.ref}"]`).waitFor(WAIT);
  assert.equal(await unreadOf(B), 1);
  await waitCount(b.page, 1);
  assert.match(await inB.textContent(), /Two clinic staff will travel with the convoy/);
  assert.match(await b.page.locator(`#inbox-body li.attention-item[data-kind="message"][data-ref="${sent.ref}"]`).textContent(), /Clinic staff on the convoy/);

  // B replies: the form is addressed to A, about A's message and what it named.
  await inB.getByRole('button', { name: 'Reply…' }).click();
  const reply = b.page.locator('#form-message');
  await reply.waitFor({ state: 'visible', ...WAIT });
  assert.equal(await reply.getByLabel(A, { exact: true }).isChecked(), true);
  assert.deepEqual(await reply.locator('input[name="to"]:checked').evaluateAll((l) => l.map((x) => x.value)), [A]);
  assert.equal(await reply.getByLabel('Subject').inputValue(), 'Re: Clinic staff on the convoy');
  assert.deepEqual(await reply.locator('.chosen code').allTextContents(), [sent.ref, CONVOY, op.id]);
  await reply.getByLabel('Text').fill('[EXERCISE] Noted; the clinic expects them.');
  const answered = await signAndLog(b.page, reply.getByRole('button', { name: 'Sign and send message' }));
  const toA = (await messagesTo(A)).find((m) => m.ref === answered.ref);
  assert.deepEqual([toA.from, toA.to, toA.subject, toA.refs], [B, [A], 'Re: Clinic staff on the convoy', [sent.ref, CONVOY, op.id]]);

  // A sees the reply, newest first.
  await a.page.locator(`#inbox-body article.message[data-ref="${answered.ref}"].unread`).waitFor(WAIT);
  assert.equal(await a.page.locator('#inbox-body article.message').first().getAttribute('data-ref'), answered.ref);
  await waitCount(a.page, await unreadOf(A));

  // B acknowledges A's message: it is no longer unread, here and in the API.
  const ack = await signAndLog(b.page, inB.getByRole('button', { name: 'Acknowledge' }));
  assert.deepEqual(ack.statement.body, { refs: [sent.ref] });
  const acked = (await messagesTo(B)).find((m) => m.ref === sent.ref);
  assert.deepEqual(acked.acknowledged_by.map((x) => [x.party, x.index]), [[B, ack.index]]);
  assert.equal(await unreadOf(B), 0);
  await waitCount(b.page, 0);
  await b.page.locator(`#inbox-body article.message[data-ref="${sent.ref}"]:not(.unread)`).waitFor(WAIT);
  assert.match(await inB.textContent(), new RegExp(`You acknowledged it at .* \\(entry ${ack.index}\\)`));

  // The acknowledgement's receipt verifies in B's browser.
  await ack.card.getByRole('button', { name: 'Verify receipt' }).click();
  await ack.card.locator('output.verdict[data-verdict="verified"]').waitFor(WAIT);

  assert.deepEqual(unexpected(a.problems), []);
  assert.deepEqual(unexpected(b.problems), []);
  await ctxA.close();
  await ctxB.close();
});

test('what waits for a party’s acknowledgement: notified operations and movements it must clear, as the record says', { timeout: 120000 }, async () => {
  // Every party with something waiting, as computed here from the API and the log.
  const parties = (await demo.api('/v1/parties')).body.parties.map((p) => p.id);
  const operations = (await demo.api('/v1/operations?status=active')).body.features;
  const movements = (await demo.api('/v1/movements')).body.features;
  const expected = async (party) => {
    const acks = await acknowledgedBy(party);
    const ops = operations.filter((o) => o.properties.party !== party && o.properties.notified_parties.includes(party)
      && !acks.has(o.id) && !acks.has(String(o.properties.notified.index))).map((o) => o.id);
    const movs = movements.filter((m) => !['arrived', 'aborted', 'expired'].includes(m.properties.status) && !m.properties.cancelled)
      .filter((m) => m.properties.required_approvers.some((x) => x.party === party && !x.acknowledged_at && !x.response)).map((m) => m.id);
    const msgs = (await messagesTo(party)).filter((m) => !m.acknowledged_by.some((x) => x.party === party)).map((m) => m.ref);
    return { message: msgs.sort(), operation: ops.sort(), movement: movs.sort() };
  };
  const shown = (page) => page.evaluate(() => {
    const out = { message: [], operation: [], movement: [] };
    for (const li of document.querySelectorAll('#inbox-body li.attention-item')) out[li.dataset.kind].push(li.dataset.ref);
    for (const v of Object.values(out)) v.sort();
    return out;
  });

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  let sawMovement = false;
  for (const party of parties) {
    const want = await expected(party);
    sawMovement ||= want.movement.length > 0;
    const { page, problems } = await openInbox(context, party);
    await page.waitForSelector('#inbox-attention-title', WAIT);
    assert.deepEqual(await shown(page), want, party);
    assert.deepEqual(unexpected(problems), [], party);
    await page.close();
  }
  assert.ok(sawMovement, 'some party must clear a movement it has not answered');

  // B acknowledges the operation it was notified of; it no longer waits, and the log holds B's acknowledgement.
  const { page, problems } = await openInbox(context, B);
  const item = page.locator('#inbox-body li.attention-item[data-kind="operation"]').first();
  await item.waitFor(WAIT);
  const opRef = await item.getAttribute('data-ref');
  const ack = await signAndLog(page, item.getByRole('button', { name: 'Acknowledge' }));
  assert.deepEqual([ack.statement.type, ack.statement.body.refs], ['acknowledge', [opRef]]);
  assert.ok((await acknowledgedBy(B)).has(opRef));
  const acked = (await demo.api('/v1/operations')).body.features.find((f) => f.id === opRef).properties.acknowledged_by;
  assert.ok(acked.some((x) => x.party === B && x.index === ack.index), 'the operation lists the acknowledgement');
  await page.waitForFunction((r) => !document.querySelector(`#inbox-body li.attention-item[data-ref="${r}"]`), opRef, WAIT);
  assert.deepEqual(await shown(page), await expected(B));
  assert.deepEqual(unexpected(problems), []);
  await context.close();
});

test('a message the server refuses: its detail and code are shown, and nothing is logged', { timeout: 90000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const { page, problems } = await openInbox(context, A);
  await page.locator('#inbox-compose > summary').click();
  const form = page.locator('#form-message');
  await form.getByLabel(B, { exact: true }).check();
  await form.getByLabel('Subject').fill('About a record that does not exist');
  await form.getByLabel('Or type issuer/id or an entry index').fill('nobody/no-such-record');
  await form.getByRole('button', { name: 'Add', exact: true }).click();
  const { problem, statement } = await refused(page, form.getByRole('button', { name: 'Sign and send message' }), 'unknown_ref');
  assert.deepEqual(statement.body.refs, ['nobody/no-such-record']);
  assert.match(problem.detail, /nobody\/no-such-record/);
  assert.match(await form.locator(':scope > .form-status').textContent(), /refused/);

  // An entry index past the end of the log cannot name a record: the server says so, and it is not added.
  const size = await logSize();
  await form.getByLabel('Or type issuer/id or an entry index').fill(String(size + 1000));
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith(`/v1/entries/${size + 1000}`), WAIT),
    form.getByRole('button', { name: 'Add', exact: true }).click(),
  ]);
  const notFound = await res.json();
  assert.equal(res.status(), 404);
  await page.waitForFunction((d) => document.querySelector('#form-message .refs .form-status').textContent.includes(d), notFound.detail, WAIT);
  assert.match(await form.locator('.refs .form-status').textContent(), new RegExp(`\\(${notFound.code}\\)`));
  assert.deepEqual(await form.locator('.chosen code').allTextContents(), ['nobody/no-such-record']);
  assert.equal(await logSize(), size);

  assert.deepEqual(unexpected(problems), []);
  await context.close();
});

test('the inbox at 1280x800 and 390x844: screenshots, no horizontal scroll', { timeout: 90000 }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'corridor-inbox-'));
  const messages = (await messagesTo(A)).length;
  assert.ok(messages > 0, 'the first test left A a message');
  for (const [width, height] of [[1280, 800], [390, 844]]) {
    const context = await browser.newContext({ viewport: { width, height } });
    const { page, problems } = await openInbox(context, A);
    await page.waitForFunction((n) => document.querySelectorAll('#inbox-body article.message').length === n, messages, WAIT);
    await page.locator('#inbox-compose > summary').click();
    await page.locator('#form-message').waitFor({ state: 'visible', ...WAIT });
    await page.locator('#panel-inbox').scrollIntoViewIfNeeded();
    const file = path.join(dir, `inbox-${width}x${height}.png`);
    await page.screenshot({ path: file, fullPage: width < 800 });
    console.log(`screenshot: ${file}`);
    const layout = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth, bodyScrollWidth: document.body.scrollWidth, innerWidth: window.innerWidth,
      panelRight: document.getElementById('panel-inbox').getBoundingClientRect().right,
    }));
    assert.ok(layout.scrollWidth <= layout.innerWidth, `no horizontal scroll at ${width}: ${JSON.stringify(layout)}`);
    assert.ok(layout.bodyScrollWidth <= layout.innerWidth, `body fits at ${width}: ${JSON.stringify(layout)}`);
    assert.ok(layout.panelRight <= layout.innerWidth, `the inbox fits at ${width}: ${JSON.stringify(layout)}`);
    assert.deepEqual(unexpected(problems), []);
    await context.close();
  }
});
