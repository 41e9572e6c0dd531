#!/bin/sh
# Runs once, when the postgres container initialises its data directory:
# gives the insert-only writer role a password so Tollgate can log in over
# the network. `tollgate migrate` (0001_initial.sql) finds the role present
# and only grants it INSERT and SELECT on audit_log.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v writer_password="$TOLLGATE_PG_WRITER_PASSWORD" <<'SQL'
CREATE ROLE tollgate_writer LOGIN PASSWORD :'writer_password';
SQL
