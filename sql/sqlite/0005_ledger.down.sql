DROP TABLE stripe_financial_records;
DROP TABLE stripe_financial_events;
