-- Row-level security (SPEC §9): a Supabase `anon` or `authenticated` key
-- sees nothing Lucia did not mean to expose. Every table has RLS enabled;
-- with no policy that means "deny" for every role that does not bypass it.
-- The engine connects as the tables' owner (or Supabase's service role),
-- which bypasses RLS. The only exposure: `authenticated` may read the
-- properties, guests, bookings and items of the properties listed in its
-- JWT's `properties` claim (PostgREST's request.jwt.claims); `anon` nothing.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
        CREATE ROLE anon NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
        CREATE ROLE authenticated NOLOGIN;
    END IF;
END
$$;

CREATE FUNCTION lucia_claim_properties() RETURNS TEXT[]
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN jsonb_typeof(claims -> 'properties') = 'array'
        THEN ARRAY(SELECT jsonb_array_elements_text(claims -> 'properties'))
        ELSE ARRAY[]::TEXT[]
    END
    FROM (SELECT COALESCE(NULLIF(current_setting('request.jwt.claims', true), ''), '{}')::jsonb
          AS claims) AS c
$$;

DO $$
DECLARE
    t RECORD;
BEGIN
    FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t.tablename);
        EXECUTE format('REVOKE ALL ON %I FROM anon', t.tablename);
        EXECUTE format('REVOKE ALL ON %I FROM authenticated', t.tablename);
    END LOOP;
END
$$;

GRANT SELECT ON properties, guests, bookings, items TO authenticated;
CREATE POLICY properties_by_claim ON properties FOR SELECT TO authenticated
    USING (id = ANY (lucia_claim_properties()));
CREATE POLICY guests_by_claim ON guests FOR SELECT TO authenticated
    USING (property_id = ANY (lucia_claim_properties()));
CREATE POLICY bookings_by_claim ON bookings FOR SELECT TO authenticated
    USING (property_id = ANY (lucia_claim_properties()));
CREATE POLICY items_by_claim ON items FOR SELECT TO authenticated
    USING (property_id = ANY (lucia_claim_properties()));
