-- Silver's quality after each silver run since a time: listings per score bucket (0.0 .. 1.0) and per failed rule.
SELECT q.logged_at AS logged_at,
       q.run_id AS run_id,
       q.silver_rows AS silver_rows,
       q.score_0_0 AS score_0_0,
       q.score_0_2 AS score_0_2,
       q.score_0_4 AS score_0_4,
       q.score_0_6 AS score_0_6,
       q.score_0_8 AS score_0_8,
       q.score_1_0 AS score_1_0,
       q.price_missing AS price_missing,
       q.area_missing AS area_missing,
       q.location_missing AS location_missing,
       q.bedrooms_missing AS bedrooms_missing,
       q.city_missing AS city_missing
FROM STAGING_DB.CLEANED.DATA_QUALITY_LOG q
WHERE q.logged_at >= %(since)s
ORDER BY logged_at, run_id
