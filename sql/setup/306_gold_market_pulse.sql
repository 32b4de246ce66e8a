-- The daily market pulse: per (event day, city) the listing changes of that day from GOLD_LISTING_HISTORY.
-- event_day is valid_from::DATE (UTC); one Dagster partition per event day, replaced as a unit. Only changes
-- that arrived within the lateness window (arrived_at <= event_day + 1 day + lateness_days) are counted, so a
-- closed day never changes. lateness_days is the window the day was built with (the pulse check uses it);
-- history_loaded_at is the newest loaded_at of the history rows counted: a newer one makes the day stale.
CREATE TABLE IF NOT EXISTS ANALYTICS_DB.DWH.GOLD_MARKET_PULSE (
    event_day DATE,
    city VARCHAR,
    new_listings INTEGER,
    repriced INTEGER,
    price_drops INTEGER,
    changed INTEGER,
    delisted INTEGER,
    relisted INTEGER,
    total_changes INTEGER,
    median_price FLOAT,
    median_price_per_sqm FLOAT,
    lateness_days INTEGER,
    history_loaded_at TIMESTAMP_NTZ,
    updated_at TIMESTAMP_NTZ
)
