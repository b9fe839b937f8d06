-- Predictions served by the API: each one is kept with the model that made it and the exact inputs it saw,
-- so /explain/{id} explains what was actually served, even after the features or the model change.
CREATE TABLE predictions (
  tenant_id     text NOT NULL,
  id            uuid NOT NULL,
  target_hour   timestamp NOT NULL,
  horizon_hours smallint NOT NULL,   -- the direct model used: it saw data up to target_hour - horizon_hours
  origin_hour   timestamp NOT NULL,  -- the feature row the inputs came from (target_hour - horizon_hours + 1)
  value_kw      double precision NOT NULL,
  model_name    text NOT NULL,
  model_version text NOT NULL,
  model_family  text NOT NULL,
  inputs        double precision[] NOT NULL,  -- in the order of the model bundle's feature list
  request_id    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
SELECT enable_tenant_rls('predictions');
-- Append-only for the application: a served prediction is a record, never edited.
GRANT SELECT, INSERT ON predictions TO voltedge_app;
