-- The listing history against itself and silver (one row of counts; every *_listings / *_versions count
-- but the totals must be 0):
-- exactly one current version per listing silver holds and none for a listing silver does not hold (deleted);
-- per listing, versions numbered 1..n, each one's valid_to the next one's valid_from (no overlap, no gap), only
-- the last one open (valid_to NULL) and no interval ending before it starts; the current price equals silver's.
WITH silver AS (
    SELECT s.id AS id, s.price AS price FROM STAGING_DB.CLEANED.SILVER_REAL_ESTATE s
),
current_versions AS (
    SELECT h.id AS id, h.price AS price FROM ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY h WHERE h.is_current
),
currents AS (
    SELECT c.id AS id, COUNT(*) AS current_count FROM current_versions c GROUP BY c.id
),
ordered AS (
    SELECT h.id AS id,
           h.version AS version,
           h.valid_from AS valid_from,
           h.valid_to AS valid_to,
           ROW_NUMBER() OVER (PARTITION BY h.id ORDER BY h.version) AS position,
           COUNT(*) OVER (PARTITION BY h.id) AS versions,
           LEAD(h.valid_from) OVER (PARTITION BY h.id ORDER BY h.version) AS next_valid_from
    FROM ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY h
)
SELECT (SELECT COUNT(*) FROM silver) AS silver_listings,
       (SELECT COUNT(DISTINCT o.id) FROM ordered o) AS history_listings,
       (SELECT COUNT(*) FROM ordered o) AS history_rows,
       (SELECT COUNT(*) FROM silver s
        WHERE NOT EXISTS (SELECT 1 FROM currents c WHERE c.id = s.id)) AS silver_without_current,
       (SELECT COUNT(*) FROM currents c WHERE c.current_count > 1) AS several_current_listings,
       (SELECT COUNT(*) FROM currents c
        WHERE NOT EXISTS (SELECT 1 FROM silver s WHERE s.id = c.id)) AS current_not_in_silver,
       (SELECT COUNT(DISTINCT c.id) FROM current_versions c JOIN silver s ON s.id = c.id
        WHERE c.price IS DISTINCT FROM s.price) AS price_differs_listings,
       (SELECT COUNT(*) FROM ordered o WHERE o.version <> o.position) AS misnumbered_versions,
       (SELECT COUNT(*) FROM ordered o
        WHERE o.position < o.versions
          AND (o.valid_to IS NULL OR o.valid_to <> o.next_valid_from)) AS gap_or_overlap_versions,
       (SELECT COUNT(*) FROM ordered o WHERE o.position = o.versions AND o.valid_to IS NOT NULL) AS last_closed_versions,
       (SELECT COUNT(*) FROM ordered o WHERE o.valid_to < o.valid_from) AS negative_interval_versions
