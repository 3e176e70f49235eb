-- Properties (SPEC §5). PostgreSQL dialect of sql/sqlite/0001: ids sort in
-- byte order (COLLATE "C") whatever the cluster's locale, so `?after=`
-- cursors page the same way on both databases.
CREATE TABLE properties (
    id          TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT NOT NULL,
    time_zone   TEXT NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
