DROP INDEX bookings_check_in_id;
DROP INDEX bookings_checked_in;
DROP INDEX items_open_due;
DROP TRIGGER bookings_payment_summary_update ON bookings;
DROP TRIGGER bookings_payment_summary_insert ON bookings;
DROP FUNCTION lucia_booking_payment_summary();
DROP TABLE booking_payment_summaries;
