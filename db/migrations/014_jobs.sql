-- Jobs submitted to the workers' queue (workers/): the queue itself is a Redis stream per job kind, but what a
-- job is, where it stands and what it returned live here, under the tenant's row-level security, so GET
-- /jobs/{id} of another tenant's job finds nothing and a Redis restart loses no record.
CREATE TABLE jobs (
  tenant_id    text NOT NULL REFERENCES tenants,
  job_id       uuid NOT NULL,
  kind         text NOT NULL,
  payload      jsonb NOT NULL DEFAULT '{}',
  -- Jobs with the same key are the same work: while one is queued, running or waiting to retry, submitting
  -- another returns it instead (jobs_active_dedupe below).
  dedupe_key   text,
  traceparent  text,                 -- W3C trace context of the request that submitted it
  state        text NOT NULL CHECK (state IN ('queued', 'running', 'retrying', 'succeeded', 'failed', 'dead')),
  attempts     int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts int NOT NULL CHECK (max_attempts >= 1),
  error        text,                 -- the last attempt's error, and what to do about it
  hint         text,
  result       jsonb,
  worker       text,                 -- the worker (host:pid) running or that ran the last attempt
  created_at   timestamptz NOT NULL DEFAULT now(),
  started_at   timestamptz,
  finished_at  timestamptz,
  next_attempt_at timestamptz,
  PRIMARY KEY (tenant_id, job_id)
);
SELECT enable_tenant_rls('jobs');
CREATE UNIQUE INDEX jobs_active_dedupe ON jobs (tenant_id, dedupe_key)
  WHERE dedupe_key IS NOT NULL AND state IN ('queued', 'running', 'retrying');
CREATE INDEX jobs_recent ON jobs (tenant_id, created_at DESC);

GRANT SELECT, INSERT, UPDATE ON jobs TO voltedge_app;
