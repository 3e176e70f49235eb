DROP POLICY items_by_claim ON items;
DROP POLICY bookings_by_claim ON bookings;
DROP POLICY guests_by_claim ON guests;
DROP POLICY properties_by_claim ON properties;
REVOKE SELECT ON properties, guests, bookings, items FROM authenticated;
DO $$
DECLARE
    t RECORD;
BEGIN
    FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() LOOP
        EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', t.tablename);
    END LOOP;
END
$$;
DROP FUNCTION lucia_claim_properties();
