"""Figures are drawn without choosing or switching matplotlib's backend."""

from __future__ import annotations

import subprocess
import sys


def test_drawing_a_figure_leaves_the_callers_backend_alone(tmp_path):
    code = ("import matplotlib; matplotlib.use('svg'); "
            "from bindreg.core.figures import new_figure; f = new_figure(figsize=(2, 2)); "
            "f.subplots().plot([0, 1]); f.savefig(sys.argv[1]); print(matplotlib.get_backend())")
    out = subprocess.run([sys.executable, "-c", "import sys; " + code, str(tmp_path / "f.png")],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "svg" and (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"
