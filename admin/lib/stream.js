// stream.js — the change stream (GET /api/stream, Server-Sent Events) read
// with fetch() instead of EventSource: EventSource cannot send an
// Authorization header, and the token must never go in a URL. So this
// reads the response body itself, parses the SSE lines, and reconnects on
// its own with the Last-Event-ID header set to the last event it received,
// which the engine honours, so nothing committed in between is missed.
//
// Reconnects wait the server's `retry:` (2 s) doubled per failed attempt,
// up to 30 s, with jitter. A stream silent for longer than three of the
// engine's heartbeats is taken for dead and reopened. A 401 signs out.

const RETRY_MS_DEFAULT = 2000;
const RETRY_MS_MAX = 30000;
const SILENCE_MS_MAX = 50000; // the engine pings every 15 s by default

export class LiveStream {
  /**
   * getToken(): the bearer token; on.event(ev) for each change
   * ({seq, action, entity_type, entity_id, property_id, data});
   * on.status('connecting'|'live'|'reconnecting'|'stopped'); on.open() each
   * time a connection is established (refresh views then: a reconnect may
   * follow a gap); on.unauthorized() for a 401.
   */
  constructor(getToken, on) {
    this.getToken = getToken;
    this.on = on;
    this.lastId = null;
    this.retryMs = RETRY_MS_DEFAULT;
    this.attempt = 0;
    this.stopped = true;
    this.controller = null;
    this.timer = null;
    this.watchdog = null;
    this.lastByteAt = 0;
    this.status = 'stopped';
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
    this.watchdog = setInterval(() => this.checkSilence(), 5000);
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.watchdog);
    if (this.controller) this.controller.abort();
    this.setStatus('stopped');
  }

  setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    this.on.status?.(status);
  }

  checkSilence() {
    if (this.status === 'live' && Date.now() - this.lastByteAt > SILENCE_MS_MAX) {
      this.controller?.abort(); // connect() sees the abort and reconnects
    }
  }

  async connect() {
    const token = this.getToken();
    if (!token || this.stopped) return;
    this.setStatus(this.attempt === 0 && this.lastId === null ? 'connecting' : 'reconnecting');
    const controller = new AbortController();
    this.controller = controller;
    const headers = { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' };
    if (this.lastId !== null) headers['Last-Event-ID'] = this.lastId;
    try {
      const res = await fetch('/api/stream', { headers, signal: controller.signal, cache: 'no-store' });
      if (res.status === 401) {
        this.stop();
        this.on.unauthorized?.();
        return;
      }
      if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
      this.attempt = 0;
      this.lastByteAt = Date.now();
      this.setStatus('live');
      this.on.open?.();
      await this.read(res.body);
    } catch {
      /* a network error, an abort or a bad status: reconnect below */
    }
    if (this.controller === controller) this.controller = null;
    if (this.stopped) return;
    this.setStatus('reconnecting');
    const backoff = Math.min(this.retryMs * 2 ** this.attempt, RETRY_MS_MAX);
    this.attempt = Math.min(this.attempt + 1, 10);
    this.timer = setTimeout(() => this.connect(), backoff / 2 + Math.random() * (backoff / 2));
  }

  async read(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      this.lastByteAt = Date.now();
      buffer += value.replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        this.dispatch(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  }

  /** One SSE block: id, event, data (joined), retry; comments ignored. */
  dispatch(block) {
    let id = null;
    const data = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'id') id = value;
      else if (field === 'data') data.push(value);
      else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
    }
    if (id !== null) this.lastId = id;
    if (data.length === 0) return;
    let event;
    try {
      event = JSON.parse(data.join('\n'));
    } catch {
      return;
    }
    this.on.event?.(event);
  }
}
