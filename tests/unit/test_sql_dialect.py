"""Every statement in sql/ parses as Snowflake SQL, and none uses a construct known to behave differently on
Snowflake than on the embedded warehouse (which accepts all of them). Each rule names the reason."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from medallion_assets.lib.warehouse import expand_includes

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
FILES = sorted(SQL_DIR.rglob("*.sql"))
# sql/fragments/ holds parts of statements (see warehouse.expand_includes): parsed inside the files that include them
STATEMENTS = [path for path in FILES if path.parent.name != "fragments"]
NAMES = {
    "stage_file": "batch_0123abcd.parquet",
    "database": "RAW_DB",
    "table": "RAW_DB.LANDING.BRONZE_REAL_ESTATE",
    "view": "ANALYTICS_DB.SEMANTIC.V_PRICE_TRENDS",
    "stage": "RAW_DB.LANDING.BRONZE_STAGE",
}

# (pattern on the statement without comments, why it is refused, what to write instead)
KNOWN_DIFFERENCES = [
    (r"\bNOT\s+IN\s*\(\s*SELECT\b", "NOT IN (subquery) matches nothing once the subquery holds a NULL", "NOT EXISTS"),
    (r"\bCURRENT_TIMESTAMP\b", "stored in TIMESTAMP_NTZ it keeps the session time zone's wall clock", "SYSDATE()"),
    # the view's name, its optional column list (with COMMENTs), then COPY GRANTS must follow
    (
        r"\bCREATE\s+OR\s+REPLACE\s+VIEW\s+(?>[\w.]+)(?>(?:\s*\((?:[^()']|'(?:[^']|'')*'|\([^()]*\))*\))?\s*)(?!COPY\s+GRANTS\b)",
        "drops every grant on the view",
        "COPY GRANTS",
    ),
    (
        r"\$1:\w+::TIMESTAMP",
        "a Parquet timestamp without USE_LOGICAL_TYPE arrives as an integer read as seconds",
        "epoch milliseconds and TO_TIMESTAMP_NTZ(.., 3)",
    ),
    (r"\bARRAY_CONTAINS\b", "argument order and types differ between the engines", "a join or IN"),
    (r"\bTRUNCATE\s+TABLE\s+IF\s+EXISTS\b", "not accepted by the embedded warehouse", "DELETE FROM"),
    (r"\bALTER\s+SESSION\b", "session settings belong to the connection (session_parameters)", "connection args"),
    (r"\bGET\s*\(", "GET on a VARIANT differs in NULL handling", "v:key::TYPE"),
]


def render(text: str) -> str:
    """The statement as the driver would send it: bound parameters as literals, {names} filled."""
    text = re.sub(r"%\((\w+)\)s", "'sample'", text)
    return re.sub(r"\{(\w+)\}", lambda m: NAMES[m.group(1)], text)


def without_comments(text: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in text.splitlines())


def test_there_are_statements_to_check():
    assert len(FILES) > 100


@pytest.mark.parametrize("path", STATEMENTS, ids=lambda p: str(p.relative_to(SQL_DIR)))
def test_statement_parses_as_snowflake_sql(path):
    text = expand_includes(path.read_text())
    statements = [s for s in sqlglot.parse(render(text), read="snowflake") if s is not None]
    assert len(statements) == 1, "one statement per file"
    assert not isinstance(statements[0], exp.Command), "sqlglot could not parse it beyond its first keyword"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SQL_DIR)))
def test_statement_avoids_constructs_that_differ_on_snowflake(path):
    text = without_comments(path.read_text())
    found = [f"{why}: use {instead}" for pattern, why, instead in KNOWN_DIFFERENCES if re.search(pattern, text, re.I)]
    assert not found, found


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM t WHERE id NOT IN (SELECT id FROM s)",
        "UPDATE t SET updated_at = CURRENT_TIMESTAMP()",
        "CREATE OR REPLACE VIEW v AS SELECT 1 AS a",
        "SELECT $1:kafka_timestamp::TIMESTAMP_NTZ FROM @stage",
    ],
)
def test_the_rules_catch_what_they_are_for(statement):
    assert any(re.search(pattern, statement, re.I) for pattern, _, _ in KNOWN_DIFFERENCES)
