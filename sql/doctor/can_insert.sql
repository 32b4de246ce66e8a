-- Needs SELECT and INSERT on the table; changes nothing (no row matches).
INSERT INTO {table} SELECT * FROM {table} WHERE 1 = 0
