"""The runtime model: the seed's embedding network written as a LiteRT (TensorFlow Lite) flatbuffer from its weights.

No TensorFlow and no converter: the architecture is fixed (see :mod:`network`), so the graph is spelled out with
the flatbuffer schema that the ``ai-edge-litert`` wheel ships. Weights are stored as LiteRT's dynamic-range
quantisation stores them: int8 with one scale per output channel (the shipped model's embedding layer is already
int8 per output unit, so it carries over exactly); XNNPACK then computes the convolutions and the embedding layer
on int8 with activations quantised per image. The input is a batch of crops as float32 pixel values 0-255 (the
network's division by 255 is folded into the first kernel). The Siamese head (4,096 weights and a bias) is kept in
the model's metadata with the version of the model it was made from, and applied with numpy (:mod:`head`).

Keras' ``get_weights()`` order: conv1-4 kernel and bias, the embedding layer's kernel and bias, the head's.
"""
from __future__ import annotations

import json
from pathlib import Path

import flatbuffers
import numpy as np
from ai_edge_litert import schema_py_generated as tfl

from faceverify.files import atomic
from faceverify.files.digest import file_stamp
from faceverify.model.precision import INT8

FORMAT = 1  # bumped whenever the graph changes: older exports are then made again
METADATA = "faceverify"
CONVS = 4
WEIGHT_COUNT = 2 * CONVS + 4
CROP_SHAPE = (100, 100, 3)


def _quantised(kernel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 with one scale per output channel (axis 0), as LiteRT's dynamic-range quantisation."""
    flat = kernel.reshape(len(kernel), -1)
    scale = np.maximum(np.abs(flat).max(axis=1), 1e-12) / np.float32(127.0)
    ints = flat / scale[:, None]  # in the kernel's own memory order: a transposed view is not copied as float32
    return np.rint(ints, out=ints).astype(np.int8).reshape(kernel.shape), scale.astype(np.float32)


class _Graph:
    """Tensors, buffers and operators of one subgraph under construction."""

    def __init__(self) -> None:
        self.model = tfl.ModelT()
        self.model.version, self.model.description = 3, "faceverify embedding"
        self.model.buffers, self.model.operatorCodes = [tfl.BufferT()], []  # buffer 0: the empty one, by convention
        self.graph = tfl.SubGraphT()
        self.graph.tensors, self.graph.operators = [], []

    def buffer(self, data: bytes) -> int:
        buffer = tfl.BufferT()
        buffer.data = np.frombuffer(data, np.uint8)
        self.model.buffers.append(buffer)
        return len(self.model.buffers) - 1

    def tensor(self, name: str, shape: tuple, kind: int = tfl.TensorType.FLOAT32, data: np.ndarray | None = None,
               scale: np.ndarray | None = None) -> int:
        tensor = tfl.TensorT()
        tensor.name, tensor.type = name, kind
        tensor.shape = np.array([1 if d is None else d for d in shape], np.int32)
        if None in shape:
            tensor.shapeSignature = np.array([-1 if d is None else d for d in shape], np.int32)
        tensor.buffer = 0 if data is None else self.buffer(np.ascontiguousarray(data).tobytes())
        if scale is not None:
            tensor.quantization = tfl.QuantizationParametersT()
            tensor.quantization.scale = scale
            tensor.quantization.zeroPoint = np.zeros(len(scale), np.int64)
            tensor.quantization.quantizedDimension = 0
        self.graph.tensors.append(tensor)
        return len(self.graph.tensors) - 1

    def op(self, code: int, inputs: list[int], output: int, options_type: int = 0, options: object = None) -> int:
        codes = [c.builtinCode for c in self.model.operatorCodes]
        if code not in codes:
            entry = tfl.OperatorCodeT()
            entry.builtinCode, entry.deprecatedBuiltinCode, entry.version = code, min(code, 127), 1
            self.model.operatorCodes.append(entry)
            codes.append(code)
        operator = tfl.OperatorT()
        operator.opcodeIndex, operator.inputs, operator.outputs = codes.index(code), inputs, [output]
        operator.builtinOptionsType, operator.builtinOptions = options_type, options
        self.graph.operators.append(operator)
        return output


def _kernel(g: _Graph, name: str, kernel: np.ndarray, quantise: bool) -> int:
    """A constant kernel tensor: int8 per output channel where ``quantise``, else float32. The first convolution
    stays float32 either way: with 3 input channels it costs no measurable time, and int8 there changed 2 of the
    1,000 View 1 test decisions (none in float32)."""
    if quantise:
        return g.tensor(name, kernel.shape, tfl.TensorType.INT8, *_quantised(kernel))
    return g.tensor(name, kernel.shape, data=kernel)


def build(weights: list[np.ndarray], source: dict, precision: str = INT8) -> bytes:
    """The runtime model of a Siamese model's ``weights`` (float32, ``get_weights()`` order), with ``source``
    (JSON-able: which model it was made from) in its metadata; ``precision`` int8 or float32 (see
    :func:`~faceverify.model.precision.runtime_precision`)."""
    if len(weights) != WEIGHT_COUNT:
        raise ValueError(f"expected the {WEIGHT_COUNT} weight arrays of the seed's Siamese network, got {len(weights)}")
    weights = [np.asarray(w, np.float32) for w in weights]
    g = _Graph()
    x = image = g.tensor("image", (None, *CROP_SHAPE))
    for i in range(CONVS):
        kernel, bias = weights[2 * i], weights[2 * i + 1]
        if i == 0:
            kernel = kernel / np.float32(255.0)  # the network's input is pixels / 255
        kernel = kernel.transpose(3, 0, 1, 2)  # Keras (h, w, in, out) -> LiteRT (out, h, w, in)
        ktensor = _kernel(g, f"conv{i + 1}_kernel", kernel, precision == INT8 and i > 0)
        options = tfl.Conv2DOptionsT()
        options.padding, options.strideH, options.strideW = tfl.Padding.VALID, 1, 1
        options.fusedActivationFunction = tfl.ActivationFunctionType.RELU
        conv = g.tensor(f"conv{i + 1}", (None, None, None, len(bias)))
        x = g.op(tfl.BuiltinOperator.CONV_2D, [x, ktensor, g.tensor(f"conv{i + 1}_bias", bias.shape,
                                                                                data=bias)],
                 conv, tfl.BuiltinOptions.Conv2DOptions, options)
        if i < CONVS - 1:  # Keras MaxPooling2D(2, strides=2, padding="same")
            pool = tfl.Pool2DOptionsT()
            pool.padding, pool.strideH, pool.strideW, pool.filterHeight, pool.filterWidth = tfl.Padding.SAME, 2, 2, 2, 2
            x = g.op(tfl.BuiltinOperator.MAX_POOL_2D, [x], g.tensor(f"pool{i + 1}", (None, None, None, len(bias))),
                     tfl.BuiltinOptions.Pool2DOptions, pool)
    kernel, bias = weights[2 * CONVS], weights[2 * CONVS + 1]
    shape = g.tensor("flat_shape", (2,), tfl.TensorType.INT32, np.array([-1, kernel.shape[0]], np.int32))
    x = g.op(tfl.BuiltinOperator.RESHAPE, [x, shape], g.tensor("flat", (None, kernel.shape[0])))  # NHWC, as Keras
    dense = tfl.FullyConnectedOptionsT()
    dense.asymmetricQuantizeInputs = True
    x = g.op(tfl.BuiltinOperator.FULLY_CONNECTED,
             [x, _kernel(g, "dense_kernel", kernel.T, precision == INT8),  # (units, inputs)
              g.tensor("dense_bias", bias.shape, data=bias)],
             g.tensor("logits", (None, len(bias))), tfl.BuiltinOptions.FullyConnectedOptions, dense)
    embedding = g.op(tfl.BuiltinOperator.LOGISTIC, [x], g.tensor("embedding", (None, len(bias))))
    g.graph.inputs, g.graph.outputs = [image], [embedding]
    g.model.subgraphs = [g.graph]
    record = {"format": FORMAT, "precision": precision, "source": source,
              "head_kernel": weights[-2].reshape(-1).tolist(), "head_bias": float(weights[-1].reshape(-1)[0])}
    metadata = tfl.MetadataT()
    metadata.name, metadata.buffer = METADATA, g.buffer(json.dumps(record).encode())
    g.model.metadata = [metadata]
    builder = flatbuffers.Builder(1 << 20)
    builder.Finish(g.model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def record(data: bytes) -> dict:
    """The faceverify metadata of a runtime model ({} when it has none): format, source, head weights."""
    model = tfl.Model.GetRootAs(data, 0)
    for i in range(model.MetadataLength()):
        entry = model.Metadata(i)
        if entry.Name() == METADATA.encode():
            try:
                return json.loads(model.Buffers(entry.Buffer()).DataAsNumpy().tobytes())
            except ValueError:
                return {}
    return {}


def export_path(keras_path: Path) -> Path:
    """Where the runtime model of a ``.keras`` file lives: beside it."""
    return Path(keras_path).with_suffix(".tflite")


def keras_source(keras_path: Path, version: str) -> dict:
    """What an export of a ``.keras`` file records about it: its version (content digest) and stamp."""
    return {"version": version, "stamp": file_stamp(keras_path)}


def write(weights: list[np.ndarray], path: Path, source: dict, precision: str = INT8) -> Path:
    """Export ``weights`` to ``path`` atomically: readers see the old export or the new, never half."""
    atomic.write_bytes(Path(path), build(weights, source, precision))
    return Path(path)
