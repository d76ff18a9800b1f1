#!/usr/bin/env python3
"""Oracle for the task suite's level-2 problems (KernelBench L2 1-100: conv/GEMM + op chains).

Run on the GPU machine from the repository root, offline:
    /opt/torch/.venv/bin/python tests/oracles/tasks_l2.py           # semantics fixtures (CPU is enough)
    /opt/torch/.venv/bin/python tests/oracles/tasks_l2.py --time    # + PyTorch eager timings at main shapes
    /opt/torch/.venv/bin/python tests/oracles/tasks_l2.py --time --only 58,68  # + eager timings of just these task numbers

1. Semantics: for every task it draws inputs at the task's smoke sizes (task.json, torch's own RNG,
   the task's dists, rounded to fp32), runs what KernelBench's Model.forward runs, written here by hand
   with torch.nn.functional from KernelBench's problem files (BatchNorm in training mode with batch
   statistics, as KernelBench never calls .eval(); Dropout as the identity, eval mode), in fp64, and
   writes tests/fixtures/tasks_l2/L2_NNN.json = {"params": [... in signature order, inputs with data,
   sizes with values ...], "outputs": {"out": data}, "atol", "rtol"}. tests/test_tasks_l2.c runs each
   task's cpu_reference.c on those inputs and compares under the task's tolerance.
2. --time: the same forward in fp32 on cuda at the main shapes of task.json, TF32 off for matmul and
   cuDNN, cudnn.benchmark off, median of 30 timed calls after 5 warm-ups with an L2 flush before each;
   writes tests/fixtures/tasks_l2/eager_times.json {"L2/N": ms}. `kgrl eval` reference times must land
   within 0.8-1.25x of these (DESIGN section 4).
A task that raises (a parameter missing from task.json, a shape mismatch, out of memory) is reported as
`FAILED L2/N: error` and the others still run; the exit status is 1 when any task failed.
"""
import json, math, os, sys
import torch
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "tests", "fixtures", "tasks_l2")
# --only 58,68: run just these task numbers (semantics and timing); the timings then update the
# existing eager_times.json instead of replacing it
ONLY = {int(n) for n in sys.argv[sys.argv.index("--only") + 1].split(",") if n} if "--only" in sys.argv else None


def ev(expr, sizes):
    return int(eval(str(expr).replace("/", "//"), {}, dict(sizes)))


def draw(p, sizes, gen, dtype, device):
    shape = [ev(e, sizes) for e in p["shape"]]
    name, _, arg = p["dist"].partition("(")
    arg = arg.rstrip(")")
    u = lambda: torch.rand(shape, generator=gen, dtype=torch.float64)
    if name == "rand": t = u()
    elif name == "randn": t = torch.randn(shape, generator=gen, dtype=torch.float64)
    elif name == "uniform":
        a, b = (float(v) for v in arg.split(",")); t = a + (b - a) * u()
    elif name == "bound": t = (2 * u() - 1) / math.sqrt(ev(arg, sizes))
    elif name == "const": t = torch.full(shape, float(arg), dtype=torch.float64)
    else: raise SystemExit("unknown dist " + p["dist"])
    return t.float().to(dtype).to(device)       # fp32 values, exactly what the C side reads


# ---- the problems (KernelBench level2/NNN_*.py, Model.forward), parameters by task.json name ----
c2 = lambda P, x, **k: F.conv2d(x, P["conv_w"], P.get("conv_b"), **k)
c3 = lambda P, x, **k: F.conv3d(x, P["conv_w"], P.get("conv_b"), **k)
t2 = lambda P, x, **k: F.conv_transpose2d(x, P["conv_w"], P.get("conv_b"), **k)
t3 = lambda P, x, **k: F.conv_transpose3d(x, P["conv_w"], P.get("conv_b"), **k)
lin = lambda P, x: F.linear(x, P["w"], P["b"])
bn = lambda P, x: F.batch_norm(x, None, None, P["bn_w"], P["bn_b"], training=True, momentum=0.1, eps=1e-5)
gn = lambda P, x, G, eps=1e-5: F.group_norm(x, G, P["gn_w"], P["gn_b"], eps)
ln = lambda P, x: F.layer_norm(x, (x.shape[-1],), P["ln_w"], P["ln_b"], 1e-5)
swish = lambda x: torch.sigmoid(x) * x

FWD = {
    1: lambda P: torch.relu(c2(P, P["x"])) + P["bias"],
    2: lambda P: torch.clamp(torch.clamp(t2(P, P["x"], stride=2, padding=1, output_padding=1) + P["bias"], 0.0, 1.0) * 2.0, 0.0, 1.0) / 2.0,
    3: lambda P: F.gelu(F.avg_pool3d(ln(P, t3(P, P["x"], stride=2, padding=1, output_padding=1) + 1.0), 2)),
    4: lambda P: F.mish(F.mish(c2(P, P["x"]))),
    5: lambda P: torch.tanh(t2(P, P["x"], stride=2, padding=1, output_padding=1) - P["bias"]),
    6: lambda P: F.max_pool3d(F.max_pool3d(torch.softmax(c3(P, P["x"]), dim=1), 2), 2),
    7: lambda P: torch.sigmoid(F.gelu(F.leaky_relu(torch.relu(c3(P, P["x"])), 0.01))) + P["bias"],
    8: lambda P: torch.sum(F.adaptive_avg_pool3d(F.max_pool3d(c3(P, P["x"]) / 2.0, 2), (1, 1, 1)) + P["bias"], dim=1),
    9: lambda P: torch.relu((lin(P, P["x"]) - 2.0) * 1.5),
    10: lambda P: torch.tanh(torch.mean(F.hardtanh(F.max_pool2d(t2(P, P["x"], stride=1, padding=1), 2, 2), -1, 1), dim=(2, 3), keepdim=True)),
    11: lambda P: gn(P, F.max_pool2d(torch.tanh(bn(P, t2(P, P["x"], stride=1, padding=1))), 2, 2), 8),
    12: lambda P: F.leaky_relu(lin(P, P["x"]) * 2.0, 0.1),
    13: lambda P: torch.tanh(torch.softmax(t3(P, P["x"], stride=1, padding=1).mean(dim=2, keepdim=True) + P["bias"], dim=1)) * 2.0,
    14: lambda P: torch.sum(torch.matmul(P["x"], P["weight"].T) / 2, dim=1, keepdim=True) * 1.5,
    15: lambda P: (lambda y: y - torch.mean(y, dim=(2, 3, 4), keepdim=True))(bn(P, t3(P, P["x"], stride=2, padding=1))),
    16: lambda P: F.hardtanh(F.mish(t2(P, P["x"], stride=2, padding=1, output_padding=1)) + 0.5, -1, 1) * 2,
    17: lambda P: F.instance_norm(c2(P, P["x"]), eps=1e-5) / 2.0,
    18: lambda P: (lambda y: torch.logsumexp(torch.logsumexp(torch.mean(torch.max(y, dim=1, keepdim=True)[0], dim=1, keepdim=True), dim=1, keepdim=True), dim=1, keepdim=True))(torch.sum(lin(P, P["x"]), dim=1, keepdim=True)),
    19: lambda P: gn(P, F.gelu(t2(P, P["x"], stride=1)), 8),
    20: lambda P: (lambda y: ((y + P["bias"]) + y) * y + y)(t3(P, P["x"], stride=2, padding=1, output_padding=1)),
    21: lambda P: gn(P, torch.sigmoid((c2(P, P["x"]) + P["bias"]) * P["scale"]), 8),
    22: lambda P: (lambda y: y * F.mish(y))(torch.logsumexp(torch.clamp((lambda z: z + z)(lin(P, P["x"]) * 2.0), -10.0, 10.0), dim=1, keepdim=True)),
    23: lambda P: gn(P, c3(P, P["x"]), 8).mean(dim=[1, 2, 3, 4]),
    24: lambda P: torch.softmax(torch.min(c3(P, P["x"]), dim=2)[0], dim=1),
    25: lambda P: torch.tanh(torch.tanh(torch.min(c2(P, P["x"]), dim=1, keepdim=True)[0])),
    26: lambda P: (lambda y: y * F.hardswish(y))(t3(P, P["x"], stride=2, padding=1, output_padding=1) + P["add_input"]),
    27: lambda P: torch.mean(gn(P, F.hardswish(c3(P, P["x"])), 4), dim=[2, 3, 4]),
    28: lambda P: (F.instance_norm(lin(P, P["x"]).unsqueeze(1).unsqueeze(1), eps=1e-5).squeeze(1).squeeze(1) + P["y"]) * P["y"],
    29: lambda P: F.mish(F.mish(lin(P, P["x"]))),
    30: lambda P: F.hardtanh(gn(P, lin(P, P["x"]), 16), -2.0, 2.0),
    31: lambda P: (torch.min(c2(P, P["x"]), torch.tensor(0.5, dtype=P["x"].dtype, device=P["x"].device)) + P["bias"]) * 2.0,
    32: lambda P: torch.min(c2(P, P["x"]) * 2.0, dim=1, keepdim=True)[0],
    33: lambda P: bn(P, lin(P, P["x"]) * P["scale"]),
    34: lambda P: F.gelu(ln(P, t3(P, P["x"], stride=2, padding=1))) * 1.0,
    35: lambda P: F.mish(F.max_pool2d(F.hardswish(c2(P, P["x"]) - 0.5), 2)),
    36: lambda P: F.gelu(torch.sum(torch.min(t2(P, P["x"], stride=2, padding=1, output_padding=1), dim=1, keepdim=True)[0], dim=2, keepdim=True)) + P["bias"],
    37: lambda P: gn(P, swish(lin(P, P["x"])) + P["bias"], 64),
    38: lambda P: (lambda y: torch.softmax(y.view(y.shape[0], y.shape[1], -1), dim=2).view(y.shape) * P["scale"])(torch.clamp(t3(P, F.avg_pool3d(P["x"], 2), stride=2, padding=1, output_padding=1), 0.0, 1.0)),
    39: lambda P: bn(P, lin(P, P["x"]) * P["scale"]),
    40: lambda P: (lambda y: y * 0.5 + y)(lin(P, P["x"])),
    41: lambda P: torch.relu(F.gelu(bn(P, lin(P, P["x"])))),
    42: lambda P: torch.sum(torch.logsumexp(torch.mean(t2(P, P["x"]), dim=(2, 3), keepdim=True) + P["bias"], dim=1, keepdim=True), dim=(2, 3)) * 10.0,
    43: lambda P: torch.relu(torch.logsumexp(F.max_pool3d(c3(P, P["x"], stride=1, padding=1), 2, 2), dim=1, keepdim=True)),
    44: lambda P: torch.mean(torch.mean(t2(P, P["x"], stride=2, padding=1, output_padding=1) * 0.5, dim=[2, 3], keepdim=True), dim=[2, 3], keepdim=True),
    45: lambda P: torch.logsumexp(F.linear(torch.sigmoid(F.linear(P["x"], P["w1"], P["b1"])), P["w2"], P["b2"]), dim=1),
    46: lambda P: F.avg_pool2d(torch.tanh(c2(P, P["x"]) - 0.5) - 0.2, 2),
    47: lambda P: torch.tanh(F.mish(c3(P, P["x"]))),
    48: lambda P: torch.sigmoid(torch.tanh(c3(P, P["x"]) * P["scaling_factor"]) * P["bias"]),
    49: lambda P: torch.sigmoid(torch.softmax(t3(P, P["x"], stride=2, padding=1, output_padding=1), dim=1)),
    50: lambda P: (F.avg_pool3d(t3(P, P["x"], stride=2, padding=1) * 0.5, 2) + P["bias"]) * 1.0,
    51: lambda P: F.gelu(torch.logsumexp(torch.mean(lin(P, P["x"]) - P["subtract"], dim=1, keepdim=True), dim=1, keepdim=True)) + P["x"],
    52: lambda P: bn(P, (lambda y: torch.tanh(F.softplus(y)) * y)(c2(P, P["x"]))),
    53: lambda P: F.gelu(F.hardtanh(lin(P, P["x"]) * 0.5, -2, 2)),
    54: lambda P: F.gelu(F.leaky_relu(c2(P, P["x"]) * P["multiplier"], 0.01)),
    55: lambda P: torch.sum(F.max_pool1d(lin(P, P["x"]).unsqueeze(1), 2).squeeze(1), dim=1) * 0.5,
    56: lambda P: torch.sum(torch.sigmoid(lin(P, P["x"])), dim=1, keepdim=True),
    57: lambda P: (lambda y: y * torch.clamp((y + 3) / 6, 0, 1))(torch.relu(c2(P, P["x"]))),
    58: lambda P: torch.clamp((lambda y: y * torch.sigmoid(y + 3) / 6)(torch.logsumexp(t3(P, P["x"], stride=2, padding=1), dim=1, keepdim=True)) - P["bias"], -1, 1),
    59: lambda P: swish(lin(P, P["x"])) * 2.0,
    60: lambda P: F.hardswish(gn(P, swish(t3(P, P["x"], stride=2, padding=1)), 4)),
    61: lambda P: gn(P, torch.relu(t3(P, P["x"])), 8),
    62: lambda P: (lambda y: y + y)(F.leaky_relu(gn(P, lin(P, P["x"]), 512), 0.01)),
    63: lambda P: torch.relu(lin(P, P["x"])) / 2.0,
    64: lambda P: F.gelu(F.gelu(F.leaky_relu(F.leaky_relu(torch.logsumexp(lin(P, P["x"]), dim=1, keepdim=True), 0.01), 0.01))),
    65: lambda P: torch.sum(torch.sigmoid(F.avg_pool2d(c2(P, P["x"]), 4)), dim=[1, 2, 3]),
    66: lambda P: torch.softmax(lin(P, P["x"]), dim=1),                       # dropout: eval mode
    67: lambda P: F.adaptive_avg_pool2d(F.gelu(c2(P, P["x"])), 1).squeeze(-1).squeeze(-1),
    68: lambda P: torch.min(lin(P, P["x"]), torch.tensor(2.0, dtype=P["x"].dtype, device=P["x"].device)) - 2.0,
    69: lambda P: torch.relu(F.hardswish(c2(P, P["x"]))),
    70: lambda P: (lambda y: torch.sigmoid(y) * 2.0 + y)(lin(P, P["x"])),
    71: lambda P: F.leaky_relu(c2(P, P["x"]) / 2, 0.01),
    72: lambda P: F.avg_pool3d(F.avg_pool3d(bn(P, t3(P, P["x"], stride=2, padding=1)), 2), 2),
    73: lambda P: bn(P, c2(P, P["x"])) * 2.0,
    74: lambda P: F.max_pool3d(F.leaky_relu(F.leaky_relu(t3(P, P["x"], stride=2, padding=1, output_padding=1), 0.2) * P["multiplier"], 0.2), 2),
    75: lambda P: torch.min(gn(P, lin(P, P["x"]), 512), dim=1, keepdim=True)[0] + P["bias"],
    76: lambda P: torch.relu(F.linear(P["x"], P["w"]) + P["bias"]),
    77: lambda P: F.adaptive_avg_pool3d(bn(P, t3(P, P["x"]) * 2.0), (1, 1, 1)),
    78: lambda P: torch.sum(F.max_pool3d(F.max_pool3d(t3(P, P["x"], stride=2, padding=2), 2), 3), dim=1, keepdim=True),
    79: lambda P: torch.max(torch.clamp(F.instance_norm(c3(P, P["x"]) * P["multiplier"], eps=1e-5), -1.0, 1.0) * P["multiplier"], dim=1)[0],
    80: lambda P: F.gelu((lambda y: y - y.mean(dim=1, keepdim=True))(torch.max(lin(P, P["x"]), dim=1, keepdim=True).values)),
    81: lambda P: torch.clamp(torch.tanh(torch.clamp(swish(lin(P, P["x"])) / 2.0, -1.0, 1.0)), -1.0, 1.0),
    82: lambda P: F.max_pool2d(torch.tanh(c2(P, P["x"])) * 2.0 + P["bias"], 4),
    83: lambda P: torch.clamp(torch.min(gn(P, c3(P, P["x"]), 8), torch.tensor(0.0, dtype=P["x"].dtype, device=P["x"].device)), 0.0, 1.0),
    84: lambda P: torch.softmax(P["scale"] * bn(P, lin(P, P["x"])), dim=1),
    85: lambda P: torch.clamp(F.max_pool2d(gn(P, c2(P, P["x"]), 16) * P["scale"], 4), 0.0, 1.0),
    86: lambda P: F.gelu(lin(P, P["x"]) / 10.0),
    87: lambda P: F.mish(c2(P, P["x"]) - 0.5 - 0.2),
    88: lambda P: swish(swish(gn(P, lin(P, P["x"]), 256)) * P["multiply_weight"]),
    89: lambda P: torch.max(swish(torch.softmax(F.max_pool3d(t3(P, P["x"], stride=2, padding=1, output_padding=1), 2, 2), dim=1) - P["subtract"].view(1, -1, 1, 1, 1)), dim=1)[0],
    90: lambda P: F.gelu(torch.clamp(F.leaky_relu(c3(P, P["x"]), 0.2) + P["sum_tensor"], -1.0, 1.0)),
    91: lambda P: torch.sigmoid((torch.softmax(t2(P, P["x"], stride=2, padding=1, output_padding=1), dim=1) + P["bias"]) * 2.0),
    92: lambda P: (lambda y: torch.logsumexp(y + F.hardswish(torch.tanh(gn(P, y, 16))), dim=1, keepdim=True))(c2(P, P["x"])),
    93: lambda P: F.gelu(torch.min(t2(P, P["x"], stride=2) + 0.5, torch.tensor(0.0, dtype=P["x"].dtype, device=P["x"].device))) * 2.0,
    94: lambda P: gn(P, F.mish(F.hardtanh(lin(P, P["x"]) + P["bias"])), 256),
    95: lambda P: F.hardtanh(F.gelu(torch.tanh(swish(lin(P, P["x"]) + P["add_value"]))), -1, 1),
    96: lambda P: torch.clamp(F.adaptive_avg_pool3d(F.max_pool3d(t3(P, P["x"], stride=2, padding=1) * 0.5, 2), (1, 1, 1)), 0, 1),
    97: lambda P: swish((bn(P, lin(P, P["x"])) + P["bias"]) / 1.0),
    98: lambda P: torch.max(F.gelu(F.avg_pool1d(lin(P, P["x"]).unsqueeze(1), 16).squeeze(1)) * 2.0, dim=1).values,
    99: lambda P: torch.softmax(F.gelu(lin(P, P["x"])), dim=1),
    100: lambda P: torch.clamp(t3(P, P["x"], stride=2, padding=1), min=-1.0) / 2.0,
}


def tasks():
    base = os.path.join(ROOT, "data", "level2")
    for d in sorted(os.listdir(base)):
        if ONLY is None or int(d.split("_")[0]) in ONLY:
            yield json.load(open(os.path.join(base, d, "task.json")))


def make_inputs(task, sizes, dtype, device, seed):
    gen = torch.Generator().manual_seed(seed)
    return {p["name"]: draw(p, sizes, gen, dtype, device) for p in task["params"] if p["kind"] == "input"}


def fixture(task):
    n = task["number"]
    sizes = {p["name"]: p["smoke"] for p in task["params"] if p["kind"] == "size"}
    P = make_inputs(task, sizes, torch.float64, "cpu", 1000 + n)
    y = FWD[n](P)
    oshape = [ev(e, sizes) for e in task["params"][[p["kind"] for p in task["params"]].index("output")]["shape"]]
    if list(y.shape) != oshape:
        raise ValueError("output shape %s, task.json says %s" % (list(y.shape), oshape))
    params = []
    for p in task["params"]:
        q = {"name": p["name"], "kind": p["kind"]}
        if p["kind"] == "input": q["data"] = P[p["name"]].flatten().tolist()
        if p["kind"] == "size": q["value"] = sizes[p["name"]]
        params.append(q)
    fx = {"params": params, "outputs": {"out": y.float().flatten().tolist()},
          "atol": task["tolerance"]["atol"], "rtol": task["tolerance"]["rtol"]}
    with open(os.path.join(OUT, "L2_%03d.json" % n), "w") as f:
        json.dump(fx, f)


def fixtures():
    """Writes every task's fixture; a task that fails is reported and skipped, the rest still run.
    Returns the failed task numbers."""
    os.makedirs(OUT, exist_ok=True)
    failed, written = [], 0
    for task in tasks():
        n = task["number"]
        try:
            fixture(task)
            written += 1
        except Exception as e:      # a broken task must not hide the state of the others
            print("FAILED L2/%d: %s: %s" % (n, type(e).__name__, e), flush=True)
            failed.append(n)
    print("wrote %s/L2_NNN.json for %d tasks" % (OUT, written))
    return failed


def timings():
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = False
    flush = torch.empty(256 << 20, dtype=torch.uint8, device="cuda")
    res, failed = {}, []
    for task in tasks():
        n = task["number"]
        sizes = {p["name"]: p["value"] for p in task["params"] if p["kind"] == "size"}
        P = None
        try:
            P = make_inputs(task, sizes, torch.float32, "cuda", 2000 + n)
            with torch.no_grad():
                for _ in range(5): FWD[n](P)
                ts = []
                for _ in range(30):
                    flush.zero_()
                    a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                    a.record(); FWD[n](P); b.record()
                    torch.cuda.synchronize()
                    ts.append(a.elapsed_time(b))
            ts.sort()
            res["L2/%d" % n] = ts[len(ts) // 2]
            print("L2/%-3d %8.3f ms" % (n, res["L2/%d" % n]), flush=True)
        except Exception as e:      # e.g. out of memory on a smaller GPU: report, keep timing the others
            print("FAILED L2/%d (timing): %s: %s" % (n, type(e).__name__, e), flush=True)
            failed.append(n)
        del P
        torch.cuda.empty_cache()
    path = os.path.join(OUT, "eager_times.json")
    if ONLY is not None and os.path.exists(path):
        with open(path) as f: res = {**json.load(f), **res}
    with open(path, "w") as f:
        json.dump(res, f, indent=1)
    return failed


if __name__ == "__main__":
    failed = fixtures()
    if "--time" in sys.argv:
        failed += timings()
    if failed:
        print("FAILED: %d task run(s): %s" % (len(failed), " ".join("L2/%d" % n for n in failed)))
        sys.exit(1)
