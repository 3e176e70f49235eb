// helpers.mjs — what the browser tests share: pages at phone and laptop
// sizes that fail on uncaught errors and CSP violations, signing in, waiting
// for a page's data, and plain assertions.

import { join } from 'node:path';
import { operatorToken } from './lucia.mjs';

export class Skip extends Error {}

export const PHONE = { width: 390, height: 844 };
export const LAPTOP = { width: 1366, height: 900 };

export function assert(cond, message) {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}

export function assertEqual(actual, expected, message) {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`${message}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

/**
 * A fresh context (its own sessionStorage) and page. Uncaught page errors
 * and Content-Security-Policy violations are collected in page.problems and
 * fail the test when it calls checkClean(page).
 */
export async function newPage(ctx, viewport = LAPTOP, opts = {}) {
  const context = await ctx.browser.newContext({
    viewport,
    deviceScaleFactor: 1,
    isMobile: viewport.width < 600,
    hasTouch: viewport.width < 600,
    locale: 'en-GB',
    timezoneId: 'Europe/Rome',
    reducedMotion: 'reduce',
    ...opts,
  });
  (ctx.contexts ||= []).push(context);
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (err) => page.problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    const text = msg.text();
    if (/Content Security Policy|Refused to (execute|load|apply)/i.test(text)) page.problems.push(`CSP: ${text}`);
  });
  page.setDefaultTimeout(15000);
  return page;
}

export function checkClean(page) {
  if (page.problems.length) throw new Error(`problems in the page:\n${page.problems.join('\n')}`);
}

/** The demo's properties, for an operator token that may see both. */
export async function propertyIds(lucia) {
  const r = await lucia.api('GET', '/api/properties');
  return r.body.data.map((p) => p.id);
}

export async function operator(lucia, extra = {}) {
  return operatorToken({ properties: await propertyIds(lucia), ...extra });
}

/** Opens the admin and signs in through the form; waits for Today. */
export async function signIn(page, lucia, token) {
  await page.goto(`${lucia.url}/`);
  await page.getByLabel('Operator token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('h1', { hasText: 'Today' }).waitFor();
}

/** Waits until no "Loading…" placeholder is left on the page. */
export async function settled(page, timeout = 15000) {
  await page.waitForFunction(() => !document.querySelector('.loading') && document.querySelector('h1'), null, { timeout });
  await page.waitForTimeout(150); // fonts and a last layout pass
}

/** The page fits its viewport: nothing scrolls sideways. */
export async function assertNoSidewaysScroll(page, what) {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  assert(scroll <= width + 1, `${what}: the page scrolls sideways (${scroll} > ${width})`);
}

export async function screenshot(page, ctx, name) {
  await page.screenshot({ path: join(ctx.shots, `${name}.png`), fullPage: true });
}

export async function until(fn, timeoutMs = 10000, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
