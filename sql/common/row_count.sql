-- {table} is a fully-qualified table name from our own asset definitions (validated), never input.
SELECT COUNT(*) AS n FROM {table}
