"""Rewrite an exported graph into an equal one that ONNX Runtime's CPU kernels run faster.

The DCGAN generators end in ConvTranspose (stride 2) → batch norm → ReLU → ConvTranspose
(stride 2). ONNX Runtime runs a ConvTranspose as one small matrix product per image and a
col2im scatter: 3.4 of the 4.5 ms that a 32-digit batch of the width-48 generator took on
the project's 2-core machine. A Conv runs on ONNX Runtime's blocked (NCHWc) kernels at
nearly twice the throughput. The sub-pixel identity turns one into the other exactly:

1. `ConvTranspose(x)` with stride s is s·s phase images, each an ordinary Conv of x with
   a slice of the kernel (output pixel (s·m + r) sees only the kernel taps of phase r).
   The per-channel scale and shift after it (a folded batch norm, a bias) go into each
   phase's weights and bias; element-wise activations run per phase.
2. The phase images are concatenated on the channel axis instead of being interleaved
   into the big image (DepthToSpace, slow in ONNX Runtime), and the next ConvTranspose
   absorbs the interleave: stride s·s₂, its kernel copied to one offset per phase.

Measured with ONNX Runtime 1.32, one intra-op thread, on the width-48 cdcgan: a 32-digit
batch 4.2 → 3.0 ms, one digit 206 → 158 µs; the outputs differ by at most 5e-7.

`rewrite(model)` changes the graph in place and returns how many ConvTranspose pairs it
rewrote; it leaves alone any pattern it cannot prove equal from the attributes alone.
`export.finish` runs it on every export, before its parity check against Keras.
"""

from __future__ import annotations

import numpy as np

# Element-wise ops that commute with interleaving phase images: they may run per phase.
_ELEMENTWISE = ("Relu", "LeakyRelu")


def _attrs(node) -> dict:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _plain_conv_transpose(node, initializers: dict) -> dict | None:
    """The attributes of a ConvTranspose this module can rewrite, or None.

    Plain means: 2-D, one group, no dilation, explicit pads, float32 weights (and bias, if
    any) stored in the file.
    """
    from onnx import TensorProto

    if node.op_type != "ConvTranspose" or node.input[1] not in initializers:
        return None
    if initializers[node.input[1]].data_type != TensorProto.FLOAT:
        return None
    if len(node.input) > 2 and node.input[2] and node.input[2] not in initializers:
        return None
    a = _attrs(node)
    w = initializers[node.input[1]]
    if len(w.dims) != 4 or a.get("group", 1) != 1 or "output_shape" in a:
        return None
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        return None
    if any(d != 1 for d in a.get("dilations", [1, 1])):
        return None
    kernel = list(a.get("kernel_shape", w.dims[2:]))
    return {"strides": list(a.get("strides", [1, 1])), "kernel": kernel,
            "pads": list(a.get("pads", [0, 0, 0, 0])),
            "output_padding": list(a.get("output_padding", [0, 0]))}


def _phase_taps(kernel: int, stride: int, pad_begin: int) -> list[list[tuple[int, int]]]:
    """For each phase r: the (input offset, kernel tap) pairs of output pixel s·m + r.

    Output pixel y = s·i + k - pad_begin, so y = s·m + r takes tap k from input pixel
    i = m + (r + pad_begin - k) / s wherever that division is exact.
    """
    return [[((r + pad_begin - k) // stride, k) for k in range(kernel)
             if (r + pad_begin - k) % stride == 0] for r in range(stride)]


def _splits_into_phases(attrs: dict) -> bool:
    """True when output size = stride × input size on both axes, every phase has a tap,
    and no phase reads only pixels after its own (which output padding can cause): then
    each phase is a Conv of the input's size with non-negative pads, no cropping needed."""
    s, k, p, op = attrs["strides"], attrs["kernel"], attrs["pads"], attrs["output_padding"]
    if max(s) < 2 or not all(k[a] - p[a] - p[a + 2] + op[a] == s[a] and k[a] >= s[a]
                             for a in range(2)):
        return False
    return all(min(d for d, _ in taps) <= 0
               for a in range(2) for taps in _phase_taps(k[a], s[a], p[a]))


def _per_channel(value: np.ndarray, channels: int) -> np.ndarray | None:
    """A constant that broadcasts over NCHW as one number per channel, as (channels,)."""
    if value.size == 1:
        return np.full(channels, value.reshape(()), np.float32)
    if value.shape in ((channels, 1, 1), (1, channels, 1, 1)):
        return value.reshape(channels).astype(np.float32)
    return None


class _Graph:
    """Who consumes what, and the stored constants, of one onnx.GraphProto."""

    def __init__(self, graph):
        from onnx import numpy_helper

        self.graph = graph
        self.initializers = {i.name: i for i in graph.initializer}
        self.array = lambda name: numpy_helper.to_array(self.initializers[name])
        self.outputs = {o.name for o in graph.output}
        self.consumers: dict[str, list] = {}
        for node in graph.node:
            for name in node.input:
                self.consumers.setdefault(name, []).append(node)

    def only_consumer(self, tensor: str):
        users = self.consumers.get(tensor, [])
        if tensor in self.outputs or len(users) != 1 or list(users[0].input).count(tensor) != 1:
            return None
        return users[0]


def _follow(g: _Graph, first, channels: int):
    """Walk from `first`'s output through per-channel Mul/Add and element-wise activations
    to the next ConvTranspose. Returns (scale, shift, activations, absorbed nodes, that
    ConvTranspose and its attributes), or None where the walk meets anything else."""
    scale = np.ones(channels, np.float32)
    shift = np.zeros(channels, np.float32)
    activations, absorbed = [], []
    tensor = first.output[0]
    while True:
        node = g.only_consumer(tensor)
        if node is None:
            return None
        if node.op_type in ("Mul", "Add"):
            other = [name for name in node.input if name != tensor]
            if len(other) != 1 or other[0] not in g.initializers:
                return None
            value = _per_channel(g.array(other[0]), channels)
            if value is None or activations:  # an affine after an activation stays
                return None
            if node.op_type == "Mul":
                scale, shift = scale * value, shift * value
            else:
                shift = shift + value
        elif node.op_type in _ELEMENTWISE:
            activations.append(node)
        elif node.op_type == "ConvTranspose" and node.input[0] == tensor:
            attrs = _plain_conv_transpose(node, g.initializers)
            return None if attrs is None else (scale, shift, activations, absorbed, node, attrs)
        else:
            return None
        absorbed.append(node)
        tensor = node.output[0]


def _phase_convs(g: _Graph, node, attrs: dict, scale, shift, activations) -> tuple[list, list]:
    """Nodes and initializers computing `node`'s s·s phase images, concatenated."""
    from onnx import helper, numpy_helper

    w = g.array(node.input[1]).astype(np.float32)  # (Cin, Cout, Ky, Kx)
    channels = w.shape[1]
    bias = (g.array(node.input[2]).astype(np.float32) if len(node.input) > 2 and node.input[2]
            else np.zeros(channels, np.float32))
    bias = bias * scale + shift
    (sy, sx), (ky, kx), pads = attrs["strides"], attrs["kernel"], attrs["pads"]
    taps_y, taps_x = _phase_taps(ky, sy, pads[0]), _phase_taps(kx, sx, pads[1])
    nodes, inits, phases = [], [], []
    for ry in range(sy):
        for rx in range(sx):
            oy = [d for d, _ in taps_y[ry]]
            ox = [d for d, _ in taps_x[rx]]
            kernel = np.zeros((channels, w.shape[0], max(oy) - min(oy) + 1,
                               max(ox) - min(ox) + 1), np.float32)
            for dy, ty in taps_y[ry]:
                for dx, tx in taps_x[rx]:
                    kernel[:, :, dy - min(oy), dx - min(ox)] = w[:, :, ty, tx].T
            kernel *= scale[:, None, None, None]
            name = f"{node.name}/phase{ry}{rx}"
            inits += [numpy_helper.from_array(kernel, name + "/w"),
                      numpy_helper.from_array(bias.copy(), name + "/b")]
            out = name + "/conv"
            nodes.append(helper.make_node(
                "Conv", [node.input[0], name + "/w", name + "/b"], [out], name=name,
                kernel_shape=list(kernel.shape[2:]),
                pads=[-min(oy), -min(ox), max(oy), max(ox)]))
            for act in activations:
                act_out = f"{name}/{act.op_type.lower()}"
                copy = helper.make_node(act.op_type, [out], [act_out], name=act_out)
                copy.attribute.extend(act.attribute)
                nodes.append(copy)
                out = act_out
            phases.append(out)
    concat = f"{node.name}/phases"
    nodes.append(helper.make_node("Concat", phases, [concat], name=concat, axis=1))
    return nodes, inits


def _absorbing(g: _Graph, node, attrs: dict, phases: str, strides: list[int]):
    """`node` (the next ConvTranspose) reading the concatenated phases instead of the
    interleaved image: phase (ry, rx) of channel c is input channel (ry·sx + rx)·C + c,
    and its kernel sits s₂·r further along each axis."""
    from onnx import helper, numpy_helper

    w = g.array(node.input[1]).astype(np.float32)  # (C, Cout, Ky, Kx)
    (sy, sx), (s2y, s2x), (ky, kx) = strides, attrs["strides"], attrs["kernel"]
    channels = w.shape[0]
    kernel = np.zeros((sy * sx * channels, w.shape[1], ky + s2y * (sy - 1),
                       kx + s2x * (sx - 1)), np.float32)
    for ry in range(sy):
        for rx in range(sx):
            block = (ry * sx + rx) * channels
            kernel[block:block + channels, :, s2y * ry:s2y * ry + ky,
                   s2x * rx:s2x * rx + kx] = w
    name = node.name + "/from_phases"
    new = helper.make_node(
        "ConvTranspose", [phases, name + "/w", *node.input[2:]], list(node.output), name=name,
        strides=[sy * s2y, sx * s2x], kernel_shape=list(kernel.shape[2:]),
        pads=attrs["pads"], output_padding=attrs["output_padding"])
    return new, numpy_helper.from_array(kernel, name + "/w")


def rewrite(model) -> int:
    """Rewrite every ConvTranspose → [per-channel affine, ReLU] → ConvTranspose chain of
    `model` (an onnx.ModelProto, changed in place); returns how many were rewritten."""
    graph = model.graph
    done = 0
    while True:
        g = _Graph(graph)
        for node in graph.node:
            attrs = _plain_conv_transpose(node, g.initializers)
            if attrs is None or not _splits_into_phases(attrs):
                continue
            found = _follow(g, node, g.initializers[node.input[1]].dims[1])
            if found is not None:
                break
        else:
            break
        scale, shift, activations, absorbed, second, second_attrs = found
        nodes, inits = _phase_convs(g, node, attrs, scale, shift, activations)
        new_second, second_w = _absorbing(g, second, second_attrs, nodes[-1].output[0],
                                          attrs["strides"])
        gone = {id(n) for n in absorbed}
        order = []
        for n in graph.node:
            if n is node:
                order += nodes
            elif n is second:
                order.append(new_second)
            elif id(n) not in gone:
                order.append(n)
        del graph.node[:]
        graph.node.extend(order)
        graph.initializer.extend([*inits, second_w])
        done += 1
    used = {name for n in graph.node for name in n.input}
    kept = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    return done
