-- Feature store: one row per hour per tenant (see features/feature_rows.h for what each column means and
-- why value features of hour t use only hours before t). Rebuilt whole by `voltedge features`.
CREATE TABLE features_hourly (
  tenant_id           text NOT NULL,
  hour                timestamp NOT NULL,
  load_kw             double precision,  -- target: usage_hourly.mean_kw; NULL on the row after the last data hour
  lag_1               double precision,
  lag_2               double precision,
  lag_3               double precision,
  lag_24              double precision,
  lag_48              double precision,
  lag_168             double precision,
  roll_mean_3         double precision,
  roll_std_3          double precision,
  roll_mean_6         double precision,
  roll_std_6          double precision,
  roll_mean_24        double precision,
  roll_std_24         double precision,
  roll_mean_168       double precision,
  roll_std_168        double precision,
  temperature_lag_1   double precision,  -- weather join; NULL when off
  hour_of_day         smallint NOT NULL,
  daypart             smallint NOT NULL,
  weekday             smallint NOT NULL,  -- 0 = Monday
  is_weekend          boolean NOT NULL,
  month               smallint NOT NULL,
  is_holiday          boolean NOT NULL,   -- French public holiday
  feature_set_version text NOT NULL,
  source_commit       text NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, hour)
);
SELECT enable_tenant_rls('features_hourly');
GRANT SELECT, INSERT, DELETE ON features_hourly TO voltedge_app;
