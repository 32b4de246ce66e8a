"""`medallion services down` with pid files that no longer name the servers `services up` started."""

from __future__ import annotations

import subprocess
import sys
import time

from medallion_assets.dev import services


def sleeper(new_session: bool) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=new_session)


def test_down_stops_the_live_servers_and_names_each_stale_pid_file(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    server = sleeper(new_session=True)  # what `up` starts: a process group leader
    bystander = sleeper(new_session=False)  # a live process in the test's group: e.g. the pid reused by another one
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    try:
        (run / "kafka.pid").write_text(str(server.pid))
        (run / "snowflake.pid").write_text(str(bystander.pid))
        (run / "s3.pid").write_text(str(gone.pid))
        (run / "mongo.pid").write_text("garbage")
        started = time.monotonic()
        assert services.down(tmp_path) == ["kafka"]
        assert time.monotonic() - started < 10  # no wait for a process it does not stop
        assert server.wait(timeout=10) is not None  # the server was stopped
        assert bystander.poll() is None  # the process that is not ours was left alone
        assert capsys.readouterr().err.splitlines() == [
            f"snowflake: stale pid file {run / 'snowflake.pid'} names pid {bystander.pid}, which is not the server "
            "`services up` started (not a process group leader); removed it",
            f"s3: stale pid file {run / 's3.pid'} names pid {gone.pid}, which is gone; removed it",
            f"mongo: stale pid file {run / 'mongo.pid'} holds 'garbage', not a process id; removed it",
        ]
        assert list(run.iterdir()) == []
    finally:
        for process in (server, bystander):
            process.kill()
            process.wait()


def test_down_with_nothing_started_reports_nothing(tmp_path, capsys):
    assert services.down(tmp_path) == []
    assert capsys.readouterr().err == ""


def test_a_killed_mongodb_not_reaped_yet_does_not_keep_its_successor_from_starting(tmp_path):
    """nx-27017 refuses to start while its own pid file names a process `kill -0` reaches; a server SIGKILLed by
    the process that started it stays a zombie until reaped (the chaos run kills servers it started)."""
    run = tmp_path / "run"
    run.mkdir()
    own = run / "mongo-server.pid"
    killed, live = sleeper(new_session=True), sleeper(new_session=True)
    try:
        killed.kill()
        deadline = time.monotonic() + 5
        while services._alive(killed.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        own.write_text(str(killed.pid))
        services._clear_dead_server_pid(tmp_path, "mongo")
        assert not own.exists()  # a zombie is dead: its successor may start

        own.write_text(str(live.pid))
        services._clear_dead_server_pid(tmp_path, "mongo")
        assert own.read_text() == str(live.pid)  # a live server keeps its pid file
    finally:
        live.kill()
        live.wait()
        killed.wait()
