-- {view} is one of the semantic views of lib/semantic.VIEWS (validated), never input.
SELECT COUNT(*) AS view_rows FROM {view}
