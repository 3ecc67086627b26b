"""The static registry site, looked at in headless Chromium: the index must show the motif logos."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from conftest import bindreg_cli

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--window-size=1280,900"]


def _screenshot(page, png, profile):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it with apt-get)")
    subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={png}",
                    page.as_uri()], check=True, capture_output=True, timeout=120)
    import matplotlib.image

    return matplotlib.image.imread(str(png))[:, :, :3]


def _logo_colours(pixels: np.ndarray) -> dict:
    """Pixels of logomaker's classic letter colours: A green, G orange, T red (links are blue)."""
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    return {"A": int(((g > 0.35) & (r < 0.25) & (b < 0.25)).sum()),
            "G": int(((r > 0.85) & (g > 0.5) & (g < 0.8) & (b < 0.25)).sum()),
            "T": int(((r > 0.85) & (g < 0.25) & (b < 0.25)).sum())}


def test_site_index_and_card_pages_render_in_chromium(published, tmp_path):
    out = tmp_path / "site"
    result = bindreg_cli("site", str(out), "--from", str(published["registry"]))
    assert "1 model page(s)" in result.stdout
    name = published["name"]
    index = (out / "index.html").read_text()
    assert name in index and "discovery" in index and "toy_experiment" in index
    card_page = out / "models" / name / "index.html"
    assert "Learned motifs" in card_page.read_text() and (out / "models" / name / "motif_logos.png").exists()
    pixels = _screenshot(out / "index.html", tmp_path / "index.png", tmp_path / "profile")
    assert (pixels.min(axis=2) < 0.9).mean() > 0.01, "the page rendered blank"
    colours = _logo_colours(pixels)
    assert min(colours.values()) > 30, f"the motif logo did not render: {colours}"
    card_pixels = _screenshot(card_page, tmp_path / "card.png", tmp_path / "profile2")
    assert (card_pixels.min(axis=2) < 0.9).mean() > 0.01
