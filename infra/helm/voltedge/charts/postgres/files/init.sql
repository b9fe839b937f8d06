-- Runs once, as the postgres superuser, when the postgres container of docker-compose.yml initialises its data
-- directory (plan T-11). It creates what scripts/devstack's start_postgres creates, and scripts/check-compose
-- runs this file on a scratch cluster and compares: the databases voltedge (POSTGRES_DB) and voltedge_test (what
-- `make test` runs against), the mlflow role and its database, and in both VoltEdge databases the extensions
-- vector (pgvector), pg_trgm and btree_gin. The application roles (voltedge_app, ...) are `voltedge migrate`'s.
-- The password is devstack's local-development one; compose's mlflow service reads VOLTEDGE_MLFLOW_PASSWORD
-- (same default): change both together, before the first start.
CREATE DATABASE voltedge_test;
CREATE ROLE mlflow LOGIN PASSWORD 'mlflow';
CREATE DATABASE mlflow OWNER mlflow;
\connect voltedge
CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;
\connect voltedge_test
CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;
