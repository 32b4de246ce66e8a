-- The daily market pulse: per (event day, city) the listing changes of that day from GOLD_LISTING_HISTORY.
-- event_day is valid_from::DATE (UTC); one Dagster partition per event day, replaced as a unit. Only changes
-- that arrived within the lateness window (arrived_at <= event_day + 1 day + lateness_days) are counted, so a
-- closed day never changes. lateness_days is the window the day was built with (the pulse check uses it);
-- history_loaded_at is the newest loaded_at of the history rows counted: a newer one makes the day stale.
CREATE TABLE IF NOT EXISTS ANALYTICS_DB.DWH.GOLD_MARKET_PULSE (
    event_day DATE COMMENT 'valid_from::DATE of the history versions (UTC); the partition',
    city VARCHAR COMMENT '''Unknown'' when missing; delisted versions carry the last known city',
    new_listings INTEGER COMMENT 'versions with change_type ''listed''',
    repriced INTEGER COMMENT 'versions with change_type ''repriced''',
    price_drops INTEGER COMMENT 'repriced with price < previous_price',
    changed INTEGER COMMENT 'versions with change_type ''changed'' (other attributes)',
    delisted INTEGER COMMENT 'versions with change_type ''delisted''',
    relisted INTEGER COMMENT 'versions with change_type ''relisted''',
    total_changes INTEGER COMMENT 'all in-time versions of the day',
    median_price FLOAT COMMENT 'median asking price of the listings new that day (VND)',
    median_price_per_sqm FLOAT COMMENT 'median price per m² of the listings new that day',
    lateness_days INTEGER COMMENT 'the lateness window the day was built with',
    history_loaded_at TIMESTAMP_NTZ COMMENT 'newest loaded_at of the versions counted (staleness)',
    updated_at TIMESTAMP_NTZ COMMENT 'when the day was built'
)
