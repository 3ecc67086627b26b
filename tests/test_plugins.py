"""The plugin registry: built-ins via entry points, third-party install, broken and duplicate plugins."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bindreg.host.catalog import Architecture, Catalog
from bindreg.core.errors import BindregError
from bindreg.host.plugins import load_registry

from conftest import bindreg_cli

TABLE_1 = ["1layer", "1layer_1motif", "1layer_64motif", "1layer_128motif", "1layer_local_win3",
           "1layer_local_win9", "2layer", "3layer", "2layer_local_win3", "3layer_local_win3"]
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "bindreg-example-plugin"


def test_builtins_load_through_entry_points():
    registry = load_registry()
    assert set(TABLE_1 + ["deepbind"]) <= set(registry.architectures.names())
    assert "discovery" in registry.tasks and "synthetic_ctcf" in registry.datasets
    assert {"zeng", "deepbind", "fasta"} <= set(registry.formats.names())
    modules = {p.module for p in registry.plugins}
    assert "bindreg_plugins.zeng_architectures" in modules
    assert registry.architectures.plugin_of("2layer").startswith("zeng_architectures (bindreg ")


def test_duplicate_name_is_refused_naming_both_plugins():
    catalog = Catalog("model")
    catalog.add(Architecture("1layer", "first", lambda h: None), "alpha (a 1.0)")
    with pytest.raises(BindregError, match=r"'1layer' from plugin beta \(b 2\.0\) refused: plugin alpha \(a 1\.0\)"):
        catalog.add(Architecture("1layer", "second", lambda h: None), "beta (b 2.0)")
    assert catalog.get("1layer").description == "first"


def test_unknown_model_lists_closest_names():
    with pytest.raises(BindregError, match=r"unknown model '2layers'; did you mean '2layer'"):
        load_registry().architectures.get("2layers")


def _fake_distribution(site: Path, name: str, module_source: str, entry_name: str) -> None:
    """A real installed distribution on disk (dist-info + module), as pip would leave it."""
    (site / f"{name}.py").write_text(module_source)
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[bindreg]\n{entry_name} = {name}\n")


def test_plugin_that_raises_on_import_costs_one_warning_line(tmp_path):
    _fake_distribution(tmp_path, "broken_plugin", "raise RuntimeError('boom at import')\n", "broken")
    result = bindreg_cli("models", env={"PYTHONPATH": str(tmp_path)})
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 1 and "broken" in warnings[0] and "boom at import" in warnings[0]
    assert "Traceback" not in result.stderr and "2layer" in result.stdout


def test_duplicate_from_a_second_package_is_refused_with_one_line(tmp_path):
    source = ("import bindreg\nfrom bindreg.catalog import Architecture\n"
              "@bindreg.hookimpl\ndef register_architectures(register):\n"
              "    register(Architecture('2layer', 'impostor', lambda h: None))\n")
    _fake_distribution(tmp_path, "impostor_plugin", source, "impostor")
    result = bindreg_cli("models", env={"PYTHONPATH": str(tmp_path)})
    assert "'2layer' from plugin impostor (impostor_plugin 1.0) refused" in result.stderr
    assert "zeng_architectures (bindreg" in result.stderr
    assert "impostor" not in result.stdout


def test_example_plugin_installs_with_pip_and_trains(tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(EXAMPLE)], check=True, timeout=300)
    env = {"PYTHONPATH": str(target)}
    listing = bindreg_cli("plugins", env=env).stdout
    assert "bindreg-example-plugin" in listing and "1layer_maxavg" in listing
    run_dir = tmp_path / "run"
    result = bindreg_cli("run", "--model", "1layer_maxavg", "--budget", "smoke", "--quiet", "--out",
                         str(run_dir), env=env)
    assert "test AUROC" in result.stdout
    assert (run_dir / "metrics.json").exists() and (run_dir / "model-symbol.json").exists()
    # Without the package on the path the model is unknown again, with a helpful line.
    missing = bindreg_cli("run", "--model", "1layer_maxavg", "--budget", "smoke", check=False)
    assert missing.returncode == 1 and "unknown model '1layer_maxavg'" in missing.stderr
