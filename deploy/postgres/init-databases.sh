#!/bin/sh
# PostgreSQL's first start (docker-entrypoint-initdb.d): one database per service, each owned by a role
# of its own whose password comes from <SERVICE>_DB_PASSWORD. Services never share a database.
set -eu

for database in ${KALEIDOSCOPE_DATABASES:?list the databases to create}; do
    password_variable="$(echo "$database" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD"
    password="$(printenv "$password_variable" || true)"
    if [ -z "$password" ]; then
        echo "init-databases: set $password_variable" >&2
        exit 1
    fi
    psql --set ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
        --set name="$database" --set password="$password" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
done
