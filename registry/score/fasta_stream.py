"""Fast fixed-length scoring and streamed FASTA prediction.

``FixedLengthScorer`` scores base codes ``(n, L)`` (uint8, 0-3 = A C G T, 4 = N) of exactly the
model's input length with MXNet or onnxruntime in large batches. The ONNX export has a fixed
batch of 64 (``bundle.json``'s ``onnx_batch``); its only shape constant is a ``Reshape`` to
``(0, -1)``, so the session is built from a copy whose batch axis is symbolic (and whose weights
are no longer listed as graph inputs, which lets onnxruntime fold them): one call per 4,096
sequences instead of 64.

``predict_fasta_stream`` reads a FASTA file in blocks of bytes and parses each block with array
operations (newlines, headers, record boundaries, names and base codes found by NumPy on the
block's bytes, no Python loop per record); records of the model's length go to the fixed-length
scorer, the others (any other length) to ``bindreg.score.predict.score_sequences`` as before; scores
are formatted as fixed-point text by array operations and written block by block. Memory is one
block (default 4 MB of FASTA) and its encodings, whatever the file's size.
"""

from __future__ import annotations

import gzip
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numba import njit

from ..core.errors import BindregError

#: FASTA bytes read per block.
BLOCK_BYTES = 4 << 20
#: Sequences per network call.
BATCH = 4096

_CODES = np.full(256, 5, dtype=np.uint8)  # 5: not a base letter
for _i, _b in enumerate(b"ACGT"):
    _CODES[_b] = _CODES[_b + 32] = _i
_CODES[ord("N")] = _CODES[ord("n")] = 4
_WHITESPACE = np.zeros(256, dtype=bool)
_WHITESPACE[[9, 10, 11, 12, 13, 32]] = True
_COMPLEMENT = np.array([3, 2, 1, 0, 4], dtype=np.uint8)


def one_hot_codes(codes: np.ndarray) -> np.ndarray:
    """``(n, L)`` codes -> ``(n, 4, 1, L)`` float32 one-hot (N: an all-zero column)."""
    return _one_hot(np.ascontiguousarray(codes))


@njit(cache=True)
def _one_hot(codes):
    # numba: one pass writing each float once (NumPy's four comparisons into a strided output ran at a
    # third of the network's speed). One thread: the engines' own thread pools run next to it, and
    # two pools spinning on 2 cores slowed onnxruntime 2-4x.
    count, length = codes.shape
    x = np.zeros((count, 4, 1, length), np.float32)
    for n in range(count):
        for p in range(length):
            code = codes[n, p]
            if code < 4:
                x[n, code, 0, p] = 1.0
    return x


@dataclass
class FixedLengthScorer:
    """P(bound) of sequences of exactly ``input_length`` bp given as codes ``(n, L)``."""

    engine: str
    input_length: int
    forward: object
    both_strands: bool = False
    #: Seconds spent in the network itself (the engine's forward pass), for benchmarks.
    network_seconds: float = 0.0

    def probabilities(self, codes: np.ndarray) -> np.ndarray:
        out = np.empty(len(codes), dtype=np.float64)
        for start in range(0, len(codes), BATCH):
            chunk = codes[start:start + BATCH]
            p = _softmax(self._forward(one_hot_codes(chunk)))
            if self.both_strands:  # the mean over both strands, as such runs were tested
                p = (p + _softmax(self._forward(one_hot_codes(_COMPLEMENT[chunk[:, ::-1]])))) / 2
            out[start:start + len(chunk)] = p
        return out

    def _forward(self, x: np.ndarray) -> np.ndarray:
        started = time.perf_counter()
        logits = self.forward(x)
        self.network_seconds += time.perf_counter() - started
        return logits


def _softmax(logits: np.ndarray) -> np.ndarray:
    """P(bound) from logits ``(n, 2)``, as every engine path computes it (``engines.p_bound``)."""
    from .engines import p_bound

    return p_bound(logits)


def load_fixed_length_scorer(directory: Path, engine: str = "mxnet") -> FixedLengthScorer:
    """The fixed-length network of a bundle or run directory, in batches of ``BATCH``."""
    from .bundles import bundle_info
    from .gkm_member import with_member
    from .predict import load_scorer

    directory = Path(directory)
    info = bundle_info(directory)
    length = int(info["input_length"])
    both = bool(info.get("both_strands"))
    session = _dynamic_batch_session(directory / "model.onnx") if engine == "onnxruntime" else None
    if session is not None:
        name = session.get_inputs()[0].name
        return FixedLengthScorer(engine, length, with_member(directory, lambda x: session.run(None, {name: x})[0]),
                                 both)
    if engine == "mxnet":
        import mxnet as mx

        from .engines import import_network

        net = import_network(directory, "model-symbol.json", ["data"])
        net.hybridize(static_alloc=True)
        return FixedLengthScorer(engine, length,
                                 with_member(directory, lambda x: net(mx.nd.array(x, dtype="float32")).asnumpy()), both)
    # A plugin's engine, or an ONNX export this rewrite does not cover: the engine's own batch, padded.
    scorer = load_scorer(directory, engine)

    def engine_batches(x: np.ndarray) -> np.ndarray:
        return np.concatenate([scorer.run_batch(x[i:i + scorer.batch])[:len(x[i:i + scorer.batch])]
                               for i in range(0, len(x), scorer.batch)])

    return FixedLengthScorer(engine, length, engine_batches, both)


def _dynamic_batch_session(path: Path):
    """An onnxruntime session of ``path`` with a symbolic batch axis, or None when the graph holds a
    shape constant other than ``(0, -1)`` reshapes (then the fixed batch is used)."""
    if not path.exists():
        return None  # load_scorer then says why there is no model.onnx
    import onnx
    import onnxruntime as ort
    from onnx import numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    constants = {i.name: i for i in graph.initializer}
    for node in graph.node:
        if node.op_type == "Reshape":
            shape = constants.get(node.input[1])
            if shape is None or numpy_helper.to_array(shape)[0] not in (0, -1):
                return None
    for value in list(graph.input) + list(graph.output):
        dim = value.type.tensor_type.shape.dim
        if dim:
            dim[0].ClearField("dim_value")
            dim[0].dim_param = "batch"
    kept = [i for i in graph.input if i.name not in constants]
    del graph.input[:]
    graph.input.extend(kept)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    # Idle threads sleep instead of spinning: on 2 shared cores a spinning pool slowed scoring 2x.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    except Exception:  # noqa: BLE001 - any refusal of the rewritten graph: keep the fixed batch
        return None


# ---------------------------------------------------------------- FASTA in blocks


@dataclass
class Block:
    """Records of one block: ``names`` as bytes joined by ``\\n``-free slices, ``codes``, ``lengths``."""

    name_bytes: np.ndarray  # all names, concatenated (uint8)
    name_ends: np.ndarray  # (n,) end offset of each name in name_bytes
    codes: np.ndarray  # all bases of all records, concatenated (uint8 codes)
    lengths: np.ndarray  # (n,) bases per record
    first_line: int  # 1-based line of the block's first header
    header_lines: np.ndarray  # (n,) 0-based line of each header within the block

    def __len__(self) -> int:
        return len(self.lengths)


def _open_binary(path: Path):
    with open(path, "rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else open(path, "rb")


def iter_blocks(path: Path, block_bytes: int = BLOCK_BYTES):
    """Parse ``path`` (plain or gzip FASTA) block by block; each block ends at a record boundary."""
    path = Path(path)
    if not path.exists():
        raise BindregError(f"{path}: FASTA file not found")
    if path.is_dir():
        raise BindregError(f"{path}: is a directory; give a FASTA file")
    carry, line = b"", 1
    try:
        with _open_binary(path) as handle:
            while True:
                data = handle.read(block_bytes)
                buffer = carry + data
                if not data:
                    if buffer.strip():
                        yield _parse(buffer, path, line)
                    return
                cut = buffer.rfind(b"\n>")
                if cut < 0:
                    carry = buffer
                    continue
                block, carry = buffer[:cut + 1], buffer[cut + 1:]
                if block.strip():
                    parsed = _parse(block, path, line)
                    line += block.count(b"\n")
                    yield parsed
                else:
                    line += block.count(b"\n")
    except (gzip.BadGzipFile, EOFError) as exc:
        raise BindregError(f"{path}: not a readable FASTA file ({exc}); give plain or gzipped FASTA") from None


def _parse(block: bytes, path: Path, first_line: int) -> Block:
    raw = np.frombuffer(block, dtype=np.uint8)
    records = block.count(b">")
    status, codes, lengths, name_bytes, name_ends, header_lines = _parse_bytes(raw, records, _CODES, _WHITESPACE)
    if status:  # something is wrong: the array parser below names the line and the fix
        _parse_arrays(block, path, first_line)
        raise BindregError(f"{path}: unreadable FASTA block from line {first_line}; check the file's format")
    return Block(name_bytes, name_ends, codes, lengths, first_line, header_lines)


@njit(cache=True)
def _parse_bytes(raw, records, code_of, whitespace):
    # numba: one pass over the bytes (a quarter of the NumPy version's time, which was a fifth of the
    # end-to-end FASTA prediction). Status 1 on anything the NumPy parser would refuse; that one then
    # finds the line and says why.
    size = len(raw)
    codes = np.empty(size, np.uint8)
    lengths = np.zeros(records, np.int64)
    name_bytes = np.empty(size, np.uint8)
    name_ends = np.zeros(records, np.int64)
    header_lines = np.zeros(records, np.int64)
    record, kept, named, line, i = -1, 0, 0, 0, 0
    while i < size:
        first = raw[i]
        if first == 62:  # '>': a header; the name runs to the first whitespace
            record += 1
            header_lines[record] = line
            i += 1
            while i < size and raw[i] != 10 and not whitespace[raw[i]]:
                name_bytes[named] = raw[i]
                named += 1
                i += 1
            name_ends[record] = named
            if named == (name_ends[record - 1] if record else 0):  # no name after '>'
                return 1, codes[:0], lengths, name_bytes[:0], name_ends, header_lines
            while i < size and raw[i] != 10:
                i += 1
        elif first == 59:  # ';': a comment line
            while i < size and raw[i] != 10:
                i += 1
        else:
            while i < size and raw[i] != 10:
                byte = raw[i]
                i += 1
                if whitespace[byte]:
                    continue
                code = code_of[byte]
                if record < 0 or code == 5:
                    return 1, codes[:0], lengths, name_bytes[:0], name_ends, header_lines
                codes[kept] = code
                kept += 1
                lengths[record] += 1
        i += 1  # the newline
        line += 1
    count = record + 1
    for r in range(count):
        if lengths[r] == 0:
            return 1, codes[:0], lengths, name_bytes[:0], name_ends, header_lines
    return 0, codes[:kept].copy(), lengths[:count], name_bytes[:named].copy(), name_ends[:count], header_lines[:count]


def _parse_arrays(block: bytes, path: Path, first_line: int) -> Block:
    """The same parse by NumPy array operations, which also names the line of any error."""
    # Per-line arrays and 1-byte per-byte masks only: per-byte int64 arrays (line or record of each
    # byte) cost more in page faults than the parsing itself.
    raw = np.frombuffer(block, dtype=np.uint8)
    newlines = np.flatnonzero(raw == 10)
    starts = np.r_[0, newlines + 1]
    starts = starts[starts < len(raw)]
    ends = np.r_[newlines, len(raw)][:len(starts)]  # each line's newline (or the block's end)
    first = raw[starts]
    header = first == ord(">")
    not_sequence = header | (first == ord(";"))
    blank = _WHITESPACE[raw]
    visible = int(np.argmin(blank)) if not blank.all() else -1
    if visible >= 0:
        line = int(np.searchsorted(starts, visible, side="right")) - 1
        if not not_sequence[line]:
            raise BindregError(f"{path}:{first_line + line}: sequence before the first '>' header; "
                               "is this a FASTA file?")
    # Bytes of header and comment lines, marked by +1 at their start and -1 after their end.
    marks = np.zeros(len(raw) + 1, dtype=np.int8)
    marks[starts[not_sequence]] += 1
    np.subtract.at(marks, ends[not_sequence] + 1, 1)
    in_header = np.cumsum(marks[:-1], dtype=np.int8).view(bool)
    keep = ~(blank | in_header)
    codes = _CODES[raw[keep]]
    header_lines = np.flatnonzero(header)
    record_starts = starts[header_lines]
    lengths = np.add.reduceat(keep, record_starts, dtype=np.int64) if len(record_starts) else np.zeros(0, np.int64)
    # Names: from after '>' to the first whitespace of the header line.
    name_starts = record_starts + 1
    spaces = np.flatnonzero(blank & in_header)
    name_stops = np.minimum(spaces[np.searchsorted(spaces, name_starts)] if spaces.size else len(raw),
                            ends[header_lines])
    name_lengths = name_stops - name_starts
    if (name_lengths <= 0).any() or (lengths == 0).any():
        index = int(np.flatnonzero((name_lengths <= 0) | (lengths == 0))[0])
        if lengths[index] == 0:
            raise BindregError(f"{path}:{first_line + int(header_lines[index])}: record is empty; remove it")
        raise BindregError(f"{path}:{first_line + int(header_lines[index])}: header without a name; "
                           "give each record a name after '>'")
    gather = np.repeat(name_starts - np.r_[0, np.cumsum(name_lengths)[:-1]], name_lengths) + \
        np.arange(name_lengths.sum())
    bad = np.flatnonzero(codes == 5)
    if bad.size:
        position = int(np.flatnonzero(keep)[bad[0]])
        index = int(np.searchsorted(record_starts, position, side="right")) - 1
        offset = int(bad[0] - (np.cumsum(lengths)[index] - lengths[index]))
        name = raw[name_starts[index]:name_stops[index]].tobytes().decode("utf-8", "replace")
        raise BindregError(f"{path}:{first_line + int(np.searchsorted(starts, position, side='right')) - 1}: "
                           f"character {chr(raw[position])!r} at position {offset + 1} of {name!r} is not one "
                           "of A, C, G, T, N; replace ambiguity codes by N")
    return Block(raw[gather], np.cumsum(name_lengths), codes, lengths, first_line, header_lines)


def format_scores(scores: np.ndarray) -> np.ndarray:
    """``(n,)`` in [0, 1] -> ``(n, 11)`` uint8 ASCII, fixed point with 9 decimals (``0.123456789``)."""
    scaled = np.rint(np.clip(scores, 0, 1) * 1e9).astype(np.int64)
    text = np.empty((len(scores), 11), dtype=np.uint8)
    text[:, 0] = ord("0") + (scaled // 1_000_000_000)
    text[:, 1] = ord(".")
    rest = scaled % 1_000_000_000
    for digit in range(10, 1, -1):
        text[:, digit] = ord("0") + rest % 10
        rest //= 10
    return text


def block_lines(block: Block, scores: np.ndarray) -> bytes:
    """``name<TAB>score\\n`` for every record of ``block``, built with array operations."""
    n = len(block)
    name_lengths = np.diff(np.r_[0, block.name_ends])
    line_lengths = name_lengths + 13  # tab, 11 characters, newline
    line_starts = np.r_[0, np.cumsum(line_lengths)[:-1]]
    out = np.empty(int(line_lengths.sum()), dtype=np.uint8)
    name_dest = np.repeat(line_starts - np.r_[0, block.name_ends[:-1]], name_lengths) + np.arange(len(block.name_bytes))
    out[name_dest] = block.name_bytes
    tail = line_starts + name_lengths
    out[tail] = 9
    out[tail[:, None] + 1 + np.arange(11)] = format_scores(scores)
    out[tail + 12] = 10
    del n
    return out.tobytes()


def score_block(block: Block, fixed: FixedLengthScorer, rest) -> np.ndarray:
    """P(bound) per record: records of the model's length by ``fixed``, the others by ``rest(list[str])``."""
    length = fixed.input_length
    offsets = np.r_[0, np.cumsum(block.lengths)[:-1]]
    exact = np.flatnonzero(block.lengths == length)
    scores = np.empty(len(block), dtype=np.float64)
    if exact.size:
        scores[exact] = fixed.probabilities(block.codes[offsets[exact, None] + np.arange(length)])
    others = np.flatnonzero(block.lengths != length)
    if others.size:
        letters = np.frombuffer(b"ACGTN", dtype=np.uint8)
        sequences = [letters[block.codes[offsets[i]:offsets[i] + block.lengths[i]]].tobytes().decode("ascii")
                     for i in others]
        scores[others] = rest(sequences)
    return scores


def predict_fasta_stream(model: str, fasta: Path, engine: str = "mxnet", out: Path | None = None,
                         stride: int = 1, mode: str = "auto", progress: bool = False,
                         block_bytes: int = BLOCK_BYTES, stats: dict | None = None) -> tuple[int, str]:
    """Score every record of ``fasta``; write ``name<TAB>score`` (score with 9 decimals) to ``out``, or to
    stdout. Returns the number of records and the mode used for records of other lengths; ``stats``, when
    given, receives the seconds spent in the network (``network_seconds``)."""
    from ..core.fsutil import check_output_file
    from ..core.validate import input_file
    from .predict import choose_mode, score_sequences
    from .bundles import resolve_local

    directory = resolve_local(model)  # an unknown model is named first, whatever else is wrong
    input_file(fasta, "FASTA")
    if out is not None:
        check_output_file(Path(out), (fasta,))
    chosen = choose_mode(directory, engine, mode)
    fixed = load_fixed_length_scorer(directory, engine)

    def rest(sequences: list[str]) -> np.ndarray:
        return score_sequences(directory, sequences, engine, chosen, stride)[0]

    scratch = Path(out).with_name(f".{Path(out).name}.tmp") if out is not None else None
    handle = open(scratch, "wb") if scratch is not None else sys.stdout.buffer
    bar = None
    count, informative, ok = 0, False, False
    try:
        handle.write(b"name\tscore\n")
        for block in iter_blocks(Path(fasta), block_bytes):
            informative = informative or bool((block.codes < 4).any())
            if progress and bar is None and informative:  # a refused file shows no bar
                from tqdm.auto import tqdm

                bar = tqdm(total=os.path.getsize(fasta), desc="predict", unit="B", unit_scale=True, mininterval=1)
            handle.write(block_lines(block, score_block(block, fixed, rest)))
            count += len(block)
            if bar is not None:
                bar.update(min(block_bytes, bar.total - bar.n))
        if count == 0:
            raise BindregError(f"{fasta}: no sequences found; give a FASTA file with at least one record")
        if not informative:
            raise BindregError(f"{fasta}: every sequence ({count}) is only N (unknown bases); give sequences "
                               "with A, C, G, T")
        ok = True
    finally:
        if stats is not None:
            stats["network_seconds"] = fixed.network_seconds
        if bar is not None:
            bar.close()
        if scratch is not None:
            handle.close()
            if ok:
                os.replace(scratch, out)
            else:
                scratch.unlink(missing_ok=True)
        else:
            handle.flush()
    return count, chosen
