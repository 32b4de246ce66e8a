-- Needs DELETE on the table; changes nothing (no row matches).
DELETE FROM {table} WHERE 1 = 0
