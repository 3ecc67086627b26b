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


def test_save_png_writes_a_palette_png_that_keeps_the_picture(tmp_path):
    """Motif logos and curves are saved with a 256-colour palette (the zoo's 25 MB): smaller, same look."""
    import numpy as np
    from PIL import Image

    from bindreg.core.figures import new_figure, save_png

    figure = new_figure(figsize=(4, 2))
    axes = figure.subplots()
    axes.imshow(np.linspace(0, 1, 200).reshape(10, 20), cmap="viridis")
    axes.plot([0, 19], [0, 9], color="tab:red")
    figure.savefig(tmp_path / "full.png", dpi=80)
    save_png(figure, tmp_path / "palette.png", dpi=80)
    with Image.open(tmp_path / "full.png") as full, Image.open(tmp_path / "palette.png") as palette:
        assert palette.mode == "P" and palette.size == full.size
        difference = np.abs(np.asarray(full.convert("RGB"), float) - np.asarray(palette.convert("RGB"), float))
    assert difference.mean() < 2 and (tmp_path / "palette.png").stat().st_size < (tmp_path / "full.png").stat().st_size
