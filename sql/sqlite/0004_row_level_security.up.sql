-- Row-level security is PostgreSQL's (sql/postgres/0004). SQLite has no
-- roles: the file only keeps both dialects' versions in step.
SELECT 1;
