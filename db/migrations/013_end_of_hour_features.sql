-- Feature set hourly-v3 (features/feature_rows.h): what the minutes say about the end of the previous hour,
-- its other meter channels, and the last 48 hourly loads, all as known at the time (features/point_in_time.h).
-- Rows built before stay NULL here until 'voltedge features' rebuilds them.
ALTER TABLE features_hourly
  ADD COLUMN mean_last_5m         double precision,  -- kW, last 5 minutes of hour t-1
  ADD COLUMN mean_last_15m        double precision,
  ADD COLUMN mean_last_30m        double precision,
  ADD COLUMN trend_last_60m       double precision,  -- kW per hour, least squares over hour t-1
  ADD COLUMN sub_metering_1_lag_1 double precision,  -- Wh per minute, mean of hour t-1's measured minutes
  ADD COLUMN sub_metering_2_lag_1 double precision,
  ADD COLUMN sub_metering_3_lag_1 double precision,
  ADD COLUMN reactive_power_lag_1 double precision,  -- kW
  ADD COLUMN voltage_lag_1        double precision,  -- V
  ADD COLUMN intensity_lag_1      double precision,  -- A
  ADD COLUMN last_hours_kw        double precision[];  -- loads of hours t-1 .. t-48; NaN where unknown
