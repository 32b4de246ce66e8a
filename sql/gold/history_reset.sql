-- Full rebuild (e.g. after a parsing rule changed): forget the positions; history_clear then empties the table.
DELETE FROM ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY_POSITIONS
