-- Silver as a whole: listings per score and per failed rule, and how many reach min_quality_score.
SELECT COUNT(*) AS silver_rows,
       COUNT_IF(s.data_quality_score >= %(min_quality_score)s) AS passing_rows,
       COUNT_IF(s.data_quality_score = 0.0) AS score_0_0,
       COUNT_IF(s.data_quality_score = 0.2) AS score_0_2,
       COUNT_IF(s.data_quality_score = 0.4) AS score_0_4,
       COUNT_IF(s.data_quality_score = 0.6) AS score_0_6,
       COUNT_IF(s.data_quality_score = 0.8) AS score_0_8,
       COUNT_IF(s.data_quality_score = 1.0) AS score_1_0,
       COUNT_IF(CONTAINS(s.quality_issues, 'price_missing')) AS price_missing,
       COUNT_IF(CONTAINS(s.quality_issues, 'area_missing')) AS area_missing,
       COUNT_IF(CONTAINS(s.quality_issues, 'location_missing')) AS location_missing,
       COUNT_IF(CONTAINS(s.quality_issues, 'bedrooms_missing')) AS bedrooms_missing,
       COUNT_IF(CONTAINS(s.quality_issues, 'city_missing')) AS city_missing
FROM STAGING_DB.CLEANED.SILVER_REAL_ESTATE s
