-- Canary rollouts (serving/canary.h): a version served to a share of a tenant's requests beside production, the
-- share stepped up by the controller (a worker job) while the SLOs hold, then promoted or rolled back. The API
-- reads the running rollout of each tenant it serves; every move is also an audit row.
CREATE TABLE canary_rollouts (
  tenant_id   text NOT NULL REFERENCES tenants,
  rollout_id  uuid NOT NULL,
  version     text NOT NULL,
  steps       int[] NOT NULL,               -- shares in percent, e.g. {5,25,50,100}
  step        int NOT NULL DEFAULT 0,       -- index into steps
  share       int NOT NULL CHECK (share BETWEEN 0 AND 100),
  interval_seconds int NOT NULL CHECK (interval_seconds > 0),
  status      text NOT NULL CHECK (status IN ('running', 'promoted', 'rolled_back')),
  reason      text,                         -- the SLO breached, or what promoted it
  started_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, rollout_id)
);
SELECT enable_tenant_rls('canary_rollouts');
CREATE UNIQUE INDEX canary_rollouts_one_running ON canary_rollouts (tenant_id) WHERE status = 'running';
GRANT SELECT, INSERT, UPDATE ON canary_rollouts TO voltedge_app;
