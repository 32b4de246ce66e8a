-- Monthly price trends per city with the change against the city's previous month that has listings.
CREATE OR REPLACE VIEW ANALYTICS_DB.SEMANTIC.V_PRICE_TRENDS COPY GRANTS AS
SELECT p.city AS city,
       p.year_month AS year_month,
       p.listing_count AS listing_count,
       p.avg_price AS avg_price,
       p.avg_price_per_sqm AS avg_price_per_sqm,
       LAG(p.avg_price) OVER (PARTITION BY p.city ORDER BY p.year_month) AS previous_avg_price,
       p.avg_price / NULLIF(LAG(p.avg_price) OVER (PARTITION BY p.city ORDER BY p.year_month), 0) - 1
           AS avg_price_change,
       p.updated_at AS updated_at
FROM ANALYTICS_DB.DWH.GOLD_PRICE_TRENDS p
