#!/usr/bin/env python3
"""Oracle for the task suite's level-1 problems 1-53 (matmul family, activations, norms, pooling,
reductions, AlexNet conv1).

Run on the GPU machine from the repository root, offline:
    /opt/torch/.venv/bin/python tests/oracles/tasks_l1_001_053.py            # semantics fixtures (CPU is enough)
    /opt/torch/.venv/bin/python tests/oracles/tasks_l1_001_053.py --time     # + PyTorch eager timings at main shapes
    /opt/torch/.venv/bin/python tests/oracles/tasks_l1_001_053.py --time --only 24,25  # + eager timings of just these task numbers

1. Semantics: for every task it draws inputs at the task's smoke sizes (task.json; torch's own RNG,
   with the task's dist and post transforms), runs what KernelBench's Model.forward runs (same ops,
   same arguments; BatchNorm in training mode because KernelBench never calls .eval()), and writes
   tests/fixtures/tasks_l1_001_053/L1_NNN.json = {"params": [...in signature order, inputs with
   data, sizes/scalars with values...], "outputs": {name: data}}. tests/test_task_refs.c runs each
   task's cpu_reference.c on those inputs and compares under the task's tolerance, so the C
   references are checked against PyTorch itself.
2. --time: eager PyTorch at the main shapes of task.json on cuda, TF32 off for matmul and cuDNN,
   median of 30 timed calls after 5 warm-ups, an L2 flush before each; writes eager_ms per task to
   tests/fixtures/tasks_l1_001_053/eager_times.json. Compare with the reference times `kgrl eval`
   reports: the references must land within 0.8-1.25x of these.
"""
import json, math, os, sys
import torch
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "tests", "fixtures", "tasks_l1_001_053")
# --only 24,25: run just these task numbers (semantics and timing); the timings then update the
# existing eager_times.json instead of replacing it
ONLY = {int(n) for n in sys.argv[sys.argv.index("--only") + 1].split(",") if n} if "--only" in sys.argv else None


def dims(task, mode):
    return {p["name"]: (p.get("smoke", p["value"]) if mode == "smoke" else p["value"]) for p in task["params"] if p["kind"] == "size"}


def ev(expr, sizes):
    return int(eval(str(expr).replace("/", "//"), {}, dict(sizes)))


def draw(p, sizes, gen, device):
    shape = [ev(e, sizes) for e in p["shape"]]
    name, _, arg = p["dist"].partition("(")
    arg = arg.rstrip(")")
    u = lambda: torch.rand(shape, generator=gen, dtype=torch.float64)
    if name == "rand": t = u()
    elif name == "randn": t = torch.randn(shape, generator=gen, dtype=torch.float64)
    elif name == "uniform":
        a, b = (float(v) for v in arg.split(",")); t = a + (b - a) * u()
    elif name == "randint":
        a, b = (int(v) for v in arg.split(",")); t = torch.randint(a, b, shape, generator=gen).to(torch.float64)
    elif name == "bound": t = (2 * u() - 1) / math.sqrt(ev(arg, sizes))
    elif name == "const": t = torch.full(shape, float(arg), dtype=torch.float64)
    else: raise SystemExit(f"unknown dist {p['dist']}")
    t = t.to(torch.float32).to(torch.float64)  # the kit draws fp32 values
    for post in p.get("post", []):
        if post == "triu": t = torch.triu(t)
        elif post == "tril": t = torch.tril(t)
        elif post == "symmetric": t = (t + t.transpose(-1, -2)) / 2
        elif post == "softmax": t = torch.softmax(t, dim=-1)
        elif post == "abs": t = t.abs()
        elif post == "sign": t = torch.where(t >= 0, 1.0, -1.0).to(torch.float64)
        elif post.startswith("add("): t = t + float(post[4:-1])
        else: raise SystemExit(f"unknown post {post}")
    if p["dtype"] == "i64": return t.to(torch.int64).to(device)
    return t.to(torch.float32).to(device)


def forward(num, a, s, c):
    """KernelBench's Model.forward for problem `num`; a: inputs by name, s: sizes, c: scalars."""
    A, B, x = a.get("A"), a.get("B"), a.get("x")
    if num in (1, 2, 6, 7, 8, 9, 13): return torch.matmul(A, B)
    if num == 3: return torch.bmm(A, B)
    if num == 4: return torch.matmul(A, B)
    if num == 5: return A * c["s"]
    if num == 10: return torch.matmul(A, B)
    if num == 11: return torch.einsum("bijl,lk->bijk", A, B)
    if num == 12: return A.unsqueeze(1) * B
    if num == 14: return torch.triu(torch.matmul(A, B))
    if num == 15: return torch.tril(torch.matmul(A, B))
    if num == 16: return torch.matmul(A.T, B)
    if num == 17: return torch.matmul(A, B.T)
    if num == 18: return torch.matmul(A.T, B.T)
    if num == 19: return torch.relu(x)
    if num == 20: return F.leaky_relu(x, negative_slope=c["negative_slope"])
    if num == 21: return torch.sigmoid(x)
    if num == 22: return torch.tanh(x)
    if num == 23: return torch.softmax(x, dim=1)
    if num == 24: return torch.log_softmax(x, dim=1)
    if num == 25: return x * torch.sigmoid(x)
    if num == 26: return F.gelu(x)
    if num == 27: return torch.selu(x)
    if num == 28: return F.hardsigmoid(x)
    if num == 29: return F.softplus(x)
    if num == 30: return x / (1 + torch.abs(x))
    if num == 31: return F.elu(x, alpha=c["alpha"])
    if num == 32: return F.hardtanh(x, min_val=-1.0, max_val=1.0)
    if num == 33: return F.batch_norm(x, None, None, a["weight"], a["bias"], training=True, eps=c["eps"])
    if num == 34: return F.instance_norm(x, eps=c["eps"])
    if num == 35: return F.group_norm(x, s["num_groups"], a["weight"], a["bias"], eps=c["eps"])
    if num == 36: return x / torch.sqrt(torch.mean(x ** 2, dim=1, keepdim=True) + c["eps"])
    if num == 37: return x / torch.norm(x, p="fro")
    if num == 38: return x / torch.mean(torch.abs(x), dim=1, keepdim=True)
    if num == 39: return x / torch.norm(x, p=2, dim=1, keepdim=True)
    if num == 40: return F.layer_norm(x, x.shape[1:], a["weight"], a["bias"], eps=c["eps"])
    if num == 41: return F.max_pool1d(x, kernel_size=8, stride=1, padding=4, dilation=3)
    if num == 42: return F.max_pool2d(x, kernel_size=4, stride=1, padding=1, dilation=1)
    if num == 43: return F.max_pool3d(x, kernel_size=3, stride=2, padding=1, dilation=3)
    if num == 44: return F.avg_pool1d(x, kernel_size=8, stride=1, padding=4)
    if num == 45: return F.avg_pool2d(x, kernel_size=11)
    if num == 46: return F.avg_pool3d(x, kernel_size=3, stride=2, padding=1)
    if num == 47: return torch.sum(x, dim=1, keepdim=True)
    if num == 48: return torch.mean(x, dim=1, keepdim=True)
    if num == 49: return torch.max(x, dim=1)[0]
    if num == 50: return F.conv2d(x, a["weight"], a["bias"], stride=4, padding=2)
    if num == 51: return torch.argmax(x, dim=1)
    if num == 52: return torch.argmin(x, dim=1)
    if num == 53: return torch.min(x, dim=1)[0]
    raise SystemExit(f"no module for {num}")


def tasks():
    out = []
    d = os.path.join(ROOT, "data", "level1")
    for name in sorted(os.listdir(d)):
        if not name[:3].isdigit(): continue
        num = int(name.split("_")[0])
        if 1 <= num <= 53 and (ONLY is None or num in ONLY):
            with open(os.path.join(d, name, "task.json")) as f: out.append(json.load(f))
    return out


def semantics():
    os.makedirs(OUT, exist_ok=True)
    for t in tasks():
        num = t["number"]
        sizes = dims(t, "smoke")
        gen = torch.Generator().manual_seed(1000 + num)
        a, params, scalars = {}, [], {}
        for p in t["params"]:
            e = {"name": p["name"], "kind": p["kind"]}
            if p["kind"] == "input":
                a[p["name"]] = draw(p, sizes, gen, "cpu")
                e["dtype"] = p["dtype"]; e["data"] = a[p["name"]].flatten().tolist()
            elif p["kind"] == "size": e["value"] = sizes[p["name"]]
            elif p["kind"] == "scalar": e["value"] = p["value"]; scalars[p["name"]] = p["value"]
            params.append(e)
        with torch.no_grad():
            # fp64 on the CPU: the fixture is the exact answer the fp32 kernels are compared to
            a64 = {k: (v.to(torch.float64) if v.dtype == torch.float32 else v) for k, v in a.items()}
            y = forward(num, a64, sizes, scalars)
        outs = [p for p in t["params"] if p["kind"] == "output"]
        data = y.flatten().tolist() if outs[0]["dtype"] == "i64" else y.to(torch.float32).flatten().tolist()
        rec = {"id": t["id"], "atol": t["tolerance"]["atol"], "rtol": t["tolerance"]["rtol"], "torch": torch.__version__,
               "params": params, "outputs": {outs[0]["name"]: data}}
        with open(os.path.join(OUT, f"L1_{num:03d}.json"), "w") as f: json.dump(rec, f)
        print(f"{t['id']:8s} smoke {sizes} -> {tuple(y.shape)}")


def timing():
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = False
    dev = "cuda"
    flush = torch.empty(256 << 20, dtype=torch.uint8, device=dev)
    res = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "cudnn": torch.backends.cudnn.version(), "eager_ms": {}}
    for t in tasks():
        num = t["number"]
        sizes = dims(t, "main")
        gen = torch.Generator().manual_seed(num)
        a, scalars = {}, {}
        for p in t["params"]:
            if p["kind"] == "input": a[p["name"]] = draw(p, sizes, gen, dev)
            elif p["kind"] == "scalar": scalars[p["name"]] = p["value"]
        with torch.no_grad():
            for _ in range(5): forward(num, a, sizes, scalars)
            times = []
            for _ in range(30):
                flush.zero_()
                s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                s.record(); forward(num, a, sizes, scalars); e.record()
                torch.cuda.synchronize()
                times.append(s.elapsed_time(e))
        times.sort()
        res["eager_ms"][t["id"]] = times[len(times) // 2]
        print(f"{t['id']:8s} main {sizes}: eager {times[len(times) // 2]:.3f} ms", flush=True)
        del a
        torch.cuda.empty_cache()
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "eager_times.json")
    if ONLY is not None and os.path.exists(path):
        with open(path) as f: old = json.load(f)
        res = {**old, **res, "eager_ms": {**old.get("eager_ms", {}), **res["eager_ms"]}}
    with open(path, "w") as f: json.dump(res, f, indent=1)


if __name__ == "__main__":
    semantics()
    if "--time" in sys.argv: timing()
