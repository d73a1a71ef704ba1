// What the browser tests share: the real corridor binary running its demo
// scenario on a fresh data directory and a free port, Debian's chromium
// through playwright-core, pages that record console errors, and signing in
// with a party's key file. Not a test file itself (node --test picks only
// *.test.mjs here).
//
// CORRIDOR_BIN names the binary (default ../target/debug/corridor);
// CORRIDOR_CONSOLE_DIR, when set, is passed through so that the binary serves
// a freshly built console (node build.mjs) instead of its embedded one.

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = process.env.CORRIDOR_BIN || path.resolve(webDir, '../target/debug/corridor');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const WAIT = { timeout: 20000 };

/** Starts `corridor demo` on `dir`; resolves to { child, url } once it listens. */
export function startServer(dir) {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, ['demo', '--data', dir, '--listen', '127.0.0.1:0'], {
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no "listening on" line from ${BIN} within 120 s:\n${out}\n${err}`)), 120000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1].replace(/\/$/, '') });
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => { err += chunk; });
    child.on('error', (e) => { clearTimeout(timer); reject(new Error(`cannot start ${BIN}: ${e.message}`)); });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${BIN} exited with ${code}:\n${out}\n${err}`)); });
  });
}

/** Stops a server started by startServer and waits for it to exit. */
export async function stopServer(child) {
  if (!child || child.exitCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await gone;
}

/**
 * A demo server on a fresh temporary data directory: { child, base, dataDir,
 * keyPath(party), api(path, init), stop() }. `api` answers { status, body }.
 */
export async function startDemo() {
  const scratch = await mkdtemp(path.join(tmpdir(), 'corridor-console-'));
  const dataDir = path.join(scratch, 'data');
  const { child, url: base } = await startServer(dataDir);
  return {
    child,
    base,
    dataDir,
    keyPath: (party) => path.join(dataDir, 'keys', `${party}.key`),
    async api(p, init) {
      const res = await fetch(`${base}${p}`, init);
      return { status: res.status, body: await res.json() };
    },
    async stop() {
      await stopServer(child);
      await rm(scratch, { recursive: true, force: true });
    },
  };
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A page on `base` that records console errors and warnings and uncaught exceptions. */
export async function openPage(context, base) {
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(`${base}/`);
  await page.waitForSelector('body[data-ready="true"]', WAIT);
  return { page, problems };
}

/** Signs `party` in with its key file, as a person would, and waits until the page says so. */
export async function signIn(page, keyFile, party) {
  await page.setInputFiles('#keyfile', keyFile);
  await page.waitForFunction((p) => document.getElementById('whoami-name')?.textContent === p
    && !document.getElementById('whoami').hidden, party, WAIT);
}
