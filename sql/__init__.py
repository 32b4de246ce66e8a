"""The warehouse SQL, one statement per file; shipped inside the package as `medallion_assets.sql`."""
