// Measures POST /v1/movements/preview, the dry run the movement form asks
// before signing: the first movement.request in the log is previewed again
// and again, one request after another, and the latency percentiles are
// printed. Asserts nothing.
//
//   node bench/preview.mjs http://127.0.0.1:8080 [--requests 1000]

const args = process.argv.slice(2);
const base = args.find((a) => a.startsWith('http'));
const requests = Number(args[args.indexOf('--requests') + 1]) || 1000;
if (!base) {
  console.error('usage: node bench/preview.mjs http://HOST:PORT [--requests N]');
  process.exit(2);
}

const { size } = await (await fetch(`${base}/v1/log`)).json();
let request = null;
for (let i = 0; i < size && !request; i++) {
  const { statement } = await (await fetch(`${base}/v1/entries/${i}`)).json();
  if (statement.type === 'movement.request') request = statement;
}
if (!request) {
  console.error('the log holds no movement.request to preview');
  process.exit(1);
}
const body = JSON.stringify({ issuer: request.issuer, type: 'movement.request', body: request.body });
const post = () => fetch(`${base}/v1/movements/preview`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

for (let i = 0; i < 50; i++) await (await post()).arrayBuffer();
const ms = [];
for (let i = 0; i < requests; i++) {
  const t = performance.now();
  const res = await post();
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`preview answered ${res.status}`);
  ms.push(performance.now() - t);
}
ms.sort((a, b) => a - b);
const at = (p) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))].toFixed(2);
console.log(`preview of ${request.issuer}/${request.id} (log size ${size}), ${requests} requests one after another: `
  + `p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${ms[ms.length - 1].toFixed(2)} ms`);
