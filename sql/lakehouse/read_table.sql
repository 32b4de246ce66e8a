-- Every row of a gold table, read in bulk as Arrow for publishing to the lakehouse (lib/lakehouse.py).
-- {table} is a fully-qualified table name from lib/lakehouse.PUBLISHED (validated), never input.
SELECT * FROM {table}
