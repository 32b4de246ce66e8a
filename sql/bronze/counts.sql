SELECT (SELECT COUNT(*) FROM RAW_DB.LANDING.BRONZE_REAL_ESTATE WHERE kafka_topic = %(kafka_topic)s) AS bronze_rows,
       (SELECT COUNT(*) FROM RAW_DB.LANDING.BRONZE_REJECTS WHERE kafka_topic = %(kafka_topic)s) AS rejected_rows
