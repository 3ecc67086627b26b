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


def _third_party(monkeypatch, tmp_path, name: str, body: str, entry: str | None = None) -> None:
    """A fake installed distribution ``name`` whose module registers what ``body`` says, on sys.path."""
    source = "import bindreg\nfrom bindreg.catalog import *\n" + body
    _fake_distribution(tmp_path, name, source, entry or name)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, name, raising=False)


def test_duplicate_from_a_second_package_is_refused_with_one_line(tmp_path, monkeypatch, capsys):
    _third_party(monkeypatch, tmp_path, "impostor_plugin", "@bindreg.hookimpl\ndef register_architectures(register):\n"
                 "    register(Architecture('2layer', 'impostor', lambda h: None))\n", "impostor")
    registry = load_registry()
    assert registry.architectures.get("2layer").description != "impostor"
    assert any("'2layer' from plugin impostor (impostor_plugin 1.0) refused" in w and "zeng_architectures (bindreg" in w
               for w in registry.warnings)


def test_a_third_party_sorting_first_cannot_take_a_builtin_name(tmp_path, monkeypatch):
    _third_party(monkeypatch, tmp_path, "aaa_plugin", "@bindreg.hookimpl\ndef register_architectures(register):\n"
                 "    register(Architecture('1layer', 'mine', lambda h: None))\n")
    registry = load_registry()
    assert registry.architectures.plugin_of("1layer").startswith("zeng_architectures (bindreg ")
    assert [w for w in registry.warnings if "'1layer' from plugin aaa_plugin" in w]


def test_a_baseline_cannot_take_an_architectures_name(tmp_path, monkeypatch):
    _third_party(monkeypatch, tmp_path, "clash_plugin", "@bindreg.hookimpl\ndef register_baselines(register):\n"
                 "    register(Baseline('deepbind', 'a baseline named like a network', lambda *a: None))\n")
    registry = load_registry()
    assert "deepbind" not in registry.baselines and "deepbind" in registry.architectures
    assert [w for w in registry.warnings if "'deepbind' from plugin clash_plugin" in w and "architecture" in w]


def test_an_item_of_the_wrong_type_is_refused(tmp_path, monkeypatch):
    _third_party(monkeypatch, tmp_path, "wrong_plugin", "@bindreg.hookimpl\ndef register_architectures(register):\n"
                 "    register(Task('not_a_network', 'a task', lambda s, r: s))\n")
    registry = load_registry()
    assert "not_a_network" not in registry.architectures
    assert [w for w in registry.warnings if "wrong_plugin" in w and "register a bindreg.catalog.Architecture" in w]


def test_sys_exit_at_import_costs_one_warning(tmp_path, monkeypatch):
    _third_party(monkeypatch, tmp_path, "exiting_plugin", "import sys\nsys.exit(3)\n")
    registry = load_registry()
    assert [w for w in registry.warnings if "exiting_plugin" in w and "SystemExit" in w]
    assert "2layer" in registry.architectures


def test_the_allow_list_loads_only_named_third_party_plugins(tmp_path, monkeypatch):
    _third_party(monkeypatch, tmp_path, "listed_plugin", "@bindreg.hookimpl\ndef register_architectures(register):\n"
                 "    register(Architecture('listed_net', 'listed', lambda h: None))\n")
    monkeypatch.setenv("BINDREG_LOAD_PLUGINS", "someone_else")
    registry = load_registry()
    assert "listed_net" not in registry.architectures and "2layer" in registry.architectures  # built-ins always
    monkeypatch.setenv("BINDREG_LOAD_PLUGINS", "listed_plugin")
    assert "listed_net" in load_registry().architectures


def test_plugin_commands_join_the_cli_but_cannot_take_a_builtin_name(tmp_path):
    source = ("import bindreg, typer\nfrom bindreg.catalog import Command\n"
              "def hello(name: str):\n    typer.echo(f'hello {name}')\n"
              "@bindreg.hookimpl\ndef register_commands(register):\n"
              "    register(Command('hello', 'greets', hello))\n    register(Command('predict', 'impostor', hello))\n")
    _fake_distribution(tmp_path, "greeting_plugin", source, "greeting")
    env = {"PYTHONPATH": str(tmp_path)}
    assert bindreg_cli("hello", "world", env=env).stdout.strip() == "hello world"
    helped = bindreg_cli("--help", env=env)
    assert "hello" in helped.stdout and "command 'predict' from plugin greeting (greeting_plugin 1.0) refused" \
        in helped.stderr


@pytest.mark.slow
def test_example_plugin_installs_with_pip_and_trains(tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(EXAMPLE)], check=True, timeout=300)
    env = {"PYTHONPATH": str(target)}
    listing = bindreg_cli("plugins", env=env).stdout
    assert "bindreg-example-plugin" in listing and "1layer_maxavg" in listing
    assert "executors: threads" in listing and "commands: gc" in listing
    fasta = tmp_path / "two.fa"
    fasta.write_text(">a\nGGCC\n>b\nATAT\n")
    assert bindreg_cli("gc", str(fasta), env=env).stdout.splitlines() == ["a\t1.000", "b\t0.000"]
    run_dir = tmp_path / "run"
    result = bindreg_cli("run", "--model", "1layer_maxavg", "--budget", "smoke", "--quiet", "--out",
                         str(run_dir), env=env)
    assert "test AUROC" in result.stdout
    assert (run_dir / "metrics.json").exists() and (run_dir / "model-symbol.json").exists()
    # Without the package on the path the model is unknown again, with a helpful line.
    missing = bindreg_cli("run", "--model", "1layer_maxavg", "--budget", "smoke", check=False)
    assert missing.returncode == 1 and "unknown model '1layer_maxavg'" in missing.stderr
