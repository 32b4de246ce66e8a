-- One definition of a listing version's hash: SHA-256 (hex) of its tracked fields, each as text in an explicit,
-- session-independent form, joined with '|' (missing: <NULL>), in this order: property_type, price, area,
-- bedrooms, bathrooms, location, city, district, latitude, longitude, description, posted_date.
-- Not a statement of its own: an expression over the row alias `p` (a row of parse_listing's `priced`), put where a
-- file says `-- @include fragments/version_hash` (sql/gold/history_stage.sql, sql/gold/history_rehash.sql).
-- Numbers: price and area with 2 decimals, latitude and longitude with 6 (cast to NUMBER first: a FLOAT's default
-- text differs between engines, and TO_VARCHAR with a number format is dropped by the embedded warehouse);
-- |value| >= 1e13 (1e9 for a coordinate) with none, >= 1e36 or NaN as <OUT_OF_RANGE>, so that every cast stays exact
-- and in range. Dates as YYYY-MM-DD (cast to DATE first, see DESIGN.md), never through DATE_OUTPUT_FORMAT.
-- Counts are integers, strings as they are. tests/integration/test_listing_history.py computes the same in Python.
SHA2(COALESCE(p.property_type, '<NULL>')
     || '|' || CASE WHEN p.price IS NULL THEN '<NULL>'
                    WHEN ABS(p.price) < 1e13 THEN TO_VARCHAR(p.price::NUMBER(38, 2))
                    WHEN ABS(p.price) < 1e36 THEN TO_VARCHAR(p.price::NUMBER(38, 0))
                    ELSE '<OUT_OF_RANGE>' END
     || '|' || CASE WHEN p.area IS NULL THEN '<NULL>'
                    WHEN ABS(p.area) < 1e13 THEN TO_VARCHAR(p.area::NUMBER(38, 2))
                    WHEN ABS(p.area) < 1e36 THEN TO_VARCHAR(p.area::NUMBER(38, 0))
                    ELSE '<OUT_OF_RANGE>' END
     || '|' || COALESCE(TO_VARCHAR(p.bedrooms::INTEGER), '<NULL>')
     || '|' || COALESCE(TO_VARCHAR(p.bathrooms::INTEGER), '<NULL>')
     || '|' || COALESCE(p.location, '<NULL>')
     || '|' || COALESCE(p.city, '<NULL>')
     || '|' || COALESCE(p.district, '<NULL>')
     || '|' || CASE WHEN p.latitude IS NULL THEN '<NULL>'
                    WHEN ABS(p.latitude) < 1e9 THEN TO_VARCHAR(p.latitude::NUMBER(38, 6))
                    WHEN ABS(p.latitude) < 1e36 THEN TO_VARCHAR(p.latitude::NUMBER(38, 0))
                    ELSE '<OUT_OF_RANGE>' END
     || '|' || CASE WHEN p.longitude IS NULL THEN '<NULL>'
                    WHEN ABS(p.longitude) < 1e9 THEN TO_VARCHAR(p.longitude::NUMBER(38, 6))
                    WHEN ABS(p.longitude) < 1e36 THEN TO_VARCHAR(p.longitude::NUMBER(38, 0))
                    ELSE '<OUT_OF_RANGE>' END
     || '|' || COALESCE(p.description, '<NULL>')
     || '|' || COALESCE(TO_VARCHAR(p.posted_date::DATE, 'YYYY-MM-DD'), '<NULL>'), 256)
