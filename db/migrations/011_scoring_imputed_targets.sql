-- Forecasts are scored only on hours that were measured: a target hour with minutes filled in by ingestion
-- (a copy of the day before, a straight line) flatters whichever model repeats that fill. The count of
-- filled minutes travels with each feature row so the backtest can leave those hours out (and say how many).
ALTER TABLE features_hourly ADD COLUMN imputed_minutes integer NOT NULL DEFAULT 0;
