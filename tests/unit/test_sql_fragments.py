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
