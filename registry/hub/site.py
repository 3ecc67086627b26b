"""A static, browsable page of a registry: an index of models and one page per card.

``render_site(out, repo)`` pulls (downloads and verifies) the latest version of
every model registered in ``repo``, then writes::

    OUT/index.html                 name, version, task, experiment, test AUROC, motif logo
    OUT/models/NAME/index.html     the card rendered from Markdown, with its pictures

Plain HTML and one inline stylesheet: it opens from disk or any static host.
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path

from ..core.errors import BindregError

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222; }
table { border-collapse: collapse; } th, td { padding: .35rem .7rem; border-bottom: 1px solid #ddd; text-align: left; }
td img.logo { height: 180px; } img { max-width: 100%; } code { background: #f4f4f4; padding: 0 .2rem; }
.meta { color: #666; font-size: .9rem; }
"""


def _page(title: str, body: str) -> str:
    return (f"<!doctype html>\n<html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>\n{body}\n</body></html>\n")


def card_html(card_markdown: str) -> str:
    """The Markdown body of a card (front matter dropped: the index shows those facts) as HTML."""
    from markdown_it import MarkdownIt

    text = card_markdown
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        text = text[end + 5:] if end != -1 else text
    return MarkdownIt("commonmark", {"html": False}).enable("table").render(text)


def render_site(out: Path, repo: str | None = None) -> list[dict]:
    """Write the site for every model of ``repo`` into ``out`` (replaced whole); returns the index rows."""
    from ..core.fsutil import atomic_directory
    from .pull import pull
    from .repository import list_models

    models = list_models(repo)
    if not models:
        raise BindregError(f"no published models in {repo or 'this repository'}; publish one with "
                           "`bindreg publish RUN` first")
    rows = []
    with atomic_directory(Path(out), replaces=("index.html",)) as scratch:
        for model in models:
            pulled = pull(f"{model['name']}@{model['latest']}", repo)
            page_dir = scratch / "models" / model["name"]
            page_dir.mkdir(parents=True)
            for asset in ("motif_logos.png", "curves.png"):
                if (pulled.directory / asset).exists():
                    shutil.copyfile(pulled.directory / asset, page_dir / asset)
            meta = model["meta"]
            title = f"{model['name']} {model['latest']}"
            header = (f"<p class='meta'><a href='../../index.html'>all models</a> &middot; "
                      f"{html.escape(title)} &middot; download: <code>bindreg pull {html.escape(model['name'])}@"
                      f"{html.escape(model['latest'])} --from {html.escape(str(repo or '.'))}</code></p>")
            (page_dir / "index.html").write_text(
                _page(title, header + card_html((pulled.directory / "card.md").read_text())))
            rows.append({"name": model["name"], "version": model["latest"], "task": meta.get("task", "?"),
                         "experiment": meta.get("dataset", "?"), "auroc": meta.get("auroc"),
                         "stages": model["stages"], "logo": (page_dir / "motif_logos.png").exists()})
        lines = ["<h1>bindreg model registry</h1>",
                 f"<p class='meta'>{len(rows)} model(s) published in {html.escape(str(repo or '.'))}</p>",
                 "<table><tr><th>model</th><th>version</th><th>task</th><th>experiment</th><th>test AUROC</th>"
                 "<th>stages</th><th>first-layer motifs</th></tr>"]
        for row in rows:
            link = f"models/{row['name']}/index.html"
            logo = (f"<a href='{link}'><img class='logo' src='models/{row['name']}/motif_logos.png' "
                    f"alt='motif logos of {html.escape(row['name'])}'></a>" if row["logo"] else "-")
            auroc = f"{row['auroc']:.4f}" if isinstance(row["auroc"], (int, float)) else "?"
            stages = ", ".join(f"{s}: {v}" for s, v in row["stages"].items()) or "-"
            lines.append(f"<tr><td><a href='{link}'>{html.escape(row['name'])}</a></td>"
                         f"<td>{html.escape(row['version'])}</td><td>{html.escape(str(row['task']))}</td>"
                         f"<td>{html.escape(str(row['experiment']))}</td><td>{auroc}</td>"
                         f"<td>{html.escape(stages)}</td><td>{logo}</td></tr>")
        lines.append("</table>")
        (scratch / "index.html").write_text(_page("bindreg model registry", "\n".join(lines)))
    return rows
