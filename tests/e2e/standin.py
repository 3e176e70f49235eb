"""standin.py — local stand-ins for Resend's and Twilio's REST APIs, which
are external paid services (our own database is never faked).

One StandIn is an HTTP server on 127.0.0.1 (a free port) inside the test
process, answering:
  POST /emails                                   as Resend: bearer key, JSON
                                                 {from,to,subject,text}, and
                                                 Idempotency-Key honoured the
                                                 way Resend does (the same key
                                                 answers the first id again)
  POST /2010-04-01/Accounts/{SID}/Messages.json  as Twilio: HTTP Basic
                                                 SID:token, form To/From/Body,
                                                 201 {"sid","status"}

Every request is recorded (time, key, recipient, body, answer). A plan makes
the next requests to a recipient misbehave, step by step:
    standin.plan("flaky@", 500, 500)             two 500s, then success
    standin.plan("slow@", ("sleep", 2.5))        accept, answer 2.5 s later
    standin.plan("busy@", (429, {"Retry-After": "1"}))
    standin.plan("+1555", 400)                   Twilio's invalid 'To'
Once a plan's steps are used up, the recipient succeeds.

Bounded: requests are recorded up to REQUESTS_MAX, bodies read up to
BODY_BYTES_MAX, sleeps capped at SLEEP_MAX_S, and stop() shuts the server
down in-process (its handler threads are daemons and end with their sleep).
"""
import base64
import http.server
import json
import threading
import time
import urllib.parse

REQUESTS_MAX = 20000
BODY_BYTES_MAX = 1 << 20
SLEEP_MAX_S = 30.0

RESEND_KEY = "re_standin_0123456789abcdef"
TWILIO_SID = "AC0123456789abcdef0123456789abcdef"
TWILIO_TOKEN = "twilio_token_standin_0123456789"
EMAIL_FROM = "Lucia <hello@lucia.example>"
SMS_FROM = "+15005550006"
WHATSAPP_FROM = "whatsapp:+15005550007"


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that hung up (a timeout test, a killed engine) is expected


class StandIn:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []      # every request, in arrival order
        self.plans = []         # [substring, [steps]]
        self.ids_by_key = {}    # Resend: Idempotency-Key -> id
        self.deliveries = []    # what a real provider would have delivered
        self.counter = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                outer._handle(self)

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)

    # -- life cycle ---------------------------------------------------------
    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def env(self, email=True, twilio=True):
        """What points Lucia at these stand-ins."""
        e = {}
        if email:
            e.update({"RESEND_API_KEY": RESEND_KEY, "RESEND_API_URL": self.url,
                      "LUCIA_EMAIL_FROM": EMAIL_FROM})
        if twilio:
            e.update({"TWILIO_ACCOUNT_SID": TWILIO_SID, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
                      "TWILIO_API_URL": self.url, "TWILIO_FROM_NUMBER": SMS_FROM,
                      "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM})
        return e

    # -- behaviour ------------------------------------------------------------
    def plan(self, match, *steps):
        with self.lock:
            self.plans.append([match, list(steps)])

    def _next_step(self, recipient):
        with self.lock:
            for p in self.plans:
                if p[0] in recipient and p[1]:
                    return p[1].pop(0)
        return None

    # -- what happened ------------------------------------------------------
    def received(self, pred=None):
        with self.lock:
            return [r for r in self.requests if pred is None or pred(r)]

    def delivered(self, pred=None):
        with self.lock:
            return [d for d in self.deliveries if pred is None or pred(d)]

    def wait_for(self, pred, timeout=20.0, what="stand-in condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pred():
                return
            time.sleep(0.05)
        raise AssertionError("timed out after %.0fs waiting for %s" % (timeout, what))

    # -- the server side ------------------------------------------------------
    def _reply(self, h, status, body, headers=None):
        data = json.dumps(body).encode()
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(data)
        except OSError:
            pass  # the client gave up (a timeout test, or a killed engine)

    def _handle(self, h):
        n = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(min(n, BODY_BYTES_MAX))
        path = urllib.parse.urlsplit(h.path).path
        rec = {"t": time.monotonic(), "path": path, "auth": h.headers.get("Authorization"),
               "key": h.headers.get("Idempotency-Key")}
        if path == "/emails":
            rec["provider"] = "resend"
            try:
                body = json.loads(raw.decode("utf-8"))
            except ValueError:
                body = {}
            rec["json"] = body
            to = body.get("to") or [""]
            rec["to"] = to[0] if isinstance(to, list) else str(to)
        elif path == "/2010-04-01/Accounts/%s/Messages.json" % TWILIO_SID:
            rec["provider"] = "twilio"
            form = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode("utf-8")).items()}
            rec["form"] = form
            rec["to"] = form.get("To", "")
        else:
            rec["provider"] = "unknown"
            rec["to"] = ""
        with self.lock:
            if len(self.requests) < REQUESTS_MAX:
                self.requests.append(rec)
        if rec["provider"] == "resend":
            self._resend(h, rec)
        elif rec["provider"] == "twilio":
            self._twilio(h, rec)
        else:
            self._reply(h, 404, {"message": "not found"})

    def _step(self, h, rec, error_body):
        """Applies the recipient's next planned step; True when answered."""
        step = self._next_step(rec["to"])
        rec["step"] = step
        if step is None:
            return False
        if isinstance(step, tuple) and step[0] == "sleep":
            rec["slept"] = True
            return ("sleep", min(float(step[1]), SLEEP_MAX_S))
        status, headers = (step if isinstance(step, tuple) else (step, None))
        rec["answer"] = status
        self._reply(h, status, error_body(status), headers)
        return True

    def _resend(self, h, rec):
        if rec["auth"] != "Bearer " + RESEND_KEY:
            rec["answer"] = 401
            self._reply(h, 401, {"statusCode": 401, "name": "missing_api_key",
                                 "message": "Missing API key in the authorization header."})
            return
        names = {422: "validation_error", 429: "rate_limit_exceeded",
                 500: "application_error"}
        done = self._step(h, rec, lambda s: {
            "statusCode": s, "name": names.get(s, "error"),
            "message": "stand-in error %d for %s" % (s, rec["to"])})
        if done is True:
            return
        # Accepted: a repeated key answers the first id (Resend's idempotency).
        with self.lock:
            key = rec["key"]
            if key and key in self.ids_by_key:
                rid = self.ids_by_key[key]
                rec["replayed"] = True
            else:
                self.counter += 1
                rid = "re_%06d" % self.counter
                if key:
                    self.ids_by_key[key] = rid
                self.deliveries.append({"provider": "resend", "id": rid, "key": key,
                                        "to": rec["to"], "json": rec["json"]})
        if isinstance(done, tuple):
            time.sleep(done[1])
        rec["answer"] = 200
        rec["id"] = rid
        self._reply(h, 200, {"id": rid})

    def _twilio(self, h, rec):
        expected = "Basic " + base64.b64encode(
            ("%s:%s" % (TWILIO_SID, TWILIO_TOKEN)).encode()).decode()
        if rec["auth"] != expected:
            rec["answer"] = 401
            self._reply(h, 401, {"code": 20003, "message": "Authenticate", "status": 401})
            return
        codes = {400: 21211, 429: 20429, 500: 20500}
        done = self._step(h, rec, lambda s: {
            "code": codes.get(s, 20001), "status": s,
            "message": "stand-in error %d for %s" % (s, rec["to"])})
        if done is True:
            return
        with self.lock:
            self.counter += 1
            sid = "SM%032x" % self.counter
            self.deliveries.append({"provider": "twilio", "id": sid, "to": rec["to"],
                                    "form": rec["form"]})
        if isinstance(done, tuple):
            time.sleep(done[1])
        rec["answer"] = 201
        rec["id"] = sid
        self._reply(h, 201, {"sid": sid, "status": "queued", "to": rec["form"].get("To"),
                             "from": rec["form"].get("From")})
