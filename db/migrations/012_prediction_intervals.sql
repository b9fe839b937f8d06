-- Each prediction keeps the 80 % and 95 % interval it was served with (models/intervals.h): NULL when the
-- model version has none (trained before intervals, or a lead the backtest could not calibrate).
ALTER TABLE predictions ADD COLUMN lower_80 double precision, ADD COLUMN upper_80 double precision,
                        ADD COLUMN lower_95 double precision, ADD COLUMN upper_95 double precision;
