"""A minimal reader of the protobuf wire format, enough to vet an ONNX file before ONNX Runtime.

Why not hand the bytes straight to ONNX Runtime: its parser allocates whatever a hostile
file asks for and reports damage as a C++ message. Walking the top level of `ModelProto`
here costs microseconds, needs no `onnx` package (not an app dependency), and lets
`contract.py` say precisely "empty", "truncated", "not ONNX" or "metadata too large" before
any native code sees the file.

Only the fields the contract needs are decoded: `ir_version` (1), `graph` (7) and
`metadata_props` (14, each a `StringStringEntryProto` of key 1 and value 2). Inside the
graph, only the tensors are visited, to find any that point at external data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5
_IR_VERSION, _GRAPH, _METADATA = 1, 7, 14
# Where tensors live (onnx.proto): GraphProto node 1, initializer 5, sparse_initializer 15;
# NodeProto attribute 5; AttributeProto t 5, g 6, tensors 10, graphs 11, sparse_tensor 22,
# sparse_tensors 23; SparseTensorProto values 1, indices 2; TensorProto external_data 13,
# data_location 14 (1 = EXTERNAL).
_GRAPH_TENSORS, _GRAPH_SPARSE, _GRAPH_NODES = (5,), (15,), (1,)
_ATTR_TENSORS, _ATTR_GRAPHS, _ATTR_SPARSE = (5, 10), (6, 11), (22, 23)
_MAX_DEPTH = 32  # nested subgraphs (If / Loop bodies); deeper is hostile, not a model
# The parse budget: how many protobuf fields one file may make this walker visit. The
# shipped models take about 300, a graph of 10,000 nodes about 150,000; a crafted file of
# millions of tiny repeated fields would otherwise hold the GUI thread for minutes (about
# 1 µs a field). The budget is a count, not a clock, so a verdict never depends on load.
MAX_FIELDS = 1_000_000


class WireError(ValueError):
    """The bytes are not a well-formed protobuf message; the text says where it broke."""


class WireBudgetError(WireError):
    """The bytes hold more fields than the parse budget (`MAX_FIELDS`) allows."""


@dataclass
class ModelSkeleton:
    """What the top level of a `ModelProto` holds, as far as the contract cares."""

    ir_version: int | None = None
    has_graph: bool = False
    metadata: dict[str, str] = field(default_factory=dict)
    metadata_bytes: int = 0
    external_data: bool = False


def _a(number: int) -> str:
    """The article before a number said aloud: "an 8-byte", "an 11-byte", "a 12-byte"."""
    digits = str(number)
    lead = digits[:2] if len(digits) % 3 == 2 else digits[:1]
    return "an" if digits[0] == "8" or lead in ("11", "18") else "a"


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise WireError(f"a number runs past the end of the file at byte {pos}")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift >= 64:
            raise WireError(f"a number longer than 10 bytes at byte {pos}")


class _Budget:
    """Fields left to visit in one `read_skeleton` call (each call makes its own)."""

    def __init__(self, fields: int):
        self.left = fields

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise WireBudgetError(f"it holds more than {MAX_FIELDS:,} protobuf fields, "
                                  f"far more than any model")


def _fields(buf: bytes, start: int = 0, end: int | None = None,
            budget: _Budget | None = None):
    """Yield (field_number, wire_type, value) where value is an int or a (start, end) span."""
    pos, end = start, len(buf) if end is None else end
    while pos < end:
        if budget is not None:
            budget.spend()
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise WireError(f"field number 0 at byte {pos}")
        if wire == _VARINT:
            value, pos = _varint(buf, pos)
        elif wire in (_I64, _I32):
            size = 8 if wire == _I64 else 4
            if pos + size > end:
                raise WireError(f"a fixed-size field runs past the end at byte {pos}")
            value, pos = int.from_bytes(buf[pos:pos + size], "little"), pos + size
        elif wire == _LEN:
            length, pos = _varint(buf, pos)
            if pos + length > end:
                raise WireError(
                    f"{_a(length)} {length}-byte field at byte {pos} runs past the end "
                    f"({end} bytes)"
                )
            value, pos = (pos, pos + length), pos + length
        else:
            # Groups (3, 4) are obsolete and never written by ONNX; 6 and 7 do not exist.
            raise WireError(f"unsupported wire type {wire} at byte {pos}")
        yield number, wire, value


def _entry(buf: bytes, span: tuple[int, int], b: _Budget) -> tuple[str, str]:
    key = value = ""
    for number, wire, val in _fields(buf, *span, b):
        if wire != _LEN or number not in (1, 2):
            continue
        text = buf[val[0]:val[1]].decode("utf-8")
        if number == 1:
            key = text
        else:
            value = text
    return key, value


def read_skeleton(buf: bytes, max_metadata_bytes: int) -> ModelSkeleton:
    """Walk the top level of a serialized `ModelProto`.

    Raises `WireError` on malformed bytes and `OverflowError` when the metadata entries
    together exceed `max_metadata_bytes` (checked before any of them is decoded).
    """
    skel = ModelSkeleton()
    spans = []
    b = _Budget(MAX_FIELDS)
    for number, wire, value in _fields(buf, 0, None, b):
        if number == _IR_VERSION and wire == _VARINT:
            skel.ir_version = value
        elif number == _GRAPH and wire == _LEN:
            skel.has_graph = True
            skel.external_data = skel.external_data or _graph_external(buf, value, 0, b)
        elif number == _METADATA and wire == _LEN:
            spans.append(value)
            skel.metadata_bytes += value[1] - value[0]
    if skel.metadata_bytes > max_metadata_bytes:
        raise OverflowError(skel.metadata_bytes)
    for span in spans:
        try:
            key, value = _entry(buf, span, b)
        except UnicodeDecodeError as exc:
            raise WireError("a metadata entry is not valid UTF-8") from exc
        skel.metadata[key] = value
    return skel


def _tensor_external(buf: bytes, span: tuple[int, int], b: _Budget) -> bool:
    for number, wire, value in _fields(buf, *span, b):
        if number == 13 and wire == _LEN or number == 14 and wire == _VARINT and value == 1:
            return True
    return False


def _sparse_external(buf: bytes, span: tuple[int, int], b: _Budget) -> bool:
    return any(_tensor_external(buf, value, b) for number, wire, value in _fields(buf, *span, b)
               if number in (1, 2) and wire == _LEN)


def _graph_external(buf: bytes, span: tuple[int, int], depth: int, b: _Budget) -> bool:
    """True if any tensor of this GraphProto (or of its nodes' subgraphs) is external."""
    if depth > _MAX_DEPTH:
        raise WireError("subgraphs nested more than 32 deep")
    for number, wire, value in _fields(buf, *span, b):
        if wire != _LEN:
            continue
        if number in _GRAPH_TENSORS and _tensor_external(buf, value, b) \
                or number in _GRAPH_SPARSE and _sparse_external(buf, value, b) \
                or number in _GRAPH_NODES and _node_external(buf, value, depth, b):
            return True
    return False


def _node_external(buf: bytes, span: tuple[int, int], depth: int, b: _Budget) -> bool:
    for number, wire, attr in _fields(buf, *span, b):
        if number != 5 or wire != _LEN:
            continue
        for n, w, value in _fields(buf, *attr, b):
            if w != _LEN:
                continue
            if n in _ATTR_TENSORS and _tensor_external(buf, value, b) \
                    or n in _ATTR_SPARSE and _sparse_external(buf, value, b) \
                    or n in _ATTR_GRAPHS and _graph_external(buf, value, depth + 1, b):
                return True
    return False
