"""Row-level security on PostgreSQL (issue 4, SPEC §9): a Supabase-style
`authenticated` role sees only the properties its JWT claims name, `anon`
sees nothing, and every table Lucia creates has RLS enabled."""
import json
import unittest

import harness
from harness import Lucia


@unittest.skipUnless(harness.ON_POSTGRES, "row-level security is PostgreSQL's")
class RowLevelSecurityTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lucia = Lucia().start()
        ids = []
        for name in ("Mine", "Theirs"):
            p = cls.lucia.post("/api/properties", {"name": name}).json()["id"]
            g = cls.lucia.post("/api/guests", {"property_id": p, "name": "G " + name}).json()
            cls.lucia.post("/api/items", {"property_id": p, "kind": "task", "title": name})
            cls.lucia.post("/api/bookings", {"property_id": p, "guest_id": g["id"],
                                             "check_in": "2027-01-01",
                                             "check_out": "2027-01-03"})
            ids.append(p)
        cls.mine, cls.theirs = ids
        cls.pg = harness.backends().postgres
        cls.dbname = cls.lucia.db.name

    @classmethod
    def tearDownClass(cls):
        cls.lucia.close()

    def as_role(self, role, claims, sql, check=True):
        script = "SET ROLE %s;\n" % role
        if claims is not None:
            script += "SELECT set_config('request.jwt.claims', '%s', false);\n" % (
                json.dumps(claims).replace("'", "''"))
        script += sql
        return self.pg.run_psql(script, db=self.dbname, check=check)

    def test_every_table_has_rls_enabled(self):
        rows = self.lucia.db.query(
            "SELECT c.relname AS name, c.relrowsecurity AS rls FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'r' AND n.nspname = 'public'")
        self.assertGreater(len(rows), 5)
        for r in rows:
            self.assertIn(r["rls"], (True, "t"), r["name"])

    def test_authenticated_sees_only_claimed_properties(self):
        for table, column in (("properties", "id"), ("guests", "property_id"),
                              ("bookings", "property_id"), ("items", "property_id")):
            out = self.as_role("authenticated", {"properties": [self.mine]},
                               "SELECT DISTINCT %s FROM %s;" % (column, table)).stdout
            seen = [line for line in out.splitlines() if line.startswith("prop_")]
            self.assertEqual(seen, [self.mine], table)

    def test_authenticated_without_claims_sees_nothing(self):
        for claims in (None, {}, {"properties": "prop_x"}, {"role": "owner"}):
            out = self.as_role("authenticated", claims, "SELECT count(*) FROM properties;")
            self.assertEqual(out.stdout.strip().splitlines()[-1], "0", claims)

    def test_authenticated_cannot_write_or_read_internal_tables(self):
        for sql in ("UPDATE items SET title = 'x';",
                    "INSERT INTO properties (id, name, time_zone, created_at, updated_at) "
                    "VALUES ('p', 'x', 'UTC', now(), now());",
                    "SELECT * FROM audit_events;", "SELECT * FROM idempotency_keys;",
                    "SELECT * FROM schema_migrations;", "DELETE FROM audit_head;"):
            r = self.as_role("authenticated", {"properties": [self.mine]}, sql, check=False)
            self.assertNotEqual(r.returncode, 0, sql)
            self.assertIn("permission denied", r.stderr, sql)

    def test_anon_sees_nothing(self):
        for table in ("properties", "guests", "bookings", "items", "audit_events"):
            r = self.as_role("anon", {"properties": [self.mine]},
                             "SELECT count(*) FROM %s;" % table, check=False)
            self.assertNotEqual(r.returncode, 0, table)
            self.assertIn("permission denied", r.stderr)


if __name__ == "__main__":
    unittest.main()
