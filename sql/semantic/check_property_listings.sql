-- V_PROPERTY_LISTINGS shows every gold listing once: gold LEFT JOIN silver on the listing id (one silver row
-- per id), no filter. Silver rows sharing an id would show a listing twice.
SELECT (SELECT COUNT(*) FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES) AS gold_rows,
       (SELECT COUNT(*)
        FROM (SELECT s.id AS id
              FROM STAGING_DB.CLEANED.SILVER_REAL_ESTATE s
              GROUP BY s.id
              HAVING COUNT(*) > 1) d) AS duplicated_silver_ids
