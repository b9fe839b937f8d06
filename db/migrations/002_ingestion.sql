-- Ingestion: runs, data-quality results, minute and hourly usage. All tenant-owned, all under RLS.

CREATE TABLE ingest_runs (
  run_id       bigserial PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenants,
  source       text NOT NULL,
  sha256       text,
  bytes        bigint,
  rows_read    bigint,
  rows_missing bigint,
  rows_imputed bigint,
  rows_loaded  bigint,
  hours_loaded bigint,
  status       text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
  error        text,
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz
);
CREATE INDEX ingest_runs_tenant_sha ON ingest_runs (tenant_id, sha256);
SELECT enable_tenant_rls('ingest_runs');

CREATE TABLE data_quality (
  tenant_id  text NOT NULL,
  run_id     bigint NOT NULL REFERENCES ingest_runs ON DELETE CASCADE,
  check_name text NOT NULL,
  position   integer NOT NULL,  -- order the checks ran in, for reports
  passed     boolean NOT NULL,
  observed   double precision,
  threshold  double precision,
  details    text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, run_id, check_name)
);
SELECT enable_tenant_rls('data_quality');

-- One row per minute of the meter's clock (see README: no daylight-saving jumps). Values are the UCI
-- columns; `imputed` marks a minute whose values (some or all) were filled in by the documented method.
CREATE TABLE usage_minute (
  tenant_id             text NOT NULL,
  ts                    timestamp NOT NULL,
  global_active_power   real NOT NULL,  -- kW
  global_reactive_power real NOT NULL,  -- kW
  voltage               real NOT NULL,  -- V
  global_intensity      real NOT NULL,  -- A
  sub_metering_1        real NOT NULL,  -- Wh in the minute
  sub_metering_2        real NOT NULL,
  sub_metering_3        real NOT NULL,
  imputed               boolean NOT NULL,
  run_id                bigint NOT NULL,
  PRIMARY KEY (tenant_id, ts)
);
SELECT enable_tenant_rls('usage_minute');

CREATE TABLE usage_hourly (
  tenant_id                 text NOT NULL,
  hour                      timestamp NOT NULL,
  mean_kw                   double precision NOT NULL,  -- mean Global_active_power over the minutes present
  energy_kwh                double precision NOT NULL,  -- sum of kW x 1/60 h over the minutes present
  min_kw                    double precision NOT NULL,
  max_kw                    double precision NOT NULL,
  mean_reactive_kw          double precision NOT NULL,
  mean_voltage              double precision NOT NULL,
  sub_metering_1_wh         double precision NOT NULL,
  sub_metering_2_wh         double precision NOT NULL,
  sub_metering_3_wh         double precision NOT NULL,
  minutes_present           integer NOT NULL,  -- measured minutes
  minutes_imputed           integer NOT NULL,  -- filled-in minutes; present + imputed = minutes covered
  run_id                    bigint NOT NULL,
  PRIMARY KEY (tenant_id, hour)
);
SELECT enable_tenant_rls('usage_hourly');

GRANT SELECT, INSERT, UPDATE ON ingest_runs TO voltedge_app;
GRANT USAGE ON SEQUENCE ingest_runs_run_id_seq TO voltedge_app;
GRANT SELECT, INSERT ON data_quality TO voltedge_app;
GRANT SELECT, INSERT, DELETE ON usage_minute, usage_hourly TO voltedge_app;
