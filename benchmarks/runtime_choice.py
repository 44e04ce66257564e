"""Which runtime decides fastest in the least memory: the shipped generic model's embedding network in TensorFlow
(as faceverify ran it before: Keras, bfloat16 where the CPU has it), ONNX Runtime (float32) and LiteRT (float32,
and int8 as faceverify exports it, see faceverify/model/export.py).

Each candidate runs in a fresh process: import + load time, embedding time at batch 1 (median of 20) and batch 32
(median of 5, per image), and the process's peak resident memory (VmHWM). The ONNX graph is written here from the
weights with the ``onnx`` package's helpers (no converter either); ONNX Runtime and onnx are not faceverify's
dependencies: ``pip install onnx onnxruntime`` to include them, else they are skipped::

    python benchmarks/runtime_choice.py
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from faceverify.model import export, shipped

CHILD = """
import json, statistics, sys, time
started = time.perf_counter()
import numpy as np
kind, path = sys.argv[1], sys.argv[2]
if kind == "tensorflow":
    from faceverify.model import shipped
    from faceverify.model.network import for_inference
    from faceverify.model.scorer import Scorer
    scorer = Scorer(for_inference(shipped.load()))
    embed = scorer.embed
elif kind == "onnxruntime":
    import onnxruntime
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    embed = lambda crops: session.run(None, {"image": crops})[0]
else:
    from faceverify.model.runtime import RuntimeModel
    embed = RuntimeModel(open(path, "rb").read()).embed
crops = np.random.default_rng(0).integers(0, 256, (32, 100, 100, 3), np.uint8)
embed(crops[:1])
load_s = time.perf_counter() - started
def median(call, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter(); call(); times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000
one = median(lambda: embed(crops[:1]), 20)
embed(crops)
batch = median(lambda: embed(crops), 5) / 32
peak = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:")).split()[1]
print(json.dumps({"import_load_first_s": load_s, "batch1_ms": one, "batch32_ms_per_image": batch,
                  "peak_mib": int(peak) / 1024}))
"""


def onnx_model(weights: list[np.ndarray]):
    """The embedding network as an ONNX graph (NCHW inside, Keras' NHWC flatten order kept), float32."""
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []

    def constant(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value, np.float32), name))
        return name

    nodes += [helper.make_node("Cast", ["image"], ["pixels"], to=TensorProto.FLOAT),
              helper.make_node("Mul", ["pixels", constant("inv255", np.array(1 / 255))], ["scaled"]),
              helper.make_node("Transpose", ["scaled"], ["x0"], perm=[0, 3, 1, 2])]
    x = "x0"
    for i in range(4):
        kernel, bias = weights[2 * i], weights[2 * i + 1]
        conv = [x, constant(f"k{i}", kernel.transpose(3, 2, 0, 1)), constant(f"b{i}", bias)]
        nodes.append(helper.make_node("Conv", conv, [f"c{i}"], kernel_shape=list(kernel.shape[:2])))
        nodes.append(helper.make_node("Relu", [f"c{i}"], [f"r{i}"]))
        x = f"r{i}"
        if i < 3:
            nodes.append(helper.make_node("MaxPool", [x], [f"p{i}"], kernel_shape=[2, 2], strides=[2, 2],
                                          auto_pad="SAME_UPPER"))
            x = f"p{i}"
    nodes += [helper.make_node("Transpose", [x], ["nhwc"], perm=[0, 2, 3, 1]),
              helper.make_node("Flatten", ["nhwc"], ["flat"], axis=1),
              helper.make_node("Gemm", ["flat", constant("dense", weights[8]), constant("dense_bias", weights[9])],
                               ["logits"]),
              helper.make_node("Sigmoid", ["logits"], ["embedding"])]
    graph = helper.make_graph(nodes, "embedding",
                              [helper.make_tensor_value_info("image", TensorProto.UINT8, ["n", 100, 100, 3])],
                              [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["n", 4096])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def main() -> None:
    weights = shipped.weights()
    with tempfile.TemporaryDirectory() as work:
        files = {"tensorflow": "-"}
        if find_spec("onnx") and find_spec("onnxruntime"):
            files["onnxruntime"] = Path(work) / "model.onnx"
            files["onnxruntime"].write_bytes(onnx_model(weights).SerializeToString())
        for precision in ("float32", "int8"):
            files[f"litert-{precision}"] = Path(work) / f"model-{precision}.tflite"
            files[f"litert-{precision}"].write_bytes(export.build(weights, {"version": "benchmark"}, precision))
        print(f"{'runtime':<16} {'import+load+1st':>16} {'batch 1':>10} {'batch 32/img':>13} {'peak':>9} {'file':>9}")
        for kind, path in files.items():
            result = subprocess.run([sys.executable, "-c", CHILD, kind, str(path)], capture_output=True, text=True)
            if result.returncode:
                print(f"{kind:<16} failed: {result.stderr.strip()[-200:]}")
                continue
            r = json.loads(result.stdout.strip().splitlines()[-1])
            size = f"{Path(path).stat().st_size / 2**20:.0f} MiB" if kind != "tensorflow" else "npz 39 MiB"
            print(f"{kind:<16} {r['import_load_first_s']:>14.2f} s {r['batch1_ms']:>7.1f} ms "
                  f"{r['batch32_ms_per_image']:>10.1f} ms {r['peak_mib']:>5.0f} MiB {size:>9}")


if __name__ == "__main__":
    main()
