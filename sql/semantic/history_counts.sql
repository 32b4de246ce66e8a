-- The rows each listing-history view shows now.
SELECT (SELECT COUNT(*) FROM ANALYTICS_DB.SEMANTIC.V_PRICE_CHANGES) AS v_price_changes,
       (SELECT COUNT(*) FROM ANALYTICS_DB.SEMANTIC.V_DAYS_ON_MARKET) AS v_days_on_market
