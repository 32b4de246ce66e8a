-- Versions per status of a model name (the registry must hold exactly one champion; rejected versions
-- fell below the R² floor and never become champion).
SELECT COALESCE(SUM(CASE WHEN r.status = 'champion' THEN 1 ELSE 0 END), 0) AS champions,
       COALESCE(SUM(CASE WHEN r.status = 'challenger' THEN 1 ELSE 0 END), 0) AS challengers,
       COALESCE(SUM(CASE WHEN r.status = 'archived' THEN 1 ELSE 0 END), 0) AS archived,
       COALESCE(SUM(CASE WHEN r.status = 'rejected' THEN 1 ELSE 0 END), 0) AS rejected,
       COUNT(*) AS versions,
       COUNT(DISTINCT r.model_version) AS distinct_versions
FROM ANALYTICS_DB.ML_RESULTS.MODEL_REGISTRY r
WHERE r.model_name = %(model_name)s
