"""`hubplan batch`: many instances, one failing never stops the rest, one summary.csv."""

from __future__ import annotations

import csv
import datetime as dt
import gc
import os
import subprocess
import sys
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT

from scheduler.core.solve import SolveOptions
from scheduler.operations import batch as batch_module
from scheduler.operations.batch import (
    SOLVED,
    SUMMARY_COLUMNS,
    BatchError,
    BatchJob,
    _collect,
    collect_inputs,
    output_names,
    run_batch,
    run_job,
    summary_csv,
)
from scheduler.operations.generate import generate_instance, write_instance
from scheduler.outputs.files import write_file

FAST = SolveOptions(time_limit=10, first_solution=True)


def hubplan(*args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True, cwd=ROOT
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def read_summary(folder: Path) -> list[dict[str, str]]:
    with open(folder / "summary.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """Two good hubs (one of them twice, in another folder), a broken file, an impossible pin."""
    root = tmp_path_factory.mktemp("inputs")
    folder = root / "hubs"
    folder.mkdir()
    write_instance(generate_instance(2, seed=1), folder / "b-good.yaml")
    write_instance(generate_instance(2, seed=2), folder / "a-good.json")
    (folder / "broken.yaml").write_text("name: broken\nhub: [\n", encoding="utf-8")
    (folder / "notes.txt").write_text("not an instance", encoding="utf-8")
    impossible = generate_instance(2, seed=3)
    first = impossible["work_groups"][0]["id"]
    impossible["pinned"] = [{"work_group": first, "kind": "group", "date": dt.date(2026, 9, 5), "slot": "am"}]
    write_instance(impossible, folder / "=impossible.yaml")  # '=' cannot reach a folder name
    other = root / "other"
    other.mkdir()
    write_instance(generate_instance(2, seed=1), other / "b-good.yaml")
    return root


# --------------------------------------------------------------------------- inputs and names


def test_folders_give_their_instance_files_sorted(inputs):
    files, warnings = collect_inputs(
        [inputs / "hubs", inputs / "other" / "b-good.yaml", inputs / "missing.yaml"]
    )
    assert [f.name for f in files] == [
        "=impossible.yaml",
        "a-good.json",
        "b-good.yaml",
        "broken.yaml",
        "b-good.yaml",
        "missing.yaml",
    ]
    assert warnings == []
    assert collect_inputs([inputs])[1] == [f"{inputs}: no .yaml, .yml, .json files in this folder"]


def test_output_names_are_safe_and_distinct():
    paths = [
        Path(p)
        for p in ("a/hub.yaml", "b/hub.yaml", "c/Hub.json", "d/hub-2.yaml", "e/..weird name!.yaml", "f/.yaml")
    ]
    assert output_names(paths) == ["hub", "hub-2", "Hub-3", "hub-2-2", "weird-name", "yaml"]


def test_summary_cells_are_safe_for_spreadsheets():
    rows = [
        {
            "instance": "=cmd",
            "status": "invalid",
            "message": "+1 problem",
            "seconds": 0.5,
            "objective": 1234567.0,
        }
    ]
    text = summary_csv(rows).decode()
    assert text.splitlines()[0] == ",".join(SUMMARY_COLUMNS)
    assert text.splitlines()[1] == "'=cmd,invalid,1234567,,0.5,,,,'+1 problem"


# --------------------------------------------------------------------------- failures stay in their row


def test_an_unexpected_exception_becomes_an_error_row(monkeypatch, tmp_path):
    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("scheduler.operations.pipeline.solve_file", boom)
    row = run_job(BatchJob("x", str(tmp_path / "x.yaml"), str(tmp_path / "x"), FAST))
    assert row["status"] == "error" and row["message"] == "RuntimeError: boom"
    assert row["seconds"] >= 0


def test_a_lost_worker_becomes_an_error_row(tmp_path):
    def lost():
        raise BrokenProcessPool("A process in the process pool was terminated abruptly")

    row = _collect(BatchJob("x", "x.yaml", str(tmp_path), FAST), lost)
    assert row["status"] == "error" and "BrokenProcessPool" in row["message"]


def test_no_plan_in_time_is_unknown(tmp_path):
    source = write_instance(generate_instance(12, seed=0), tmp_path / "big.yaml")
    row = run_job(BatchJob("big", str(source), str(tmp_path / "big"), SolveOptions(time_limit=0.05)))
    assert row["status"] == "unknown" and row["message"] == "no plan within the time limit"
    assert not (tmp_path / "big").exists()


def test_a_job_hands_its_objects_back_to_the_collector(inputs, monkeypatch, tmp_path):
    """The pipeline keeps the instance out of the cycle collector's sight while it plans
    (gc.freeze); a batch worker runs job after job, so each one, failed or not, must give
    it back, or every hub it planned would stay in memory."""
    source = str(inputs / "hubs" / "b-good.yaml")
    frozen = []
    real = batch_module.count_violations

    def spy(*args, **kwargs):  # runs after planning and writing
        frozen.append(gc.get_freeze_count())
        return real(*args, **kwargs)

    monkeypatch.setattr(batch_module, "count_violations", spy)
    assert run_job(BatchJob("ok", source, str(tmp_path / "ok"), FAST))["status"] in SOLVED
    assert frozen == [0]

    def frozen_then_interrupted(*args, **kwargs):
        assert gc.get_freeze_count() > 0  # planning runs with the instance frozen
        raise RuntimeError("interrupted")

    monkeypatch.setattr("scheduler.core.solve.solve", frozen_then_interrupted)
    row = run_job(BatchJob("cut", source, str(tmp_path / "cut"), FAST))
    assert row["message"] == "RuntimeError: interrupted"
    assert gc.get_freeze_count() == 0


# --------------------------------------------------------------------------- the command


@pytest.fixture(scope="module")
def batch_run(inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("batch") / "out"
    proc = hubplan(
        "batch", str(inputs / "hubs"), str(inputs / "other"), str(inputs / "missing.yaml"),
        "--out", str(out), "--jobs", "2", "--time-limit", "20",
    )  # fmt: skip
    return out, proc


def test_batch_continues_past_failures_and_exits_1(batch_run):
    out, proc = batch_run
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.strip() == f"3 of 6 instances planned; wrote {out / 'summary.csv'}"
    assert "broken: invalid:" in proc.stderr


def test_summary_reads_back(batch_run):
    out, _ = batch_run
    rows = read_summary(out)
    assert [r["instance"] for r in rows] == [
        "impossible",
        "a-good",
        "b-good",
        "broken",
        "b-good-2",
        "missing",
    ]
    status = {r["instance"]: r["status"] for r in rows}
    assert status == {
        "impossible": "infeasible", "a-good": "optimal", "b-good": "optimal",
        "broken": "invalid", "b-good-2": "optimal", "missing": "invalid",
    }  # fmt: skip
    frame = pd.read_csv(out / "summary.csv").set_index("instance")
    assert list(frame.columns) == list(SUMMARY_COLUMNS[1:])
    good = frame[frame.status == "optimal"]
    assert (good.violations == 0).all() and (good.sessions > 0).all() and (good.objective > 0).all()
    assert (good.total_cost > 0).all() and (good.gap == 0).all() and good.message.isna().all()
    failed = frame[frame.status != "optimal"]
    assert failed[["objective", "gap", "sessions", "total_cost", "violations"]].isna().all().all()
    assert (frame.seconds >= 0).all()
    assert "R11: pinned[0]" in frame.loc["impossible", "message"]
    assert "no such file" in frame.loc["missing", "message"]


def test_each_instance_gets_its_own_folder(batch_run):
    out, _ = batch_run
    assert (out / "a-good" / "plan.json").is_file() and (out / "b-good-2" / "plan.json").is_file()
    assert (out / "impossible" / "explanation.txt").is_file()  # folder names carry no '='
    assert not (out / "broken").exists()
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == ["summary.csv"]  # no temp file left


def test_all_solved_exits_0_and_usage_errors_exit_2(inputs, tmp_path):
    proc = hubplan("batch", str(inputs / "other"), "--out", str(tmp_path / "ok"), "--jobs", "1")
    assert proc.returncode == 0, proc.stderr
    assert [r["status"] for r in read_summary(tmp_path / "ok")] == ["optimal"]
    bad = hubplan(
        "batch",
        str(inputs / "other"),
        "--out",
        str(tmp_path / "x"),
        "--executor",
        "dask",
        "--scheduler",
        "nonsense",
    )
    assert bad.returncode == 2 and bad.stderr.splitlines()[0].startswith(
        "--scheduler nonsense: not a Dask scheduler address"
    )
    assert not (tmp_path / "x").exists()
    bad = hubplan(
        "batch", str(inputs / "other"), "--out", str(tmp_path / "x"), "--scheduler", "tcp://127.0.0.1:8786"
    )
    assert bad.returncode == 2 and "--executor dask" in bad.stderr
    with pytest.raises(BatchError, match="no instance files"):
        run_batch([inputs], tmp_path / "empty", FAST, progress=False)


# --------------------------------------------------------------------------- Dask


def test_dask_local_cluster_runs_the_same_batch(inputs, tmp_path):
    from dask.distributed import LocalCluster

    sources = [inputs / "hubs" / "a-good.json", inputs / "hubs" / "broken.yaml"]
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        result = run_batch(
            sources,
            tmp_path / "dask",
            FAST,
            executor="dask",
            scheduler=cluster.scheduler_address,
            progress=False,
        )
    assert [(r["instance"], r["status"]) for r in result.rows] == [
        ("a-good", "optimal"),
        ("broken", "invalid"),
    ]
    assert result.rows[0]["violations"] == 0
    assert [r["status"] for r in read_summary(tmp_path / "dask")] == ["optimal", "invalid"]
    assert len(result.failed) == 1


def test_atomic_write_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "summary.csv"
    write_file(target, b"a\n")
    write_file(target, b"b\n")
    assert target.read_bytes() == b"b\n"
    assert os.listdir(tmp_path) == ["summary.csv"]
