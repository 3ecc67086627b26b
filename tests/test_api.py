"""docs/api.md runs as written: every ```python block, in order, in one namespace, in a fresh folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


@pytest.mark.slow  # trains and compares (smoke budget)
def test_api_doc_examples_run(tmp_path):
    blocks = python_blocks(DOC.read_text())
    assert len(blocks) >= 5
    script = tmp_path / "api_doc.py"
    script.write_text("\n\n".join(blocks))
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True,
                            env={**os.environ, "MPLBACKEND": "Agg"})
    assert result.returncode == 0, result.stderr[-3000:]


def test_import_bindreg_imports_no_mxnet():
    code = "import sys; from bindreg import api; print('mxnet' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_sequences_with_other_letters_are_one_clear_error(tmp_path):
    from bindreg import api
    from bindreg.core.errors import BindregError

    with pytest.raises(BindregError, match=r"no such FASTA file"):
        api.Model("x", tmp_path).predict(str(tmp_path / "missing.fa"))
    with pytest.raises(BindregError, match=r"sequence list entry:2: character 'R'"):
        api.Model("x", tmp_path).predict(["ACGT", "ACRT"])
