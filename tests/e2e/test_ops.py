"""Operations (SPEC §9, issue 11) end to end, on both backends: the
integration report of GET /admin/status and `lucia status`, checked field by
field against what is configured and never carrying a secret; the production
posture (key lengths, public metrics, security headers on every answer);
`lucia backup` while serving, `lucia restore` refusing a live database, and
the rollback drill: migrate up, write, back up, migrate down and up, restore,
verify the audit chain and the ledger."""
import json
import os
import tempfile
import time
import unittest

import harness
from harness import Lucia, SERVICE_KEY, run_cli
import tokens
from test_stripe import BASE, event, header

JWT = "hs256-ops-test-secret-0123456789abcdef0123"
STRIPE = "whsec_ops_test_secret_0123456789"
SECRETS = {
    "STRIPE_WEBHOOK_SECRET": STRIPE,
    "TWILIO_AUTH_TOKEN": "twilio-ops-token-0123456789abcdef",
    "TWILIO_ACCOUNT_SID": "ACops0123456789",
    "LUCIA_POSTMARK_USER": "pm-ops-user-xyz",
    "LUCIA_POSTMARK_PASSWORD": "pm-ops-password-0123456789",
    "RESEND_API_KEY": "re_ops_key_0123456789abcdef",
    "LUCIA_EMAIL_FROM": "ops@example.test",
    "LUCIA_JWT_SECRET": JWT,
    "LUCIA_OPENAI_API_KEY": "sk-ops-0123456789abcdef",
    "LUCIA_MODEL_FOCUS_OPS_REPLY": "gpt-4o-mini",
    # the model's base URL is a closed local port: no call leaves the machine
    "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
}
NAMES = ["database", "sessions", "stripe", "twilio", "postmark", "resend", "jwt", "model"]
STATES = {"implemented", "configured", "tested", "deferred"}


def rows(report):
    return {r["name"]: r for r in report["integrations"]}


class StatusTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.full = Lucia(env=SECRETS).start()
        cls.bare = Lucia().start()

    @classmethod
    def tearDownClass(cls):
        cls.full.close()
        cls.bare.close()

    def status(self, lucia, **kw):
        r = lucia.get("/admin/status", **kw)
        self.assertEqual(r.status, 200, r)
        return r

    def assertNoSecret(self, text):
        for name, value in list(SECRETS.items()) + [("LUCIA_SERVICE_KEY", SERVICE_KEY)]:
            if name in ("LUCIA_EMAIL_FROM", "LUCIA_MODEL_FOCUS_OPS_REPLY", "OPENAI_BASE_URL"):
                continue  # an address, not a secret
            self.assertNotIn(value, text, name)

    def test_every_integration_with_a_state_and_a_why(self):
        report = self.status(self.bare).json()
        # SPEC §9's eight first; other modules may register more after them.
        self.assertEqual([r["name"] for r in report["integrations"]][:8], NAMES)
        for r in report["integrations"]:
            self.assertIn(r["state"], STATES, r)
            self.assertTrue(r["why"], r)
        self.assertEqual(report["env"], "development")

    def test_unconfigured_integrations_are_deferred(self):
        got = rows(self.status(self.bare).json())
        for name in ["stripe", "twilio", "postmark", "resend", "jwt", "model"]:
            self.assertEqual(got[name]["state"], "deferred", got[name])
            self.assertIsNone(got[name]["proved_at"])
        self.assertIn("STRIPE_WEBHOOK_SECRET", got["stripe"]["why"])

    def test_database_and_sessions_are_proved_by_live_pings(self):
        got = rows(self.status(self.full).json())
        for name in ["database", "sessions"]:
            self.assertEqual(got[name]["state"], "tested", got[name])
            self.assertRegex(got[name]["proved_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        if harness.ON_POSTGRES:
            self.assertIn("PostgreSQL", got["database"]["detail"])
            self.assertIn("Redis", got["sessions"]["detail"])
        else:
            self.assertIn("SQLite", got["database"]["detail"])

    def test_configured_is_not_tested_until_proved(self):
        got = rows(self.status(self.full).json())
        for name in ["twilio", "postmark", "resend", "model"]:
            self.assertEqual(got[name]["state"], "configured", got[name])
            self.assertIsNone(got[name]["proved_at"], got[name])

    def test_a_verified_stripe_webhook_makes_stripe_tested(self):
        body = event("payment_intent.processing", "_ops", BASE, booking=None)
        r = self.full.post("/webhooks/stripe", body=body, token=None,
                           headers={"Content-Type": "application/json",
                                    "Stripe-Signature": header(body, secret=STRIPE)})
        self.assertEqual(r.status, 200, r)
        got = rows(self.status(self.full).json())
        self.assertEqual(got["stripe"]["state"], "tested", got["stripe"])
        self.assertIsNotNone(got["stripe"]["proved_at"])

    def test_a_bad_signature_proves_nothing(self):
        lucia = Lucia(env={"STRIPE_WEBHOOK_SECRET": STRIPE}).start()
        try:
            body = event("payment_intent.processing", "_bad", BASE, booking=None)
            r = lucia.post("/webhooks/stripe", body=body, token=None,
                           headers={"Stripe-Signature": header(body, secret="whsec_wrong")})
            self.assertEqual(r.status, 400, r)
            got = rows(self.status(lucia).json())
            self.assertEqual(got["stripe"]["state"], "configured")
        finally:
            lucia.close()

    def test_a_verified_operator_token_makes_jwt_tested(self):
        owner = tokens.hs256(tokens.claims_for("owner", []), JWT)
        got = rows(self.status(self.full, token=owner).json())  # that request proves it
        self.assertEqual(got["jwt"]["state"], "tested", got["jwt"])
        self.assertIn("HS256", got["jwt"]["detail"])

    def test_roles(self):
        self.assertEqual(self.full.get("/admin/status", token=None).status, 401)
        op = tokens.hs256(tokens.claims_for("operator", []), JWT)
        self.assertEqual(self.full.get("/admin/status", token=op).status, 403)
        viewer = tokens.hs256(tokens.claims_for("viewer", []), JWT)
        self.assertEqual(self.full.get("/admin/status", token=viewer).status, 403)

    def test_no_secret_in_the_report_or_its_headers(self):
        r = self.status(self.full)
        self.assertNoSecret(json.dumps(r.json()) + json.dumps(dict(r.headers)))
        cli = run_cli(["status", "--json"], env=SECRETS, db=self.full)
        self.assertEqual(cli.returncode, 0, cli.stderr)
        self.assertNoSecret(cli.stdout + cli.stderr)

    def test_eval_adds_health_readiness_and_status_rows(self):
        url = "http://127.0.0.1:%d" % self.bare.port
        r = run_cli(["eval", "--url", url, "--key", SERVICE_KEY])
        table = r.stdout[r.stdout.index("check "):]
        for check in ("health", "readiness", "status"):
            self.assertRegex(table, r"(?m)^%s +PASS " % check)
        self.assertNotIn(SERVICE_KEY, r.stdout + r.stderr)

    def test_cli_status_matches_the_configuration(self):
        cli = run_cli(["status", "--json"], env=SECRETS, db=self.full)
        self.assertEqual(cli.returncode, 0, cli.stderr)
        got = rows(json.loads(cli.stdout))
        self.assertEqual(list(got)[:8], NAMES)
        self.assertEqual(got["database"]["state"], "tested")
        self.assertEqual(got["sessions"]["state"], "tested")
        for name in ["stripe", "twilio", "postmark", "resend", "jwt", "model"]:
            self.assertEqual(got[name]["state"], "configured", got[name])
        text = run_cli(["status"], db=self.bare)
        self.assertEqual(text.returncode, 0, text.stderr)
        self.assertRegex(text.stdout, r"(?m)^stripe\s+deferred\s")
        self.assertRegex(text.stdout, r"(?m)^database\s+tested\s")


class PostureTest(unittest.TestCase):
    PROD = {"LUCIA_ENV": "production", "LUCIA_SERVICE_KEY": SERVICE_KEY}

    def refused(self, env, words):
        with tempfile.TemporaryDirectory() as tmp:
            full = dict(self.PROD, LUCIA_DB_PATH=os.path.join(tmp, "x.db"), **env)
            r = run_cli(["status"], env=full)
            self.assertEqual(r.returncode, 1, r.stdout)
            self.assertIn(words, r.stderr)
            return r

    def test_short_service_key_refused_in_production(self):
        self.refused({"LUCIA_SERVICE_KEY": "short-key"}, "LUCIA_SERVICE_KEY must be at least 32")

    def test_short_hs256_secret_refused_in_production(self):
        self.refused({"LUCIA_JWT_SECRET": "x" * 31}, "LUCIA_JWT_SECRET (HS256) must be at least 32")

    def test_public_metrics_need_an_explicit_allowance(self):
        self.refused({"LUCIA_METRICS_PUBLIC": "1"}, "LUCIA_METRICS_PUBLIC_IN_PRODUCTION")
        lucia = Lucia(env=dict(self.PROD, LUCIA_METRICS_PUBLIC="1",
                               LUCIA_METRICS_PUBLIC_IN_PRODUCTION="1", LUCIA_JWT_SECRET=JWT))
        try:
            lucia.start()
            self.assertEqual(lucia.get("/metrics", token=None).status, 200)
        finally:
            lucia.close()

    def test_short_secrets_still_allowed_in_development(self):
        with Lucia(env={"LUCIA_JWT_SECRET": "short"}) as lucia:
            self.assertEqual(lucia.get("/health").status, 200)

    def test_security_headers_on_every_answer(self):
        with Lucia() as lucia:
            for path, token in [("/health", None), ("/api/properties", SERVICE_KEY),
                                ("/api/properties", None), ("/nowhere", None),
                                ("/admin/status", SERVICE_KEY)]:
                r = lucia.get(path, token=token)
                self.assertEqual(r.header("X-Content-Type-Options"), "nosniff", path)
                self.assertEqual(r.header("X-Frame-Options"), "DENY", path)
                self.assertEqual(r.header("Referrer-Policy"), "no-referrer", path)
                self.assertIn("frame-ancestors 'none'", r.header("Content-Security-Policy"))
                self.assertIsNone(r.header("Strict-Transport-Security"), path)
            page = lucia.get("/", token=None)
            self.assertIn("default-src 'self'", page.header("Content-Security-Policy"))

    def test_hsts_only_behind_an_https_public_url(self):
        with Lucia(env={"LUCIA_PUBLIC_URL": "https://lucia.example.test"}) as lucia:
            hsts = lucia.get("/health", token=None).header("Strict-Transport-Security")
            self.assertIn("max-age=", hsts or "")


def has_pg_tools():
    import shutil
    return shutil.which("pg_dump") is not None and shutil.which("pg_restore") is not None


class BackupTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="lucia-ops-")
        self.file = os.path.join(self.tmp, "backup.bin")
        if harness.ON_POSTGRES and not has_pg_tools():
            self.skipTest("pg_dump/pg_restore not installed")

    def cli(self, args, db, ok=True):
        r = run_cli(args, db=db, timeout=120)
        if ok:
            self.assertEqual(r.returncode, 0, (args, r.stdout, r.stderr))
        return r

    def test_backup_while_serving_and_restore_refused_while_live(self):
        with Lucia() as lucia:
            made = lucia.post("/api/properties", {"name": "Villa Backup"})
            self.assertEqual(made.status, 201, made)
            self.cli(["backup", self.file], lucia)
            self.assertTrue(os.path.getsize(self.file) > 0)
            self.assertFalse(os.path.exists(self.file + ".partial"))
            r = self.cli(["restore", self.file], lucia, ok=False)
            self.assertEqual(r.returncode, 1, r.stdout)
            self.assertIn("--force", r.stderr)
            # still serving, untouched
            self.assertEqual(lucia.get("/api/properties/%s" % made.json()["id"]).status, 200)

    def test_restore_of_a_missing_or_bad_file(self):
        with Lucia() as lucia:
            lucia.stop()
            bad = os.path.join(self.tmp, "bad.bin")
            with open(bad, "w") as f:
                f.write("not a backup")
            for path in [bad, os.path.join(self.tmp, "missing.bin")]:
                r = self.cli(["restore", path], lucia, ok=False)
                self.assertEqual(r.returncode, 1, r.stdout)
                self.assertIn("restore failed", r.stderr)
            self.assertEqual(self.cli(["audit", "verify"], lucia).returncode, 0)

    def test_scheduled_backups_rotate(self):
        folder = os.path.join(self.tmp, "scheduled")
        os.mkdir(folder)
        with Lucia(env={"LUCIA_BACKUP_DIR": folder, "LUCIA_BACKUP_EVERY": "1",
                        "LUCIA_BACKUP_KEEP": "2"}) as lucia:
            deadline = time.time() + 30
            while time.time() < deadline and "removed the old" not in lucia.log_text():
                time.sleep(0.2)
            self.assertIn("removed the old", lucia.log_text())
            lucia.stop()
        files = sorted(os.listdir(folder))
        self.assertLessEqual(len([f for f in files if not f.endswith(".partial")]), 2, files)
        newest = os.path.join(folder, [f for f in files if f.startswith("lucia-")][-1])
        self.assertGreater(os.path.getsize(newest), 0)

    def test_scheduled_backup_settings_are_checked(self):
        with tempfile.TemporaryDirectory() as tmp:
            r = run_cli(["serve"], env={"LUCIA_DB_PATH": os.path.join(tmp, "x.db"),
                                        "LUCIA_BACKUP_DIR": os.path.join(tmp, "nowhere")})
            self.assertEqual(r.returncode, 1)
            self.assertIn("LUCIA_BACKUP_DIR", r.stderr)
            r = run_cli(["serve"], env={"LUCIA_DB_PATH": os.path.join(tmp, "x.db"),
                                        "LUCIA_BACKUP_DIR": tmp, "LUCIA_BACKUP_EVERY": "0"})
            self.assertEqual(r.returncode, 1)
            self.assertIn("LUCIA_BACKUP_EVERY", r.stderr)

    def test_rollback_drill(self):
        """Migrate up, write, back up, migrate down and up again, restore,
        verify the audit chain and the ledger."""
        lucia = Lucia()
        self.addCleanup(lucia.close)
        self.cli(["migrate", "up"], lucia)
        self.cli(["demo"], lucia)
        before = lucia.db.scalar("SELECT COUNT(*) FROM audit_events")
        props = lucia.db.scalar("SELECT COUNT(*) FROM properties")
        self.assertGreater(before, 0)
        self.cli(["backup", self.file], lucia)
        down = self.cli(["migrate", "down", "3"], lucia)
        self.assertIn("reverted 3", down.stdout)
        self.cli(["migrate", "up"], lucia)
        restored = self.cli(["restore", self.file], lucia)
        self.assertIn("audit chain ok", restored.stdout)
        self.assertIn("ledger clean", restored.stdout)
        self.assertEqual(lucia.db.scalar("SELECT COUNT(*) FROM audit_events"), before)
        self.assertEqual(lucia.db.scalar("SELECT COUNT(*) FROM properties"), props)
        self.assertEqual(self.cli(["audit", "verify"], lucia).returncode, 0)
        self.assertEqual(self.cli(["ledger", "reconcile"], lucia).returncode, 0)
        self.assertIn("0 pending", self.cli(["migrate", "status"], lucia).stdout)
        # and the engine serves the restored data
        lucia.start()
        self.assertEqual(lucia.get("/ready", token=None).status, 200)
        listed = lucia.get("/api/properties").json()
        self.assertEqual(len(listed.get("data", listed) if isinstance(listed, dict)
                             else listed), props)


if __name__ == "__main__":
    unittest.main()
