#!/usr/bin/env python3
"""verifier_comparator.py — the KernelBench-harness side of exp01's ratios (DESIGN §8).

Verifies the same candidates as experiments/exp01_verifier_bench.c the way KernelBench does
(src/kernelbench/eval.py + timing.py on `main`, see ../shared/research/kernelbench_eval.md §2-3, §5):

  * compile: torch.utils.cpp_extension.load_inline (nvcc + ninja + the host C++ compiler); the
    candidate .cu is valid CUDA C++, so it is compiled as is, plus a small wrapper that calls its
    `forward` with the tensors' data pointers and the task's sizes (the reference is compiled the
    same way; kgrl_gemm/kgrl_gemm_batched get a cuBLAS definition, kgrl_conv tasks are skipped);
  * correctness: 5 trials, each reseeding and drawing fresh inputs, reference first, then the
    candidate on the same inputs, torch.allclose(atol, rtol of the task) — outputs from torch.empty;
  * timing (only when correct): the reference and the candidate each get 3 warm-up calls, then 100
    trials, each: sync, L2 flush (256 MB fill, as main does), start event, forward, end event, sync;
    mean reported (KernelBench's `runtime`).

Two modes, as KernelBench offers them:
  sequential  compile then evaluate each candidate in turn (per-candidate latency)
  parallel    compile every candidate first in a spawn pool of all cores (batch_compile), then
              evaluate them one by one on the GPU, reusing the build directories (batch throughput)

Run on the GPU machine (torch with CUDA, nvcc on PATH), from the repository root, after exp01:
  python3 tests/oracles/verifier_comparator.py --list results/exp01_verifier_candidates.txt [--limit N]
Prints per-candidate latencies and batch throughput, and writes tests/fixtures/verifier/comparator.json.
Offline: needs nothing but the local torch/CUDA install.
"""
import argparse
import json
import math
import multiprocessing as mp
import os
import re
import shutil
import sys
import tempfile
import time

SKIP_BUILTINS = ("kgrl_conv",)

CUBLAS_SHIM = r"""
#include <ATen/cuda/CUDAContext.h>
#include <cublas_v2.h>
// kgrl's reference builtins (TASK_FORMAT.md), row-major fp32 through cuBLAS (column-major): C^T = op(B)^T op(A)^T
static void kgrl_gemm(int ta, int tb, int M, int N, int K, float alpha, const float* A, int lda,
                      const float* B, int ldb, float beta, float* C, int ldc) {
    cublasHandle_t h = at::cuda::getCurrentCUDABlasHandle();
    cublasSetMathMode(h, CUBLAS_DEFAULT_MATH);
    cublasSgemm(h, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, N, M, K, &alpha, B, ldb, A, lda, &beta, C, ldc);
}
static void kgrl_gemm_batched(int ta, int tb, int M, int N, int K, float alpha, const float* A, int lda, long sA,
                              const float* B, int ldb, long sB, float beta, float* C, int ldc, long sC, int batch) {
    cublasHandle_t h = at::cuda::getCurrentCUDABlasHandle();
    cublasSetMathMode(h, CUBLAS_DEFAULT_MATH);
    cublasSgemmStridedBatched(h, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, N, M, K, &alpha,
                              B, ldb, sB, A, lda, sA, &beta, C, ldc, sC, batch);
}
"""


def load_task(task_dir):
    with open(os.path.join(task_dir, "task.json")) as f:
        t = json.load(f)
    with open(os.path.join(task_dir, "reference.cu")) as f:
        t["reference_src"] = f.read()
    t["dir"] = task_dir
    return t


def eval_expr(expr, sizes):
    if isinstance(expr, int):
        return expr
    e = re.sub(r"(?<!/)/(?!/)", "//", str(expr))            # integer division as in the task format
    return int(eval(e, {"__builtins__": {}}, dict(sizes)))   # our own task files, names are sizes only


def main_sizes(t):
    return {p["name"]: p["value"] for p in t["params"] if p["kind"] == "size"}


def make_input(torch, p, sizes, gen):
    shape = [eval_expr(s, sizes) for s in p["shape"]]
    dt = {"f32": torch.float32, "i64": torch.int64, "i32": torch.int32}[p["dtype"]]
    d = p.get("dist", "rand")
    dev = "cuda"
    if d == "rand":
        x = torch.rand(shape, generator=gen, device=dev)
    elif d == "randn":
        x = torch.randn(shape, generator=gen, device=dev)
    elif d.startswith("uniform("):
        a, b = [float(v) for v in d[8:-1].split(",")]
        x = torch.rand(shape, generator=gen, device=dev) * (b - a) + a
    elif d.startswith("randint("):
        a, b = [int(eval_expr(v, sizes)) for v in d[8:-1].split(",")]
        x = torch.randint(a, b, shape, generator=gen, device=dev)
    elif d.startswith("bound("):
        fan = eval_expr(d[6:-1], sizes)
        w = 1.0 / math.sqrt(fan)
        x = (torch.rand(shape, generator=gen, device=dev) * 2 - 1) * w
    elif d.startswith("const("):
        x = torch.full(shape, float(d[6:-1]), device=dev)
    else:
        raise ValueError("unknown dist " + d)
    for post in p.get("post", []):
        if post == "triu": x = torch.triu(x)
        elif post == "tril": x = torch.tril(x)
        elif post == "symmetric": x = (x + x.transpose(-1, -2)) / 2
        elif post == "softmax": x = torch.softmax(x, dim=-1)
        elif post == "abs": x = x.abs()
        elif post == "sign": x = torch.where(x >= 0, 1.0, -1.0).to(x.dtype)
        elif post.startswith("add("): x = x + float(post[4:-1])
    return x.to(dt).contiguous()


def wrapper_src(t, name):
    """C++ that calls the candidate's forward with the tensors' pointers and the sizes/scalars."""
    ctypes = {"f32": "float", "i64": "long long", "i32": "int"}
    args, decl = [], []
    ti = si = 0
    for p in t["params"]:
        if p["kind"] in ("input", "output"):
            c = ctypes[p["dtype"]]
            cq = "const " if p["kind"] == "input" else ""
            args.append(f"({cq}{c}*)tensors[{ti}].data_ptr()")
            ti += 1
        else:
            args.append(f"({'double' if p['kind'] == 'scalar' else 'long long'})values[{si}]")
            si += 1
    return (f"void {name}_run(std::vector<torch::Tensor> tensors, std::vector<double> values) {{\n"
            f"    forward({', '.join(args)});\n}}\n")


def build(t, src, name, build_dir):
    from torch.utils.cpp_extension import load_inline
    os.makedirs(build_dir, exist_ok=True)
    cuda = "#include <torch/extension.h>\n#include <cuda_fp16.h>\n#include <cuda_bf16.h>\n#include <math.h>\n#include <float.h>\n"
    if "kgrl_gemm" in src:
        cuda += CUBLAS_SHIM
    cuda += src + "\n" + wrapper_src(t, name)
    cpp = f"#include <torch/extension.h>\nvoid {name}_run(std::vector<torch::Tensor> tensors, std::vector<double> values);\n"
    return load_inline(name=name, cpp_sources=cpp, cuda_sources=cuda, functions=[f"{name}_run"],
                       build_directory=build_dir, verbose=False, extra_cuda_cflags=["-O3"],
                       extra_ldflags=["-lcublas"])


def _compile_worker(job):
    t, src, name, bdir = job
    t0 = time.time()
    try:
        build(t, src, name, bdir)
        return name, True, time.time() - t0, ""
    except Exception as e:                                    # a compile error is data
        return name, False, time.time() - t0, str(e)[-400:]


def call(mod, name, tensors, values):
    getattr(mod, f"{name}_run")(tensors, values)


def evaluate(torch, t, ref_mod, ref_name, mod, name, trials=5, timed=100, warmup=3):
    sizes = main_sizes(t)
    values = [float(p["value"]) for p in t["params"] if p["kind"] in ("size", "scalar")]
    atol = t["tolerance"].get("atol", 1e-4)
    rtol = t["tolerance"].get("rtol", 1e-4)

    kinds = [p["kind"] for p in t["params"] if p["kind"] in ("input", "output")]

    def tensors_for(inputs):                                  # inputs as given, outputs from torch.empty
        ts, k = [], 0
        for p in t["params"]:
            if p["kind"] == "input":
                ts.append(inputs[k]); k += 1
            elif p["kind"] == "output":
                shape = [eval_expr(s, sizes) for s in p["shape"]]
                dt = {"f32": torch.float32, "i64": torch.int64, "i32": torch.int32}[p["dtype"]]
                ts.append(torch.empty(shape, dtype=dt, device="cuda"))
        return ts

    def outputs(ts):
        return [x for x, k in zip(ts, kinds) if k == "output"]

    torch.manual_seed(42)
    seeds = [int(torch.randint(0, 2**32 - 1, (1,)).item()) for _ in range(trials)]
    for s in seeds:                                           # KernelBench: reseed per trial, fresh inputs
        gen = torch.Generator(device="cuda").manual_seed(s)
        inputs = [make_input(torch, p, sizes, gen) for p in t["params"] if p["kind"] == "input"]
        rt = tensors_for(inputs)
        call(ref_mod, ref_name, rt, values)                   # reference first, same inputs
        ct = tensors_for(inputs)
        call(mod, name, ct, values)
        torch.cuda.synchronize()
        for a, b in zip(outputs(ct), outputs(rt)):
            if a.shape != b.shape or not torch.allclose(a, b, atol=atol, rtol=rtol):
                return False, math.nan, math.nan
    gen = torch.Generator(device="cuda").manual_seed(42)
    inputs = [make_input(torch, p, sizes, gen) for p in t["params"] if p["kind"] == "input"]
    flush = torch.empty(32 * 1024 * 1024, dtype=torch.int64, device="cuda")   # 256 MB, as main's L2 flush

    def time_it(m, nm):
        ts = tensors_for(inputs)
        for _ in range(warmup):
            call(m, nm, ts, values); torch.cuda.synchronize()
        times = []
        for _ in range(timed + 1):                            # main discards the first trial
            torch.cuda.synchronize()
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            flush.fill_(1)
            a.record(); call(m, nm, ts, values); b.record()
            torch.cuda.synchronize()
            times.append(a.elapsed_time(b))
        times = times[1:]
        return sum(times) / len(times)

    t_ref = time_it(ref_mod, ref_name)
    t_cand = time_it(mod, name)
    return True, t_ref, t_cand


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--list", default="results/exp01_verifier_candidates.txt")
    ap.add_argument("--limit", type=int, default=0, help="use the first N candidates (0: all)")
    ap.add_argument("--modes", default="sequential,parallel")
    ap.add_argument("--out", default="tests/fixtures/verifier/comparator.json")
    args = ap.parse_args()
    import torch
    torch.backends.cuda.matmul.allow_tf32 = False            # the kit's baselines: fp32 math, no TF32
    torch.backends.cudnn.allow_tf32 = False
    if not torch.cuda.is_available():
        sys.exit("verifier_comparator: needs a CUDA GPU")
    cap = torch.cuda.get_device_capability()
    os.environ.setdefault("TORCH_CUDA_ARCH_LIST", f"{cap[0]}.{cap[1]}")
    cands = []
    with open(args.list) as f:
        for line in f:
            if line.strip():
                d, c = line.rstrip("\n").split("\t")
                cands.append((d, c))
    tasks, jobs = {}, []
    for i, (d, c) in enumerate(cands):
        if d not in tasks:
            tasks[d] = load_task(d)
        t = tasks[d]
        src = open(c).read()
        if any(b in src or b in t["reference_src"] for b in SKIP_BUILTINS):
            continue
        if "spin_forever" in c or "compile_bomb" in c or "fault" in c:
            continue                                          # would hang or kill this very process
        jobs.append((t, src, f"kc{i}", c))
    if args.limit:
        jobs = jobs[: args.limit]
    print(f"verifier_comparator: {len(jobs)} candidates on {torch.cuda.get_device_name()}", flush=True)
    root = tempfile.mkdtemp(prefix="kgrl_cmp_")
    result = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "candidates": len(jobs),
              "cpu_count": os.cpu_count()}
    # references: compiled once per task the jobs use, in parallel, not counted (KernelBench's
    # reference is eager PyTorch); then loaded (a ninja no-op)
    used = sorted({t["dir"] for t, _, _, _ in jobs})
    ref_work = [(tasks[d], tasks[d]["reference_src"], "kref_" + re.sub(r"\W", "_", os.path.basename(d)),
                 os.path.join(root, "kref_" + re.sub(r"\W", "_", os.path.basename(d)))) for d in used]
    t_ref0 = time.time()
    with mp.get_context("spawn").Pool(min(len(ref_work), os.cpu_count()) or 1) as pool:
        pool.map(_compile_worker, ref_work)
    refs = {d: (build(t, src, nm, bdir), nm) for d, (t, src, nm, bdir) in zip(used, ref_work)}
    print(f"references: {len(refs)} built in {time.time() - t_ref0:.1f} s (not counted)", flush=True)
    per = []
    if "sequential" in args.modes:
        t_all = time.time()
        for t, src, nm, path in jobs:
            t0 = time.time()
            name, ok, c_s, log = _compile_worker((t, src, nm + "s", os.path.join(root, nm + "s")))
            correct, tr, tc = False, math.nan, math.nan
            e0 = time.time()
            if ok:
                try:
                    mod = build(t, src, nm + "s", os.path.join(root, nm + "s"))
                    ref_mod, ref_nm = refs[t["dir"]]
                    correct, tr, tc = evaluate(torch, t, ref_mod, ref_nm, mod, nm + "s")
                except Exception as e:                        # a runtime error is data
                    log = str(e)[-300:]
                    torch.cuda.synchronize()
            row = {"candidate": path, "compiled": ok, "correct": correct, "compile_s": c_s, "eval_s": time.time() - e0,
                   "total_s": time.time() - t0, "t_ref_ms": tr, "t_cand_ms": tc}
            per.append(row)
            print(f"  {path:60s} compiled={ok!s:5} correct={correct!s:5} compile {c_s:6.1f} s eval {row['eval_s']:6.2f} s", flush=True)
        wall = time.time() - t_all
        lat = sorted(r["total_s"] for r in per)
        result["sequential"] = {"wall_s": wall, "per_min": 60 * len(jobs) / wall, "latency_p50_s": lat[len(lat) // 2],
                                "latency_mean_s": sum(lat) / len(lat), "per_candidate": per}
        print(f"sequential: {len(jobs)} in {wall:.1f} s = {60 * len(jobs) / wall:.2f}/min; latency p50 {lat[len(lat) // 2]:.1f} s")
    if "parallel" in args.modes:
        t_all = time.time()
        work = [(t, src, nm + "p", os.path.join(root, nm + "p")) for t, src, nm, _ in jobs]
        with mp.get_context("spawn").Pool(os.cpu_count()) as pool:   # KernelBench batch_compile
            compiled = {n: (ok, s) for n, ok, s, _ in pool.map(_compile_worker, work)}
        t_comp = time.time() - t_all
        ncorrect = 0
        for (t, src, nm, bdir) in work:
            if not compiled[nm][0]:
                continue
            try:
                mod = build(t, src, nm, bdir)                   # ninja no-op, import
                ref_mod, ref_nm = refs[t["dir"]]
                ok, _, _ = evaluate(torch, t, ref_mod, ref_nm, mod, nm)
                ncorrect += ok
            except Exception:
                torch.cuda.synchronize()
        wall = time.time() - t_all
        result["parallel"] = {"wall_s": wall, "compile_wall_s": t_comp, "per_min": 60 * len(jobs) / wall,
                              "correct": ncorrect, "workers": os.cpu_count()}
        print(f"parallel compile ({os.cpu_count()} procs) + sequential eval: {len(jobs)} in {wall:.1f} s "
              f"(compile {t_comp:.1f} s) = {60 * len(jobs) / wall:.2f}/min")
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1, default=float)
    shutil.rmtree(root, ignore_errors=True)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
