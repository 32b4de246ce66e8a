-- One row per silver run: what came in, what changed, and the quality of silver afterwards
-- (listings per score 0.0 .. 1.0 and per failed rule, as in quality_issues).
CREATE TABLE IF NOT EXISTS STAGING_DB.CLEANED.DATA_QUALITY_LOG (
    run_id VARCHAR,
    rows_in BIGINT,
    ids_in BIGINT,
    tombstones_in BIGINT,
    rows_inserted BIGINT,
    rows_updated BIGINT,
    rows_upserted BIGINT,
    rows_deleted BIGINT,
    silver_rows BIGINT,
    score_0_0 BIGINT,
    score_0_2 BIGINT,
    score_0_4 BIGINT,
    score_0_6 BIGINT,
    score_0_8 BIGINT,
    score_1_0 BIGINT,
    price_missing BIGINT,
    area_missing BIGINT,
    location_missing BIGINT,
    bedrooms_missing BIGINT,
    city_missing BIGINT,
    logged_at TIMESTAMP_NTZ
)
