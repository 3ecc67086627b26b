"""bindreg compare: keyed reuse, the report, and Dask sweeps (serial-identical, surviving a killed worker)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest

from bindreg.experiment.compare import compare, execute, parse_options, plan
from bindreg.core.errors import BindregError
from bindreg.experiment.report import write_report
from bindreg.train.training import BUDGETS
from conftest import paths_under, write_zeng_experiment

pytestmark = pytest.mark.slow  # every test here trains, publishes or pulls

MOTIFS = {"toyA": "CCGCGTGACGTCACGCGG", "toyB": "TTGACTCATGAGTCAA"}


@pytest.fixture(scope="module")
def experiments(tmp_path_factory) -> list[str]:
    root = tmp_path_factory.mktemp("experiments")
    return [str(write_zeng_experiment(root / name, train=400, motif=motif, masked_every=3))
            for name, motif in MOTIFS.items()]


def _aucs(results) -> dict:
    return {(r["metrics"]["model"], r["metrics"]["dataset"], r["run"]["train_size"]): r["metrics"]["test"]["auroc"]
            for r in results}


def test_serial_sweep_reuses_runs_and_writes_every_figure(tmp_path, experiments):
    models = ["1layer", "2layer", "deepbind", "kmer_lr", "pwm"]
    jobs = plan(models, experiments, "discovery", BUDGETS["smoke"], str(tmp_path / "runs"), sizes=(300,),
                size_models=("1layer", "2layer"), options={"pwm": {"tf": "CTCF"}})
    assert len(jobs) == 2 * (5 + 2) and len({j.key for j in jobs}) == len(jobs)
    first = execute(jobs)
    assert not any(r["reused"] for r in first)
    again = execute(plan(models, experiments, "discovery", BUDGETS["smoke"], str(tmp_path / "runs"), sizes=(300,),
                         size_models=("1layer", "2layer"), options={"pwm": {"tf": "CTCF"}}))
    assert all(r["reused"] for r in again) and _aucs(again) == _aucs(first)
    summary = write_report(first, tmp_path / "report", models, "discovery")
    names = {p.name for p in (tmp_path / "report").iterdir()}
    assert {"report.md", "report.html", "auc_distribution.png", "scatter.png", "auc_change_heatmap.png",
            "auc_vs_training_size.png", "summary.json", "metrics.json", "results.csv"} <= names
    html = (tmp_path / "report" / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 4 and "src=\"auc" not in html  # self-contained
    markdown = (tmp_path / "report" / "report.md").read_text()
    assert "Wilcoxon p" in markdown and "seconds per 500,000 samples" in markdown and "holds here?" in markdown
    assert set(summary["median_auc"]) == set(models) and summary["paired_vs_1layer"]["2layer"]["n"] == 2
    # The report keeps each run's record, so it can be written again once the run store is gone.
    records = sorted(p.relative_to(tmp_path / "report") for p in (tmp_path / "report" / "runs").rglob("metrics.json"))
    assert len(records) == len(first)
    shutil.copytree(tmp_path / "report", tmp_path / "kept")
    shutil.rmtree(tmp_path / "runs")
    again = compare(models, experiments, "discovery", BUDGETS["smoke"], tmp_path / "report", runs=str(tmp_path / "gone"),
                    sizes=(300,), size_models=("1layer", "2layer"), options={"pwm": {"tf": "CTCF"}},
                    finished_only=True, reuse=(str(tmp_path / "kept" / "runs"),))
    assert again["median_auc"] == summary["median_auc"] and not again["missing"]
    # A changed setting is a different run, not a reuse.
    changed = plan(["1layer"], experiments[:1], "discovery", BUDGETS["smoke"].with_overrides(train_minibatches=60),
                   str(tmp_path / "runs"), sizes=())
    assert changed[0].key not in {j.key for j in jobs}


def test_no_motifs_skips_the_card_analysis_but_not_the_run(tmp_path, experiments):
    """--no-motifs changes the card only: the key is the same, and `bindreg card` can add it later."""
    with_motifs = plan(["1layer"], experiments[:1], "discovery", BUDGETS["smoke"], str(tmp_path), sizes=())
    without = plan(["1layer"], experiments[:1], "discovery", BUDGETS["smoke"], str(tmp_path), sizes=(),
                   analyse_motifs=False)
    assert [j.key for j in without] == [j.key for j in with_motifs]
    [result] = execute(without)
    card = (Path(result["directory"]) / "card.md").read_text()
    assert "Not analysed" in card and "bindreg card" in card
    assert not (Path(result["directory"]) / "motifs.tsv").exists()


def test_options_and_unknown_models_are_one_line_errors(experiments, tmp_path):
    assert parse_options(["pwm.tf=STAT3", "gkmsvm.max_positives=100"]) == {
        "pwm": {"tf": "STAT3"}, "gkmsvm": {"max_positives": 100}}
    with pytest.raises(BindregError, match="MODEL.NAME=VALUE"):
        parse_options(["tf=STAT3"])
    with pytest.raises(BindregError, match="bindreg models"):
        plan(["1layr"], experiments, "discovery", BUDGETS["smoke"], str(tmp_path))


def test_fsspec_run_store(tmp_path, experiments):
    """Runs land in an fsspec URL store and are found there again."""
    url = f"file://{tmp_path}/store"
    jobs = plan(["kmer_lr"], experiments[:1], "discovery", BUDGETS["smoke"], url, sizes=())
    first = execute(jobs)
    assert (tmp_path / "store" / jobs[0].target.split("/store/")[1] / "metrics.json").exists()
    assert execute(jobs)[0]["reused"] and _aucs(execute(jobs)) == _aucs(first)


def _kill_one_busy_worker(client, pids: dict, runs: Path, killed: dict) -> None:
    """Wait until a run is in flight, then SIGKILL a worker that is processing one."""
    deadline = time.time() + 120
    while time.time() < deadline and not killed:
        if any(p.parent.name == ".inflight" for p in paths_under(runs)):
            for address, keys in client.processing().items():
                if keys and address in pids:
                    pid = pids[address]
                    os.kill(pid, signal.SIGKILL)
                    killed[address] = pid
                    return
        time.sleep(0.05)


def test_dask_sweep_matches_serial_and_survives_a_killed_worker(tmp_path, experiments):
    from dask.distributed import Client, LocalCluster

    models = ["1layer", "deepbind"]
    protocol = BUDGETS["smoke"]
    serial = execute(plan(models, experiments, "discovery", protocol, str(tmp_path / "serial"), sizes=()))
    runs = tmp_path / "dask"
    jobs = plan(models, experiments, "discovery", protocol, str(runs), sizes=())
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        killed: dict = {}
        pids = client.run(os.getpid)
        killer = threading.Thread(target=_kill_one_busy_worker, args=(client, pids, runs, killed))
        killer.start()
        results = execute(jobs, "dask", scheduler=cluster.scheduler_address)
        killer.join()
    assert killed, "no worker was killed mid-sweep"
    assert _aucs(results) == _aucs(serial)
    # A SIGKILLed attempt may leave its scratch copy under .inflight/ (never read as a result).
    finished = sorted(p.parent for p in runs.rglob("metrics.json") if ".inflight" not in p.parts)
    assert len(finished) == len(jobs) == len({Path(j.target) for j in jobs})
    assert all(json.loads((Path(j.target) / "run.json").read_text())["model"] == j.model for j in jobs)


def test_unreachable_scheduler_and_empty_glob_are_one_line(tmp_path, experiments):
    jobs = plan(["kmer_lr"], experiments[:1], "discovery", BUDGETS["smoke"], str(tmp_path), sizes=())
    with pytest.raises(BindregError, match="cannot reach the Dask scheduler"):
        execute(jobs, "dask", scheduler="tcp://127.0.0.1:1")
    with pytest.raises(BindregError, match="matches nothing"):
        plan(["kmer_lr"], [str(tmp_path / "none*.zarr")], "discovery", BUDGETS["smoke"], str(tmp_path))


def test_a_run_on_a_dask_worker_reads_its_store_itself(tmp_path, experiments):
    """A worker's run must not send its store reads to the cluster as tasks: they would queue behind
    the other runs' training (the paper-budget sweep's runs waited up to 10 minutes for their data)."""
    from dask.distributed import Client, LocalCluster, get_task_stream

    jobs = plan(["kmer_lr"], experiments, "discovery", BUDGETS["smoke"], str(tmp_path), sizes=())
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client, get_task_stream(client) as stream:
        execute(jobs, "dask", scheduler=cluster.scheduler_address)
    keys = {str(task["key"]) for task in stream.data}
    assert keys == {f"bindreg-run-{job.key}" for job in jobs}, sorted(keys)[:5]


def test_a_model_that_is_another_at_this_length_shares_its_run(tmp_path, experiments):
    # At 101 bp the local top pool of 3layer_local_win3 spans the 3 positions left: 3layer's function.
    models = ["3layer", "3layer_local_win3", "2layer_local_win3"]
    jobs = plan(models, experiments[:1], "discovery", BUDGETS["smoke"], str(tmp_path / "runs"), sizes=())
    deep, local, two = jobs
    assert local.target == deep.target and local.model == "3layer" and local.reported_as == "3layer_local_win3"
    assert two.model == "2layer_local_win3" and not two.reported_as  # 7 positions left: a different function
    results = execute(jobs)
    assert len(list((tmp_path / "runs").rglob("metrics.json"))) == 2  # 3layer once, 2layer_local_win3
    assert results[1]["metrics"]["model"] == "3layer_local_win3" and results[1]["shared_with"] == "3layer"
    assert results[1]["metrics"]["test"] == results[0]["metrics"]["test"]
    summary = write_report(results, tmp_path / "report", models, "discovery")
    assert summary["shared"] == {"3layer_local_win3": {"runs_of": "3layer", "runs": 1}}
    assert set(summary["median_auc"]) == set(models)
    assert sum(v["runs"] for v in summary["compute"]["per_model"].values()) == 2  # counted once
    assert "`3layer_local_win3` from `3layer`" in (tmp_path / "report" / "report.md").read_text()
    # Asked for alone, it still runs (as 3layer's run) and reports under its own name.
    alone = compare(["3layer_local_win3"], experiments[:1], "discovery", BUDGETS["smoke"], tmp_path / "alone",
                    runs=str(tmp_path / "runs"))
    assert alone["median_auc"]["3layer_local_win3"] == summary["median_auc"]["3layer_local_win3"]
