// run.mjs — the operator admin and the guest page in headless Chromium
// (Debian's chromium, driven by playwright-core; no browser is ever
// downloaded), against the real `lucia` binary loaded with `lucia demo`.
// tests/run.sh runs it after the end-to-end suite and counts its results.
// guest.test.mjs starts an engine of its own (with a Resend stand-in) and
// is torn down after the last test.
//
//   node tests/browser/run.mjs [--summary FILE] [PATTERN...]
//
// LUCIA_BIN (default build/asan/lucia), LUCIA_CHROMIUM (default
// /usr/bin/chromium). Screenshots of every page at phone and laptop widths
// go to build/screenshots/. Prints one line per test and ends with
// "browser: N passed, M failed, K skipped"; --summary FILE gets
// "passed failed skipped".

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { Lucia } from './lucia.mjs';
import { tests as adminTests } from './admin.test.mjs';
import { tests as guestTests, teardown as guestTeardown } from './guest.test.mjs';
import { Skip } from './helpers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

function parseArgs(argv) {
  const out = { summary: null, patterns: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--summary') out.summary = argv[++i];
    else out.patterns.push(argv[i]);
  }
  return out;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const bin = process.env.LUCIA_BIN || join(repo, 'build', 'asan', 'lucia');
  const executablePath = process.env.LUCIA_CHROMIUM || '/usr/bin/chromium';
  const shots = join(repo, 'build', 'screenshots');
  mkdirSync(shots, { recursive: true });

  const tests = [...adminTests, ...guestTests];
  const selected = tests.filter((t) => !args.patterns.length || args.patterns.some((p) => t.name.includes(p)));
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const write = () => {
    if (args.summary) writeFileSync(args.summary, `${passed} ${failed} ${skipped}\n`);
  };

  if (!selected.length) {
    // A pattern meant for the e2e suite: nothing here to run, nothing to start.
    console.log('browser: 0 passed, 0 failed, 0 skipped (no test matches)');
    write();
    return 0;
  }

  const lucia = new Lucia(bin);
  let browser = null;
  try {
    lucia.demo();
    await lucia.start();
    // launch() gives each run a fresh temporary profile (--user-data-dir).
    browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 60000 });
    console.log(`browser: ${browser.version()} against ${lucia.url}`);
    for (const t of selected) {
      const started = Date.now();
      const ctx = { browser, lucia, shots };
      try {
        await withTimeout(t.fn(ctx), t.timeoutMs || 60000, t.name);
        passed++;
        console.log(`ok      ${t.name} (${Date.now() - started} ms)`);
      } catch (err) {
        if (err instanceof Skip) {
          skipped++;
          console.log(`skipped ${t.name}: ${err.message}`);
        } else {
          failed++;
          console.log(`FAILED  ${t.name}\n${indent(err && err.stack ? err.stack : String(err))}`);
        }
      } finally {
        await closeContexts(ctx);
      }
    }
  } catch (err) {
    failed++;
    console.log(`FAILED  setup\n${indent(err && err.stack ? err.stack : String(err))}`);
  } finally {
    if (browser) await browser.close().catch(() => {});
    try {
      await guestTeardown();
    } catch (err) {
      failed++;
      console.log(`FAILED  guest server\n${indent(err && err.stack ? err.stack : String(err))}`);
    }
    try {
      await lucia.stop();
    } catch (err) {
      failed++;
      console.log(`FAILED  server\n${indent(err.message)}`);
    }
    lucia.cleanup();
  }
  console.log(`browser: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  write();
  return failed === 0 ? 0 : 1;
}

async function closeContexts(ctx) {
  for (const c of ctx.contexts || []) await c.close().catch(() => {});
}

function withTimeout(promise, ms, name) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, fail) => {
      timer = setTimeout(() => fail(new Error(`${name}: timed out after ${ms} ms`)), ms);
    }),
  ]);
}

function indent(text) {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

process.exitCode = await main();
