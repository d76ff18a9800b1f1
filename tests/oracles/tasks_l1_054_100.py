#!/usr/bin/env python3
"""Oracle for the task suite's level-1 problems 54-100 (convolutions, GELU, scans, losses, SDPA).

Run on the GPU machine from the repository root, offline:
    /opt/torch/.venv/bin/python tests/oracles/tasks_l1_054_100.py            # semantics fixtures (CPU is enough)
    /opt/torch/.venv/bin/python tests/oracles/tasks_l1_054_100.py --time     # + PyTorch eager timings at main shapes
    /opt/torch/.venv/bin/python tests/oracles/tasks_l1_054_100.py --time --only 58,68  # + eager timings of just these task numbers

1. Semantics: for every task it draws inputs at the task's smoke sizes (task.json), runs the PyTorch
   module KernelBench defines (same ops, same arguments), and writes tests/fixtures/tasks_l1_054_100/
   L1_NNN.json = {"params": [...in signature order, inputs with data, sizes/scalars with values...],
   "outputs": {name: data}}. tests/test_tasks_l1_054_100.c runs each task's cpu_reference.c on those
   inputs and compares: so the C references are checked against PyTorch itself, not against our reading of it.
2. --time: eager PyTorch at the main shapes of task.json on cuda, TF32 off for matmul and cuDNN
   (torch.backends.cuda.matmul.allow_tf32 = False, torch.backends.cudnn.allow_tf32 = False, benchmark off),
   median of 30 timed calls after 5 warm-ups, an L2 flush before each; writes eager_ms per task to
   tests/fixtures/tasks_l1_054_100/eager_times.json. Compare with `kgrl eval` reference times: the
   references must land within 0.8-1.25x.
"""
import json, math, os, sys
import torch
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "tests", "fixtures", "tasks_l1_054_100")
# --only 58,68: run just these task numbers (semantics and timing); the timings then update the
# existing eager_times.json instead of replacing it
ONLY = {int(n) for n in sys.argv[sys.argv.index("--only") + 1].split(",") if n} if "--only" in sys.argv else None

# Convolution hyperparameters as KernelBench's modules set them (bias=False everywhere).
CONV = {
    54: dict(nd=3, tr=0, k=[3, 3, 3], s=[1, 1, 1], p=[0, 0, 0], d=[1, 1, 1], op=[0, 0, 0], g=1),
    55: dict(nd=2, tr=0, k=[3, 3], s=[1, 1], p=[0, 0], d=[1, 1], op=[0, 0], g=1),
    56: dict(nd=2, tr=0, k=[5, 7], s=[1, 1], p=[0, 0], d=[1, 1], op=[0, 0], g=1),
    57: dict(nd=2, tr=1, k=[3, 3], s=[1, 1], p=[0, 0], d=[1, 1], op=[0, 0], g=1),
    58: dict(nd=3, tr=1, k=[3, 5, 7], s=[1, 1, 1], p=[0, 0, 0], d=[1, 1, 1], op=[0, 0, 0], g=1),
    59: dict(nd=3, tr=0, k=[3, 3, 1], s=[1, 1, 1], p=[0, 0, 0], d=[1, 1, 1], op=[0, 0, 0], g=1),
    60: dict(nd=3, tr=0, k=[3, 5, 7], s=[1, 1, 1], p=[0, 0, 0], d=[1, 1, 1], op=[0, 0, 0], g=1),
    61: dict(nd=3, tr=1, k=[3, 3, 3], s=[1, 1, 1], p=[0, 0, 0], d=[1, 1, 1], op=[0, 0, 0], g=1),
    62: dict(nd=2, tr=0, k=[5, 9], s=[1, 1], p=[0, 0], d=[1, 1], op=[0, 0], g=1),
    63: dict(nd=2, tr=0, k=[3, 3], s=[1, 1], p=[0, 0], d=[1, 1], op=[0, 0], g=1),
    64: dict(nd=1, tr=1, k=[3], s=[1], p=[0], d=[1], op=[0], g=1),
    65: dict(nd=2, tr=1, k=[3, 7], s=[1, 1], p=[0, 0], d=[1, 1], op=[0, 0], g=1),
    66: dict(nd=3, tr=0, k=[3, 5, 7], s=[1, 1, 1], p=[0, 0, 0], d=[1, 1, 1], op=[0, 0, 0], g=1),
    67: dict(nd=1, tr=0, k=[3], s=[1], p=[0], d=[1], op=[0], g=1),
    68: dict(nd=3, tr=1, k=[3, 5, 5], s=[1, 1, 1], p=[0, 0, 0], d=[1, 1, 1], op=[0, 0, 0], g=1),
    69: dict(nd=2, tr=1, k=[3, 5], s=[1, 1], p=[0, 0], d=[1, 1], op=[0, 0], g=1),
    70: dict(nd=3, tr=1, k=[3, 3, 3], s=[1, 1, 1], p=[0, 0, 0], d=[1, 1, 1], op=[0, 0, 0], g=1),
    71: dict(nd=2, tr=1, k=[3, 3], s=[1, 1], p=[0, 0], d=[1, 1], op=[0, 0], g=1),
    72: dict(nd=3, tr=1, k=[3, 5, 7], s=[2, 2, 2], p=[1, 2, 3], d=[1, 1, 1], op=[1, 1, 1], g=4),
    73: dict(nd=3, tr=1, k=[3, 3, 3], s=[2, 2, 2], p=[1, 1, 1], d=[1, 1, 1], op=[0, 0, 0], g=4),
    74: dict(nd=1, tr=1, k=[5], s=[1], p=[0], d=[3], op=[0], g=1),
    75: dict(nd=2, tr=1, k=[3, 5], s=[2, 3], p=[1, 2], d=[2, 1], op=[0, 0], g=4),
    76: dict(nd=1, tr=0, k=[3], s=[3], p=[0], d=[4], op=[0], g=1),
    77: dict(nd=3, tr=1, k=[3, 3, 3], s=[2, 2, 2], p=[1, 1, 1], d=[2, 2, 2], op=[0, 0, 0], g=1),
    78: dict(nd=2, tr=1, k=[3, 7], s=[1, 1], p=[1, 3], d=[1, 1], op=[0, 0], g=1),
    79: dict(nd=1, tr=1, k=[3], s=[2], p=[1], d=[2], op=[0], g=1),
    80: dict(nd=2, tr=0, k=[5, 9], s=[1, 1], p=[2, 4], d=[2, 3], op=[0, 0], g=1),
    81: dict(nd=2, tr=1, k=[3, 3], s=[5, 5], p=[1, 1], d=[2, 2], op=[0, 0], g=1),
    82: dict(nd=2, tr=0, k=[3, 3], s=[1, 1], p=[0, 0], d=[1, 1], op=[0, 0], g="dw"),
    83: dict(nd=2, tr=0, k=[3, 1], s=[1, 1], p=[0, 0], d=[1, 1], op=[0, 0], g="dw"),
    84: dict(nd=2, tr=0, k=[3, 3], s=[1, 1], p=[0, 0], d=[1, 1], op=[0, 0], g="dw"),
    85: dict(nd=2, tr=0, k=[3, 7], s=[1, 1], p=[0, 0], d=[1, 1], op=[0, 0], g="dw"),
    87: dict(nd=2, tr=0, k=[1, 1], s=[1, 1], p=[0, 0], d=[1, 1], op=[0, 0], g=1),}

def dims(task, mode):
    sizes = {}
    for p in task["params"]:
        if p["kind"] == "size":
            sizes[p["name"]] = p.get("smoke", p["value"]) if mode == "smoke" else p["value"]
    return sizes

def ev(expr, sizes):
    return int(eval(str(expr).replace("/", "//"), {}, dict(sizes)))

def draw(p, sizes, gen, device):
    shape = [ev(e, sizes) for e in p["shape"]]
    dist = p["dist"]
    name, _, arg = dist.partition("(")
    arg = arg.rstrip(")")
    u = lambda: torch.rand(shape, generator=gen, dtype=torch.float64).to(device)
    if name == "rand": t = u()
    elif name == "randn": t = torch.randn(shape, generator=gen, dtype=torch.float64).to(device)
    elif name == "uniform":
        a, b = (float(v) for v in arg.split(",")); t = a + (b - a) * u()
    elif name == "randint":
        a, b = (int(v) for v in arg.split(",")); t = torch.randint(a, b, shape, generator=gen).to(device)
    elif name == "bound":
        t = (2 * u() - 1) / math.sqrt(ev(arg, sizes))
    elif name == "const": t = torch.full(shape, float(arg), dtype=torch.float64, device=device)
    else: raise SystemExit(f"unknown dist {dist}")
    for post in p.get("post", []):
        if post == "softmax": t = torch.softmax(t, dim=-1)
        elif post == "sign": t = torch.where(t >= 0, 1.0, -1.0).to(torch.float64)
        else: raise SystemExit(f"unknown post {post}")
    if p["dtype"] == "i64": return t.to(torch.int64)
    return t.to(torch.float32)

def conv(num, x, w, sizes):
    c = CONV[num]
    g = sizes["in_channels"] if c["g"] == "dw" else c["g"]
    if c["tr"]:
        f = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[c["nd"]]
        return f(x, w, None, stride=c["s"], padding=c["p"], output_padding=c["op"], groups=g, dilation=c["d"])
    f = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[c["nd"]]
    return f(x, w, None, stride=c["s"], padding=c["p"], dilation=c["d"], groups=g)

def forward(num, a, sizes, scalars):
    """KernelBench's Model.forward for problem `num`; a: inputs by name."""
    if num in CONV: return conv(num, a["x"], a["weight"], sizes)
    if num == 86:
        y = F.conv2d(a["x"], a["dw_weight"], None, stride=1, padding=1, dilation=1, groups=sizes["in_channels"])
        return F.conv2d(y, a["pw_weight"])
    if num == 88:
        x = a["x"]
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))
    if num == 89: return torch.cumsum(a["x"], dim=1)
    if num == 90: return torch.cumprod(a["x"], dim=1)
    if num == 91: return torch.cumsum(a["x"].flip(1), dim=1).flip(1)
    if num == 92:
        x = a["x"]
        cs = torch.cumsum(x.narrow(dim=1, start=0, length=x.size(1) - 1), dim=1)
        return torch.cat((torch.zeros_like(x.select(1, 0).unsqueeze(1)), cs), dim=1)
    if num == 93: return torch.cumsum(a["x"] * a["mask"], dim=1)
    if num == 94: return torch.mean((a["predictions"] - a["targets"]) ** 2).reshape(1)
    if num == 95: return F.cross_entropy(a["predictions"], a["targets"]).reshape(1)
    if num == 96: return F.smooth_l1_loss(a["predictions"], a["targets"]).reshape(1)
    if num == 97: return F.scaled_dot_product_attention(a["Q"], a["K"], a["V"])
    if num == 98: return F.kl_div(torch.log(a["predictions"]), a["targets"], reduction="batchmean").reshape(1)
    if num == 99: return torch.nn.TripletMarginLoss(margin=scalars["margin"])(a["anchor"], a["positive"], a["negative"]).reshape(1)
    if num == 100: return torch.mean(torch.clamp(1 - a["predictions"] * a["targets"], min=0)).reshape(1)
    raise SystemExit(f"no module for {num}")

def tasks():
    out = []
    d = os.path.join(ROOT, "data", "level1")
    for name in sorted(os.listdir(d)):
        num = int(name.split("_")[0])
        if 54 <= num <= 100 and (ONLY is None or num in ONLY):
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
            y = forward(num, a, sizes, scalars)
        outs = [p["name"] for p in t["params"] if p["kind"] == "output"]
        rec = {"id": t["id"], "atol": t["tolerance"]["atol"], "rtol": t["tolerance"]["rtol"], "torch": torch.__version__,
               "params": params, "outputs": {outs[0]: y.to(torch.float32).flatten().tolist()}}
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
