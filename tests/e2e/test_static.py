"""The operator admin's static files, served by the real binary from the
table embedded at build time (http/static.c): the page at /, its assets
under /static/, public, with the security headers on every answer (404s
included), an ETag and revalidation, no way out of admin/, and the API's
own 404/405 answers untouched."""
import os
import unittest

from harness import SERVICE_KEY, Lucia

ADMIN_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "admin"))


class StaticTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lucia = Lucia().start()

    @classmethod
    def tearDownClass(cls):
        cls.lucia.close()

    def get(self, path, **kw):
        return self.lucia.request("GET", path, token=None, **kw)

    def assertSecurityHeaders(self, r, path):
        csp = r.header("Content-Security-Policy") or ""
        for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'",
                          "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'",
                          "form-action 'self'", "object-src 'none'"):
            self.assertIn(directive, csp, path)
        self.assertNotIn("unsafe-inline", csp, path)
        self.assertNotIn("unsafe-eval", csp, path)
        self.assertEqual(r.header("X-Content-Type-Options"), "nosniff", path)
        self.assertEqual(r.header("X-Frame-Options"), "DENY", path)
        self.assertEqual(r.header("Referrer-Policy"), "no-referrer", path)

    def test_the_page_is_public_with_security_headers(self):
        r = self.get("/")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), "text/html; charset=utf-8")
        self.assertSecurityHeaders(r, "/")
        self.assertEqual(r.header("Cache-Control"), "no-cache")
        self.assertRegex(r.header("ETag") or "", r'^"[0-9a-f]{16}"$')
        self.assertIn(b'<script type="module" src="/static/app.js">', r.body)
        self.assertNotIn(SERVICE_KEY.encode(), r.body)
        self.assertTrue(r.header("X-Request-Id"))

    def test_every_admin_file_is_served_with_its_type(self):
        types = {".html": "text/html", ".js": "text/javascript", ".css": "text/css",
                 ".svg": "image/svg+xml", ".png": "image/png", ".json": "application/json"}
        served = 0
        for root, _, files in os.walk(ADMIN_DIR):
            for name in files:
                rel = os.path.relpath(os.path.join(root, name), ADMIN_DIR).replace(os.sep, "/")
                r = self.get("/static/" + rel)
                self.assertEqual(r.status, 200, rel)
                with open(os.path.join(root, name), "rb") as f:
                    self.assertEqual(r.body, f.read(), rel)
                ext = os.path.splitext(name)[1]
                self.assertTrue((r.header("Content-Type") or "").startswith(types[ext]), rel)
                self.assertSecurityHeaders(r, rel)
                served += 1
        self.assertGreater(served, 10)

    def test_etag_revalidation_answers_304(self):
        first = self.get("/static/app.js")
        etag = first.header("ETag")
        again = self.get("/static/app.js", headers={"If-None-Match": etag})
        self.assertEqual(again.status, 304)
        self.assertEqual(again.body, b"")
        self.assertEqual(again.header("ETag"), etag)
        self.assertSecurityHeaders(again, "304")
        weak = self.get("/static/app.js", headers={"If-None-Match": '"x", W/' + etag})
        self.assertEqual(weak.status, 304)
        other = self.get("/static/app.js", headers={"If-None-Match": '"0000000000000000"'})
        self.assertEqual(other.status, 200)
        self.assertNotEqual(self.get("/static/admin.css").header("ETag"), etag)

    def test_head_answers_headers_only(self):
        r = self.lucia.request("HEAD", "/", token=None)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"")
        self.assertSecurityHeaders(r, "HEAD /")

    def test_unknown_files_are_404_with_the_headers(self):
        for path in ("/static/nope.js", "/static/pages/nope.js", "/static/nope/app.js",
                     "/static/a/b/c.js", "/static/index.htm", "/static/", "/index.html",
                     "/favicon.ico", "/static/app.js.map"):
            r = self.get(path)
            self.assertEqual(r.status, 404, path)
            self.assertEqual(r.json()["error"]["code"], "not_found", path)
            if path.count("/") in (2, 3) and path != "/static/":  # routed to static.c
                self.assertSecurityHeaders(r, path)

    def test_no_way_out_of_admin(self):
        # The SQL migrations sit in the same embedded table: never served.
        for path in ("/static/../sql/sqlite/0001_properties.up.sql",
                     "/static/%2e%2e/sql/sqlite/0001_properties.up.sql",
                     "/static/..%2fsql%2fsqlite%2f0001_properties.up.sql",
                     "/static/pages/..%2f..%2fsql%2fsqlite%2f0001_properties.up.sql",
                     "/static/sql/sqlite/0001_properties.up.sql",
                     "/static/.%2e/.%2e/etc/passwd", "/static/..", "/static/.hidden.js",
                     "/static/%00app.js", "/static//app.js"):
            r = self.get(path)
            self.assertIn(r.status, (400, 404), path)
            self.assertNotIn(b"CREATE TABLE", r.body, path)
            self.assertNotIn(b"root:", r.body, path)
        # libmicrohttpd hands the decoded path over as a C string, so a %00
        # ends it: the most that can do is name another admin file.
        r = self.get("/static/app.js%00.sql")
        self.assertNotIn(b"CREATE TABLE", r.body)
        self.assertTrue(r.status == 404 or r.body == self.get("/static/app.js").body)

    def test_other_methods_are_405_and_api_paths_keep_their_answers(self):
        r = self.lucia.request("POST", "/", body={}, token=None)
        self.assertEqual(r.status, 405)
        self.assertEqual(r.header("Allow"), "GET")
        r = self.lucia.request("DELETE", "/static/app.js", token=None)
        self.assertEqual(r.status, 405)
        self.assertEqual(self.get("/health").status, 200)
        self.assertEqual(self.get("/api/nope").json()["error"]["code"], "not_found")
        self.assertEqual(self.get("/api/items").status, 401)
        self.assertEqual(self.lucia.request("PUT", "/api/items", token=SERVICE_KEY).status, 405)
        # API answers stay uncacheable.
        self.assertEqual(self.lucia.get("/api/items").header("Cache-Control"), "no-store")


if __name__ == "__main__":
    unittest.main()
