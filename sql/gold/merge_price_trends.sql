-- Price trends per (city, 'YYYY-MM' of posted_date) over the gold features; listings without a date are left out.
MERGE INTO ANALYTICS_DB.DWH.GOLD_PRICE_TRENDS t
USING (
    SELECT COALESCE(f.city, 'Unknown') AS city,
           TO_VARCHAR(f.posted_date::DATE, 'YYYY-MM') AS year_month,
           ROUND(AVG(f.price), 2) AS avg_price,
           ROUND(AVG(f.price_per_sqm), 2) AS avg_price_per_sqm,
           COUNT(*) AS listing_count
    FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES f
    WHERE f.posted_date IS NOT NULL
    GROUP BY COALESCE(f.city, 'Unknown'), TO_VARCHAR(f.posted_date::DATE, 'YYYY-MM')
) s
ON t.city = s.city AND t.year_month = s.year_month
WHEN MATCHED AND (
       t.avg_price IS DISTINCT FROM s.avg_price
    OR t.avg_price_per_sqm IS DISTINCT FROM s.avg_price_per_sqm
    OR t.listing_count IS DISTINCT FROM s.listing_count
) THEN UPDATE SET
    avg_price = s.avg_price,
    avg_price_per_sqm = s.avg_price_per_sqm,
    listing_count = s.listing_count,
    updated_at = SYSDATE()
WHEN NOT MATCHED THEN INSERT (city, year_month, avg_price, avg_price_per_sqm, listing_count, updated_at)
VALUES (s.city, s.year_month, s.avg_price, s.avg_price_per_sqm, s.listing_count, SYSDATE())
