-- Ids unique; price_per_sqm = price / area (relative tolerance 1e-9, NULL without a positive area);
-- every row has its categories and its high-value flag.
SELECT COUNT(*) AS gold_rows,
       COUNT(DISTINCT f.id) AS distinct_ids,
       COUNT_IF(f.id IS NULL) AS null_ids,
       COUNT_IF(CASE WHEN f.area > 0
                     THEN f.price_per_sqm IS NULL OR ABS(f.price_per_sqm - f.price / f.area) > 1e-9 * (f.price / f.area)
                     ELSE f.price_per_sqm IS NOT NULL END) AS bad_price_per_sqm,
       COUNT_IF(f.price_category IS NULL
                OR f.price_category NOT IN ('Budget', 'Standard', 'Premium', 'Luxury')) AS bad_price_category,
       COUNT_IF(f.area_category IS NULL
                OR f.area_category NOT IN ('Small', 'Medium', 'Large', 'Very Large', 'Unknown')) AS bad_area_category,
       COUNT_IF(f.is_high_value IS NULL
                OR f.is_high_value <> (f.price_category = 'Luxury')) AS bad_high_value
FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES f
