-- Evaluation results (evaluations/): one row per metric of each evaluation of a model version (forecast error on
-- data after its training window, drift) or of the agent (answer metrics on the golden set), with the threshold
-- it was held to and whether it passed. Also logged to the version's MLflow run; here they are queryable per
-- tenant under row-level security.
CREATE TABLE model_eval_results (
  tenant_id   text NOT NULL REFERENCES tenants,
  id          bigserial,
  eval_run    uuid NOT NULL,            -- the evaluation all rows of one run share
  subject     text NOT NULL CHECK (subject IN ('model', 'agent', 'retrieval')),
  version     text NOT NULL,            -- the model version, or the agent backend and commit
  stage       text NOT NULL,            -- the thresholds applied: staging, canary, production
  metric      text NOT NULL,
  value       double precision,
  threshold   double precision,         -- NULL: recorded, not gated
  passed      boolean,                  -- NULL when not gated
  mlflow_run_id text,                   -- the version's run the metric was also logged to
  window_first timestamp,               -- the data the metric was measured on
  window_last  timestamp,
  evaluated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
SELECT enable_tenant_rls('model_eval_results');
CREATE INDEX model_eval_results_recent ON model_eval_results (tenant_id, metric, evaluated_at DESC);
GRANT SELECT, INSERT ON model_eval_results TO voltedge_app;
GRANT USAGE ON SEQUENCE model_eval_results_id_seq TO voltedge_app;

-- What the API served, per tenant, model version and minute: requests, server errors and a latency histogram
-- (upper bounds in ms in serving/serving_stats.h). Written in batches by the API; read by `voltedge slo check`
-- and the canary controller to judge a version over a window.
CREATE TABLE serving_minutes (
  tenant_id     text NOT NULL REFERENCES tenants,
  model_version text NOT NULL,          -- '' when the request failed before a version was chosen
  minute        timestamptz NOT NULL,
  requests      bigint NOT NULL DEFAULT 0,
  errors        bigint NOT NULL DEFAULT 0,
  latency_sum_ms double precision NOT NULL DEFAULT 0,
  latency_buckets bigint[] NOT NULL,    -- counts per bound (not cumulative), the last for +Inf
  PRIMARY KEY (tenant_id, model_version, minute)
);
SELECT enable_tenant_rls('serving_minutes');
GRANT SELECT, INSERT, UPDATE ON serving_minutes TO voltedge_app;
