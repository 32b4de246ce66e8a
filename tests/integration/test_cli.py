"""The `medallion` command on the real embedded servers: seed from files, query, bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from medallion_assets import cli


def test_seed_file_loads_good_lines_and_names_bad_ones(stack, tmp_path, capsys):
    path = tmp_path / "listings.jsonl"
    path.write_text(
        '{"price": "3,5 tỷ", "city": "Hà Nội"}\n'
        "this is not json\n"
        "\n"
        '["an", "array"]\n'
        '{"Mức giá": "Thỏa thuận", "Huyện": "Quận 1"}\n',
        encoding="utf-8",
    )
    assert cli.main(["seed", "--file", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "loaded 2 documents" in out and "2 bad lines" in out
    assert f"{path}:2: skipped: invalid JSON" in err
    assert f"{path}:4: skipped: not a JSON object" in err
    with stack["mongo"].get_collection() as collection:
        assert sorted(d.get("city", d.get("Huyện")) for d in collection.find()) == ["Hà Nội", "Quận 1"]


def test_seed_counts_reprice_delete_and_negative_input(stack, capsys):
    assert cli.main(["seed", "--count", "40", "--random-seed", "3"]) == 0
    assert cli.main(["seed", "--reprice", "4"]) == 0
    assert cli.main(["seed", "--delete", "5"]) == 0
    out = capsys.readouterr().out
    assert "inserted 40" in out and "repriced 4" in out and "deleted 5" in out
    with stack["mongo"].get_collection() as collection:
        assert collection.count_documents({}) == 35
    assert cli.main(["seed", "--count", "-1"]) == 2
    assert cli.main(["seed", "--file", "/no/such/file.jsonl"]) == 1
    assert "no such file: /no/such/file.jsonl" in capsys.readouterr().err


def test_query_prints_rows_in_each_format(stack, capsys):
    sql = "SELECT 1 AS a, 'x,y' AS b UNION ALL SELECT 2 AS a, NULL AS b ORDER BY a"
    assert cli.main(["query", sql, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"A": 1, "B": "x,y"}, {"A": 2, "B": None}]
    assert cli.main(["query", sql, "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["A,B", '1,"x,y"', "2,"]
    assert cli.main(["query", sql]) == 0
    assert capsys.readouterr().out.splitlines() == ["A  B", "-  ----", "1  x,y", "2  NULL", "(2 rows)"]
    assert cli.main(["query", "SELECT * FROM NO_SUCH_DB.NOPE.NADA"]) == 1
    assert "query failed" in capsys.readouterr().err


def test_query_signs_in_without_dagster_on_the_real_warehouse(services_home):
    """A fresh interpreter, as the console script is: rows from the session's warehouse, no Dagster loaded."""
    code = (
        "import json, sys\n"
        "from medallion_assets.cli import main\n"
        "assert main(['query', 'SELECT 1 AS one, CURRENT_TIMESTAMP() AS t', '--format', 'json']) == 0\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'dagster', 'dagster_snowflake', 'pydantic'}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    rows, modules = done.stdout.rsplit("\n", 2)[:2]
    (row,) = json.loads(rows)
    assert row["ONE"] == 1 and row["T"].endswith("+00:00"), row  # the session in UTC, as the runs' sessions are
    assert modules == "[]"


def test_services_status_reports_each_server(services_home, capsys):
    assert cli.main(["services", "status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines] == [["mongo", "up"], ["s3", "up"], ["kafka", "up"], ["snowflake", "up"]]


def test_seed_prints_progress_lines_when_not_on_a_terminal(stack, capsys):
    assert cli.main(["seed", "--count", "5000"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].startswith("inserted 5000 synthetic listings")
    # 1,000 listings a chunk: one plain line each time another 10% is done, 20% to 100%
    progress = [" ".join(line.split(" (")[0].split()) for line in lines[:-1]]
    assert progress == [f"seeded {n:,}/5,000" for n in (1000, 2000, 3000, 4000, 5000)]
    assert all(re.search(r"\(\d[\d,]*/s, ETA \d+ s\)$", line) for line in lines[:-1]), lines
