-- V_PRICE_TRENDS shows every row of GOLD_PRICE_TRENDS once (no join, no filter).
SELECT COUNT(*) AS gold_rows FROM ANALYTICS_DB.DWH.GOLD_PRICE_TRENDS
