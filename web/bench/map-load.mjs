// Measures the console on a server that holds a large record: the time from
// navigation to the first sites drawn on the map and to the page being ready,
// and the page's memory (JavaScript heap and DOM nodes) once it has settled.
// Prints numbers; asserts nothing.
//
//   node bench/map-load.mjs http://127.0.0.1:PORT [--runs 3]
//
// A record of 1,000,000 sites: `corridor bench movement --http --sites 1000000
// --zones 0 --operations 0 --movements 0 --keep DIR`, then
// `corridor serve --data DIR`.

import { launchBrowser } from '../tests/harness.mjs';

const args = process.argv.slice(2);
const base = args.find((a) => a.startsWith('http'));
const runs = Number(args[args.indexOf('--runs') + 1]) || 3;
if (!base) {
  console.error('usage: node bench/map-load.mjs http://HOST:PORT [--runs N]');
  process.exit(2);
}

const sites = await (await fetch(`${base}/v1/sites?limit=1`)).json();
const log = await (await fetch(`${base}/v1/log`)).json();
console.log(`server ${base}: log size ${log.size}; first site ${sites.features[0]?.id ?? 'none'}`);

const browser = await launchBrowser();
try {
  for (let run = 1; run <= runs; run++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const t0 = Date.now();
    await page.goto(`${base}/`);
    await page.waitForSelector('.leaflet-overlay-pane path[data-layer="sites"]', { timeout: 300000 });
    const firstSites = Date.now() - t0;
    await page.waitForSelector('body[data-ready="true"]', { timeout: 300000 });
    const ready = Date.now() - t0;
    // Settled: the framed view's own load of the sites in view has been drawn.
    await page.waitForLoadState('networkidle');
    const drawn = await page.evaluate(() => document.querySelectorAll('.leaflet-overlay-pane path[data-layer="sites"]').length);
    const metrics = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
    const mb = (b) => (b / 1048576).toFixed(1);
    console.log(`run ${run}: first sites drawn ${firstSites} ms; ready ${ready} ms; ${drawn} sites drawn; `
      + `JS heap used ${mb(metrics.JSHeapUsedSize)} MiB of ${mb(metrics.JSHeapTotalSize)} MiB; DOM nodes ${metrics.Nodes}`);
    await context.close();
  }
} finally {
  await browser.close();
}
