-- One row per silver run: what came in, what changed, and the quality of silver afterwards
-- (listings per score 0.0 .. 1.0 and per failed rule, as in quality_issues).
CREATE TABLE IF NOT EXISTS STAGING_DB.CLEANED.DATA_QUALITY_LOG (
    run_id VARCHAR COMMENT 'the Dagster run',
    rows_in BIGINT COMMENT 'bronze messages read by the run',
    ids_in BIGINT COMMENT 'distinct listing ids among them',
    tombstones_in BIGINT COMMENT 'delete messages (tombstones) among them',
    rows_inserted BIGINT COMMENT 'new silver listings',
    rows_updated BIGINT COMMENT 'silver listings changed',
    rows_upserted BIGINT COMMENT 'inserted + updated',
    rows_deleted BIGINT COMMENT 'silver listings removed by tombstones',
    silver_rows BIGINT COMMENT 'silver listings after the run',
    score_0_0 BIGINT COMMENT 'silver listings with data_quality_score 0.0',
    score_0_2 BIGINT COMMENT 'silver listings with data_quality_score 0.2',
    score_0_4 BIGINT COMMENT 'silver listings with data_quality_score 0.4',
    score_0_6 BIGINT COMMENT 'silver listings with data_quality_score 0.6',
    score_0_8 BIGINT COMMENT 'silver listings with data_quality_score 0.8',
    score_1_0 BIGINT COMMENT 'silver listings with data_quality_score 1.0',
    price_missing BIGINT COMMENT 'silver listings failing price_missing',
    area_missing BIGINT COMMENT 'silver listings failing area_missing',
    location_missing BIGINT COMMENT 'silver listings failing location_missing',
    bedrooms_missing BIGINT COMMENT 'silver listings failing bedrooms_missing',
    city_missing BIGINT COMMENT 'silver listings failing city_missing',
    logged_at TIMESTAMP_NTZ COMMENT 'when the run logged (UTC)'
)
