"""/api/properties end to end: create, read, list with cursors, PATCH with
versions and If-Match, validation."""
import unittest

from harness import Lucia


class PropertiesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lucia = Lucia(env={"OPERATOR_TIME_ZONE": "America/New_York"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.lucia.close()

    def create(self, **body):
        r = self.lucia.post("/api/properties", body)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def test_create_and_read(self):
        p = self.create(name="Villa Serena", time_zone="Europe/Rome")
        self.assertRegex(p["id"], r"^prop_[0-9a-z]{26}$")
        self.assertEqual(p["name"], "Villa Serena")
        self.assertEqual(p["time_zone"], "Europe/Rome")
        self.assertEqual(p["version"], 1)
        self.assertRegex(p["created_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        r = self.lucia.get("/api/properties/" + p["id"])
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json(), p)
        self.assertEqual(r.header("ETag"), '"1"')

    def test_zone_defaults_to_operator_zone(self):
        p = self.create(name="Beach House")
        self.assertEqual(p["time_zone"], "America/New_York")

    def test_validation(self):
        cases = [
            ({}, "invalid_field", "name"),
            ({"name": ""}, "invalid_field", "name"),
            ({"name": "   "}, "invalid_field", "name"),
            ({"name": 5}, "invalid_field", "name"),
            ({"name": "x" * 201}, "invalid_field", "name"),
            ({"name": "ok", "time_zone": "Mars/Olympus"}, "invalid_field", "time_zone"),
            ({"name": "ok", "time_zone": "../../etc/passwd"}, "invalid_field", "time_zone"),
            ({"name": "ok", "id": "prop_mine"}, "unknown_field", "id"),
            ({"name": "ok", "version": 3}, "unknown_field", "version"),
            ({"name": "bad\u0000byte"}, "invalid_field", "name"),
        ]
        for body, code, field in cases:
            r = self.lucia.post("/api/properties", body)
            self.assertEqual(r.status, 400, (body, r))
            err = r.json()["error"]
            self.assertEqual((err["code"], err.get("field")), (code, field), body)
        # "SQL" in a name is just a name.
        p = self.create(name="Robert'); DROP TABLE properties;--")
        self.assertEqual(self.lucia.get("/api/properties/" + p["id"]).json()["name"],
                         "Robert'); DROP TABLE properties;--")

    def test_get_missing_is_404(self):
        for pid in ("prop_00000000000000000000000000", "nonsense", "prop_%27%20OR%201%3D1"):
            r = self.lucia.get("/api/properties/" + pid)
            self.assertEqual(r.status, 404, pid)
            self.assertEqual(r.json()["error"]["code"], "not_found")

    def test_list_pagination(self):
        made = [self.create(name="Page %d" % i)["id"] for i in range(5)]
        seen = []
        after = None
        for _ in range(20):  # bounded walk
            path = "/api/properties?limit=2" + ("&after=" + after if after else "")
            body = self.lucia.get(path).json()
            self.assertLessEqual(len(body["data"]), 2)
            seen += [p["id"] for p in body["data"]]
            if not body["has_more"]:
                self.assertIsNone(body["next"])
                break
            self.assertEqual(body["next"], body["data"][-1]["id"])
            after = body["next"]
        self.assertEqual(seen, sorted(seen))
        self.assertEqual(len(seen), len(set(seen)))
        for pid in made:
            self.assertIn(pid, seen)

    def test_list_limit_validation(self):
        for bad in ("0", "501", "-1", "abc", "10x"):
            r = self.lucia.get("/api/properties?limit=" + bad)
            self.assertEqual(r.status, 400, bad)
            self.assertEqual(r.json()["error"]["field"], "limit")
        self.assertEqual(self.lucia.get("/api/properties?limit=500").status, 200)

    def test_patch_versions_and_if_match(self):
        p = self.create(name="Old Name")
        path = "/api/properties/" + p["id"]
        r = self.lucia.patch(path, {"name": "New Name"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["name"], "New Name")
        self.assertEqual(r.json()["version"], 2)
        self.assertEqual(r.json()["time_zone"], p["time_zone"])
        # Stale If-Match: 412 and nothing changes.
        r = self.lucia.patch(path, {"name": "Lost Update"}, headers={"If-Match": "1"})
        self.assertEqual(r.status, 412)
        self.assertEqual(r.json()["error"]["code"], "version_mismatch")
        self.assertEqual(self.lucia.get(path).json()["name"], "New Name")
        # Current If-Match, quoted as an ETag: applies.
        r = self.lucia.patch(path, {"time_zone": "Asia/Tokyo"}, headers={"If-Match": '"2"'})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["version"], 3)
        self.assertEqual(r.json()["time_zone"], "Asia/Tokyo")
        r = self.lucia.patch(path, {"name": "x"}, headers={"If-Match": "three"})
        self.assertEqual(r.status, 400)
        # Unknown fields, nulls and bad zones are rejected; nothing changes.
        for body, code in (({"state": "open"}, "unknown_field"),
                           ({"name": None}, "invalid_field"),
                           ({"time_zone": "Nowhere/Land"}, "invalid_field")):
            r = self.lucia.patch(path, body)
            self.assertEqual((r.status, r.json()["error"]["code"]), (400, code), body)
        self.assertEqual(self.lucia.get(path).json()["version"], 3)
        # An empty PATCH changes nothing, not even the version.
        r = self.lucia.patch(path, {})
        self.assertEqual((r.status, r.json()["version"]), (200, 3))

    def test_patch_missing_is_404(self):
        r = self.lucia.patch("/api/properties/prop_00000000000000000000000000", {"name": "x"})
        self.assertEqual(r.status, 404)


if __name__ == "__main__":
    unittest.main()
