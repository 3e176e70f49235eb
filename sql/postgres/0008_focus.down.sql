DROP INDEX bookings_check_out;
DROP INDEX bookings_check_in;
DROP INDEX items_kind_state_due;
DROP TABLE focus_turns;
DROP TABLE focus_sessions;
