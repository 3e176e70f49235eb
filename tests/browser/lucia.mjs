// lucia.mjs — starts the real `lucia` binary for the browser tests: a temp
// dir, a SQLite file loaded with `lucia demo`, a free loopback port, a
// service key and an HS256 secret for operator tokens. Stopped by its own
// PID (SIGTERM, then SIGKILL after a bounded wait); sanitizer reports in
// its log fail the run, as in tests/e2e/harness.py.

import { spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const SERVICE_KEY = 'svc_browser_key_0123456789abcdef0123456789';
export const JWT_SECRET = 'browser-test-secret-0123456789abcdef';
export const TWILIO_AUTH_TOKEN = 'browser-test-twilio-token-0123456789';
const SANITIZER_MARKERS = ['ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', 'runtime error:'];
const PASSTHROUGH = ['PATH', 'ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS', 'LANG', 'TZ'];

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

const b64url = (buf) => Buffer.from(buf).toString('base64url');

/** An HS256 operator token signed here, independently of Lucia's code. */
export function operatorToken({ sub = 'ops-anna', role = 'operator', properties, ttlS = 3600 } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub, role, iat: now, exp: now + ttlS };
  if (properties) claims.properties = properties;
  const signing = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
  return `${signing}.${createHmac('sha256', JWT_SECRET).update(signing).digest('base64url')}`;
}

export class Lucia {
  constructor(bin) {
    this.bin = resolve(bin);
    this.tmp = mkdtempSync(join(process.env.TMPDIR || tmpdir(), 'lucia-browser-'));
    this.dbPath = join(this.tmp, 'lucia.db');
    this.logPath = join(this.tmp, 'server.log');
    this.proc = null;
  }

  env(extra = {}) {
    const env = {};
    for (const k of PASSTHROUGH) if (process.env[k] !== undefined) env[k] = process.env[k];
    return { ...env, LUCIA_DB_PATH: this.dbPath, LUCIA_SERVICE_KEY: SERVICE_KEY, LUCIA_JWT_SECRET: JWT_SECRET, LUCIA_LOG_LEVEL: 'info', ...extra };
  }

  /** `lucia demo` into the fresh database; throws with its output on failure. */
  demo() {
    const r = spawnSync(this.bin, ['demo'], { env: this.env(), cwd: this.tmp, encoding: 'utf8', timeout: 60000 });
    const out = `${r.stdout || ''}${r.stderr || ''}`;
    if (r.status !== 0 || SANITIZER_MARKERS.some((m) => out.includes(m))) {
      throw new Error(`lucia demo failed (${r.status}):\n${out.slice(-3000)}`);
    }
    return out;
  }

  async start() {
    this.port = await freePort();
    this.url = `http://127.0.0.1:${this.port}`;
    const log = openSync(this.logPath, 'a');
    // Heartbeats every second so a dropped stream is noticed quickly.
    this.proc = spawn(this.bin, ['serve'], {
      env: this.env({
        PORT: String(this.port),
        LUCIA_STREAM_HEARTBEAT_MS: '1000',
        // Inbound SMS/WhatsApp for the inbox test, signed as Twilio signs.
        LUCIA_PUBLIC_URL: this.url,
        TWILIO_AUTH_TOKEN,
      }),
      cwd: this.tmp,
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`lucia exited during start:\n${this.logText().slice(-3000)}`);
      try {
        const r = await fetch(`${this.url}/health`);
        if (r.status === 200) return this;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('lucia did not answer /health in 30 s');
  }

  logText() {
    try {
      return readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  /** Stops the server by its PID; throws when its log has a sanitizer report. */
  async stop() {
    const p = this.proc;
    if (p && p.exitCode === null) {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      const timer = setTimeout(() => p.kill('SIGKILL'), 20000);
      await exited;
      clearTimeout(timer);
    }
    this.proc = null;
    const text = this.logText();
    const hit = SANITIZER_MARKERS.find((m) => text.includes(m));
    if (hit) throw new Error(`sanitizer report in the server log:\n${text.slice(-5000)}`);
  }

  cleanup() {
    rmSync(this.tmp, { recursive: true, force: true });
  }

  /**
   * An inbound Twilio message webhook, signed with TWILIO_AUTH_TOKEN the way
   * Twilio documents it: base64 HMAC-SHA1 over the URL followed by every
   * parameter name and value, sorted by name. Returns the HTTP status.
   */
  async twilio(params) {
    const url = `${this.url}/webhooks/twilio`;
    const signed = url + Object.keys(params).sort().map((k) => k + params[k]).join('');
    const signature = createHmac('sha1', TWILIO_AUTH_TOKEN).update(signed).digest('base64');
    const r = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature },
      body: new URLSearchParams(params).toString(),
    });
    await r.text();
    return r.status;
  }

  /** The engine's API with the service key: {status, body, headers}. */
  async api(method, path, body, headers = {}) {
    const h = { Authorization: `Bearer ${SERVICE_KEY}`, ...headers };
    if (body !== undefined) h['Content-Type'] = 'application/json';
    const r = await fetch(`${this.url}${path}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    return { status: r.status, body: json, text, headers: r.headers };
  }
}
