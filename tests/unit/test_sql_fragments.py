"""One definition of how a document becomes typed values: sql/fragments/parse_listing.sql, included by silver's
stage and the listing history's stage (warehouse.expand_includes)."""

import pytest

from medallion_assets.lib import warehouse
from medallion_assets.lib.errors import MedallionError


def test_silver_and_the_history_parse_with_the_same_fragment():
    fragment = warehouse.expand_includes("-- @include fragments/parse_listing").strip()
    assert fragment.startswith("-- One definition") and "priced AS (" in fragment
    for name in ("silver/stage_batch", "gold/history_stage"):
        statement = warehouse.load_sql(name)
        assert fragment in statement, name
        assert not [line for line in statement.splitlines() if line.strip().startswith("-- @include")]
        assert statement.count("MD5(s.raw_data::VARCHAR)") == 1  # parsed in the fragment only, not a copy


def test_an_include_names_a_fragment_that_exists():
    with pytest.raises(MedallionError, match="sql/fragments/nope.sql does not exist"):
        warehouse.expand_includes("SELECT 1\n-- @include fragments/nope\n")
    # only whole lines under fragments/ are includes
    assert warehouse.expand_includes("SELECT 1 -- @include fragments/nope") == "SELECT 1 -- @include fragments/nope"


def test_version_hash_gives_every_value_an_explicit_session_independent_form():
    """Snowflake formats an implicit DATE/TIMESTAMP -> VARCHAR with the session's *_OUTPUT_FORMAT, and FLOAT text
    differs between engines: the hash casts every number to NUMBER (or INTEGER) and formats the date itself."""
    fragment = warehouse.expand_includes("-- @include fragments/version_hash")
    code = "\n".join(line for line in fragment.splitlines() if not line.lstrip().startswith("--"))
    assert "::VARCHAR" not in code and "CAST(" not in code.upper()
    for column in ("price", "area", "latitude", "longitude"):
        assert code.count(f"TO_VARCHAR(p.{column}::NUMBER(38, ") == 2, column
    for column in ("bedrooms", "bathrooms"):
        assert f"TO_VARCHAR(p.{column}::INTEGER)" in code, column
    assert "TO_VARCHAR(p.posted_date::DATE, 'YYYY-MM-DD')" in code
    for column in ("property_type", "location", "city", "district", "description"):  # VARCHAR already
        assert f"COALESCE(p.{column}, '<NULL>')" in code, column
    # every TO_VARCHAR is one of the above (none of a timestamp, none of a bare FLOAT)
    assert code.count("TO_VARCHAR(") == 4 * 2 + 2 + 1
    for name in ("gold/history_stage", "gold/history_rehash"):
        assert fragment.strip() in warehouse.load_sql(name), name
