-- The aggregates add up to the gold population: every listing is in exactly one market group, every dated
-- listing in exactly one (city, month).
SELECT (SELECT COUNT(*) FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES) AS gold_rows,
       (SELECT COALESCE(SUM(m.total_listings), 0) FROM ANALYTICS_DB.DWH.GOLD_MARKET_ANALYTICS m) AS market_listings,
       (SELECT COUNT(*) FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES f WHERE f.posted_date IS NOT NULL) AS dated_rows,
       (SELECT COALESCE(SUM(p.listing_count), 0) FROM ANALYTICS_DB.DWH.GOLD_PRICE_TRENDS p) AS trend_listings
