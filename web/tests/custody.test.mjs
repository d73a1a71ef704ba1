// Two-party custody hand-offs in the console, each party in its own
// browser: the sender signs a hand-off and sends it; the receiver sees it
// waiting, checks the sender's signature and the quantities, countersigns and
// submits, or refuses with a reason. Checked against the API each time, and
// the countersigned receipt is verified in the page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WAIT, startDemo, launchBrowser, openPage, signIn } from './harness.mjs';
import { parsePrivateKey, newStatement, signStatement, countersignEnvelope } from '../src/crypto.js';
import { offerText } from '../src/custody.js';

const SENDER = 'relief-consortium';
const RECEIVER = 'health-alliance';

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

async function party(id, size = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport: size });
  const { page, problems } = await openPage(context, demo.base);
  await signIn(page, demo.keyPath(id), id);
  await page.locator('#tab-custody').click();
  return { context, page, problems };
}

/** Fills the hand-off form and sends it; resolves to the offer message's entry index. */
async function offer(page, { consignment, to, items, place }) {
  const form = page.locator('#form-handoff');
  await form.getByLabel('Consignment').fill(consignment);
  await form.getByLabel('Receiving party').selectOption(to);
  await form.getByLabel(/^Items/).fill(items);
  if (place) await form.getByLabel('Place (optional)').fill(place);
  await form.getByRole('button', { name: 'Sign and send for countersigning' }).click();
  await page.waitForFunction(() => /Sent to .* for countersigning \(message entry \d+\)/.test(document.querySelector('#form-handoff .form-status').textContent), null, WAIT);
  return Number(/message entry (\d+)/.exec(await form.locator('.form-status').textContent())[1]);
}

const handOffs = async (consignment) => (await demo.api(`/v1/consignments/${encodeURIComponent(consignment)}`)).body.hand_offs || [];

test('a consignment is handed over: the sender signs, the receiver checks, countersigns and submits', { timeout: 120000 }, async () => {
  const consignment = 'EX-HANDOFF-01';
  const sender = await party(SENDER);
  const receiver = await party(RECEIVER);
  const messageIndex = await offer(sender.page, { consignment, to: RECEIVER, items: '400, kits, hygiene kit\n120, cartons, high-energy biscuits', place: 'Rukban gate' });
  assert.deepEqual(await handOffs(consignment), [], 'nothing is logged until both have signed');

  // The receiver sees the offer without reloading, with the sender's signature checked.
  const card = receiver.page.locator(`#handoffs-waiting article.handoff[data-consignment="${consignment}"]`);
  await card.waitFor(WAIT);
  // Its inbox sends it to the Custody panel rather than offering a bare acknowledgement.
  const offerRef = await card.getAttribute('data-message');
  await receiver.page.locator('#tab-inbox').click();
  const waiting = receiver.page.locator(`#inbox-body li.attention-item[data-ref="${offerRef}"]`);
  await waiting.waitFor(WAIT);
  assert.equal(await waiting.locator('button.ack').count(), 0);
  await waiting.getByRole('button', { name: 'Countersign or refuse in Custody' }).click();
  await card.waitFor({ state: 'visible', ...WAIT });
  assert.equal(await card.locator('.signature').getAttribute('data-verified'), 'true');
  const rows = await card.locator('table.handoff-items tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.dataset.item, tr.querySelector('.quantity').textContent]));
  assert.deepEqual(rows, [['hygiene kit', '400'], ['high-energy biscuits', '120']]);
  const sign = card.getByRole('button', { name: 'Countersign and submit' });
  assert.equal(await sign.isDisabled(), true, 'countersigning waits for the check');
  await card.getByLabel(/I have checked these items/).check();
  await sign.click();

  // Logged with both signatures, as the reconciliation shows.
  const receipt = receiver.page.locator('#activity .receipt').filter({ hasText: 'custody.transfer logged' }).first();
  await receipt.waitFor(WAIT);
  const index = Number(await receipt.getAttribute('data-index'));
  const entry = (await demo.api(`/v1/entries/${index}`)).body;
  assert.equal(entry.statement.type, 'custody.transfer');
  assert.deepEqual(entry.statement.body.items.map((i) => [i.item, i.quantity]), [['hygiene kit', 400], ['high-energy biscuits', 120]]);
  const offered = (await demo.api(`/v1/entries/${messageIndex}`)).body;
  assert.equal(offered.statement.type, 'message.send');
  assert.ok(offered.statement.body.text.includes(entry.statement.id), 'the logged hand-off is the one offered');
  const chain = await handOffs(consignment);
  assert.equal(chain.length, 1);
  assert.equal(chain[0].ref, `${entry.statement.issuer}/${entry.statement.id}`);
  assert.equal(chain[0].transfer.from, SENDER);
  assert.equal(chain[0].transfer.to, RECEIVER);

  // The offer is settled: acknowledged, and off the receiver's list.
  await card.waitFor({ state: 'detached', ...WAIT });
  const { messages } = (await demo.api(`/v1/messages?to=${RECEIVER}`)).body;
  assert.ok(messages.find((m) => m.index === messageIndex).acknowledged_by.some((a) => a.party === RECEIVER));

  await receipt.getByRole('button', { name: 'Verify receipt' }).click();
  await receiver.page.waitForSelector(`#activity .receipt[data-index="${index}"] output.verdict[data-verdict="verified"]`, WAIT);
  assert.deepEqual(sender.problems, []);
  assert.deepEqual(receiver.problems, []);
  await sender.context.close();
  await receiver.context.close();
});

test('the receiver refuses a hand-off with a reason, and the sender receives it', { timeout: 120000 }, async () => {
  const consignment = 'EX-HANDOFF-02';
  const sender = await party(SENDER);
  const receiver = await party(RECEIVER);
  const messageIndex = await offer(sender.page, { consignment, to: RECEIVER, items: '50, kits, trauma kit' });
  const card = receiver.page.locator(`#handoffs-waiting article.handoff[data-consignment="${consignment}"]`);
  await card.waitFor(WAIT);
  await card.getByRole('button', { name: 'Refuse…' }).click();
  await card.getByLabel('Reason, sent to the sender').fill('Only 45 trauma kits arrived; five cartons were crushed.');
  await card.getByRole('button', { name: 'Sign and send refusal' }).click();
  await card.waitFor({ state: 'detached', ...WAIT });

  const { messages } = (await demo.api(`/v1/messages?to=${SENDER}`)).body;
  const offerRef = `${SENDER}/${(await demo.api(`/v1/entries/${messageIndex}`)).body.statement.id}`;
  const refusal = messages.find((m) => m.from === RECEIVER && m.refs.includes(offerRef));
  assert.ok(refusal, 'the refusal answers the offer');
  assert.match(refusal.text, /Only 45 trauma kits arrived/);
  assert.deepEqual(await handOffs(consignment), [], 'a refused hand-off is never logged');
  assert.deepEqual(receiver.problems, []);
  await sender.context.close();
  await receiver.context.close();
});

test('an offer no receiver could countersign is refused before it is sent', { timeout: 120000 }, async () => {
  const sender = await party(SENDER);
  const form = sender.page.locator('#form-handoff');
  for (const [items, said] of [['0, kits, trauma kit', /positive number/], ['-5, kits, trauma kit', /positive number/],
    ['1e20, kits, trauma kit', /positive number/], ['5, kits, trauma kit\n6, kits, trauma kit', /listed twice/]]) {
    const size = (await demo.api('/v1/log')).body.size;
    await form.getByLabel('Consignment').fill('EX-HANDOFF-BAD');
    await form.getByLabel(/^Items/).fill(items);
    await form.getByRole('button', { name: 'Sign and send for countersigning' }).click();
    await sender.page.waitForFunction((re) => new RegExp(re).test(document.querySelector('#form-handoff .form-status').textContent), said.source, WAIT);
    assert.equal((await demo.api('/v1/log')).body.size, size, `nothing was sent for ${JSON.stringify(items)}`);
  }
  assert.deepEqual(sender.problems, []);
  await sender.context.close();
});

test('a hand-off the server refuses is explained, and nothing is logged', { timeout: 120000 }, async () => {
  // Another client, with no checks of its own, offers a quantity of zero.
  const consignment = 'EX-HANDOFF-03';
  const from = parsePrivateKey((await readFile(demo.keyPath(SENDER), 'utf8')).trim());
  const transfer = newStatement('custody.transfer', SENDER, { consignment, from: SENDER, to: RECEIVER, items: [{ item: 'trauma kit', unit: 'kits', quantity: 0 }] });
  const sent = await demo.api('/v1/statements', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify(signStatement(newStatement('message.send', SENDER, { to: [RECEIVER], subject: `Custody hand-off for your signature: ${consignment}`,
      text: offerText(transfer, signStatement(transfer, from)) }), from)) });
  assert.equal(sent.status, 201, JSON.stringify(sent.body));
  const sender = await party(SENDER);
  const receiver = await party(RECEIVER);
  const card = receiver.page.locator(`#handoffs-waiting article.handoff[data-consignment="${consignment}"]`);
  await card.waitFor(WAIT);
  const size = (await demo.api('/v1/log')).body.size;
  await card.getByLabel(/I have checked these items/).check();
  await card.getByRole('button', { name: 'Countersign and submit' }).click();
  await receiver.page.waitForSelector('#problem.shown', WAIT);
  assert.match(await receiver.page.locator('#problem .code').textContent(), /nonpositive_quantity/);
  assert.match(await receiver.page.locator('#problem .detail').textContent(), /quantity/);
  assert.equal((await demo.api('/v1/log')).body.size, size, 'the log did not grow');
  assert.equal(await card.isVisible(), true, 'the offer still waits');
  assert.deepEqual(receiver.problems.filter((p) => !/status of 422/.test(p)), []);
  await sender.context.close();
  await receiver.context.close();
});

test('hand-offs at desktop and phone sizes: screenshots, no horizontal scroll', { timeout: 120000 }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'corridor-screens-'));
  const sender = await party(SENDER);
  await offer(sender.page, { consignment: 'EX-HANDOFF-04', to: RECEIVER, items: '10, kits, hygiene kit' });
  for (const [width, height] of [[1280, 800], [390, 844]]) {
    const receiver = await party(RECEIVER, { width, height });
    await receiver.page.locator('#handoffs-waiting article.handoff[data-consignment="EX-HANDOFF-04"]').waitFor(WAIT);
    const file = path.join(dir, `custody-${width}x${height}.png`);
    await receiver.page.screenshot({ path: file, fullPage: width < 800 });
    console.log(`screenshot: ${file}`);
    const fits = await receiver.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    assert.equal(fits, true, `no horizontal scroll at ${width}`);
    assert.deepEqual(receiver.problems, []);
    await receiver.context.close();
  }
  await sender.context.close();
});

test('the consignment list pages on demand', { timeout: 120000 }, async () => {
  const key = async (p) => parsePrivateKey((await readFile(demo.keyPath(p), 'utf8')).trim());
  const [from, to] = [await key(SENDER), await key(RECEIVER)];
  for (let i = 0; i < 45; i++) {
    const body = { consignment: `EX-PAGE-${String(i).padStart(2, '0')}`, from: SENDER, to: RECEIVER, items: [{ item: 'hygiene kit', unit: 'kits', quantity: 1 }] };
    const envelope = countersignEnvelope(signStatement(newStatement('custody.transfer', SENDER, body), from), to);
    const res = await demo.api('/v1/statements', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(envelope) });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  }
  const all = [];
  for (let after; ;) {
    const page = (await demo.api(`/v1/consignments?limit=1000${after ? `&after=${encodeURIComponent(after)}` : ''}`)).body;
    all.push(...page.consignments.map((c) => c.consignment));
    if (page.next_after === null || page.next_after === undefined) break;
    after = page.next_after;
  }
  assert.ok(all.length > 40, `${all.length} consignments`);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const { page, problems } = await openPage(context, demo.base);
  await page.locator('#tab-custody').click();
  const shown = () => page.locator('#custody-body article.consignment:not([data-awaiting])').evaluateAll((as) => as.map((a) => a.dataset.consignment));
  await page.waitForSelector('#custody-body button.show-more', WAIT);
  const first = await shown();
  assert.deepEqual(first, all.slice(0, 20), 'the first page, in id order');
  await page.locator('#custody-body button.show-more').click();
  await page.waitForFunction(() => document.querySelectorAll('#custody-body article.consignment:not([data-awaiting])').length === 40, null, WAIT);
  assert.deepEqual(await shown(), all.slice(0, 40));
  assert.deepEqual(problems, []);
  await context.close();
});
