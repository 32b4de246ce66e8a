SELECT COUNT(*) AS silver_rows,
       COUNT(DISTINCT s.id) AS distinct_ids,
       COUNT_IF(s.id IS NULL) AS null_ids
FROM STAGING_DB.CLEANED.SILVER_REAL_ESTATE s
