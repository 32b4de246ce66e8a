-- How many late versions loaded after %(loaded_after)s are not logged yet (pulse/log_late.sql's rows): a pulse
-- round with none sends no INSERT.
SELECT COUNT(*) AS unlogged
-- @include fragments/late_unlogged
