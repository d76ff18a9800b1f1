#!/usr/bin/env python3
"""gen_l2_tasks.py — generate the KernelBench level-2 tasks (data/level2/NNN_Name/).

Each KernelBench L2 problem is a chain: a heavy op (Conv/ConvTranspose 2-D/3-D, Linear, matmul)
followed by elementwise ops, norms, pooling, reductions. The SPECS table at the bottom of this file
restates every problem's chain (read from KernelBench's problem files) with this file's op
templates. From a spec the script writes:

  task.json          metadata, params, sizes (main shapes scaled to <= ~1 GB of inputs and an
                     estimated 0.5-5 ms reference on an H100), tolerance, costs, notes
  reference.cu       what PyTorch eager runs: the builtin conv/gemm (cuDNN/cuBLAS, with bias as the
                     module does), then one kernel per following PyTorch op (eager does not fuse)
  cpu_reference.c    plain loops, fp64 intermediates: the oracle for the reference at smoke sizes
  solution_simple.cu the same op kernels, but a direct conv / 16x16-tiled GEMM kernel instead of
                     the builtins (candidates cannot call them)

Hand-written files (solution_fast.cu, wrong_*.cu) are never overwritten; task.json lists every
solution_*.cu / wrong_*.cu present, with `why`/`expect` taken from HAND below.

Usage: python3 scripts/gen_l2_tasks.py [--only 1,2,3] [--table]
Inputs: ../shared/kernelbench_tasks.tsv (names, KernelBench shapes) next to the repository.
"""
import json
import math
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TSV = os.path.join(ROOT, '..', 'shared', 'kernelbench_tasks.tsv')

# H100 rates used only to choose the scaled main shapes (estimate, not a measurement):
# cuBLAS/cuDNN fp32 without TF32 reach ~45 TFLOP/s; memory-bound kernels ~2.5 TB/s.
EST_FLOPS = 45e12
EST_BW = 2.5e12
MAX_INPUT_BYTES = 1.1e9
MAX_EST_S = 5e-3


# ------------------------------------------------------------------------------------------------
# shapes: a dim is (code, expr): `code` is how C code names it (a size param, a local, a literal),
# `expr` the same value as an expression over size params only (for task.json).
class Dim:
    def __init__(self, code, expr=None):
        self.code = str(code)
        self.expr = str(expr if expr is not None else code)


def lit(v):
    return Dim(str(v), str(v))


def prod_code(dims, long_cast=True):
    parts = [d.code for d in dims if d.code != '1']
    if not parts:
        return '1'
    if long_cast:
        return '(long)' + ' * '.join(parts)
    return ' * '.join(parts)


def prod_expr(dims):
    parts = [paren(d.expr) for d in dims if d.expr != '1']
    return '*'.join(parts) if parts else '1'


def paren(e):
    return e if re.fullmatch(r'[A-Za-z_0-9]+', e) else '(' + e + ')'


def add_const(e, c, tight=False):
    """e + c written the way a person would: `H - 2`, `H + 1`, `H`."""
    if c == 0:
        return e
    if tight:
        return '%s%s%d' % (e, '+' if c > 0 else '-', abs(c))
    return '%s %s %d' % (e, '+' if c > 0 else '-', abs(c))


def py_eval(expr, sizes):
    return eval(re.sub(r'(?<!/)/(?!/)', '//', expr), {}, dict(sizes))


class Tensor:
    def __init__(self, shape, kind='tmp', name=None):
        self.shape = shape
        self.kind = kind          # 'input' | 'tmp'
        self.name = name          # input: param name; tmp: buffer assigned at codegen
        self.producer = None

    def numel_code(self):
        return prod_code(self.shape)

    def numel_expr(self):
        return prod_expr(self.shape)


# ------------------------------------------------------------------------------------------------
# elementwise op catalogue: name -> (C expression over v [current value], p [param], r [second
# tensor], description). Written once in C double syntax; to_cuda() derives the float version.
EW = {
    'relu': ('fmax(v, 0.0)', 'relu', 'max(x, 0)'),
    'sigmoid': ('1.0 / (1.0 + exp(-v))', 'sigmoid', '1 / (1 + exp(-x))'),
    'tanh': ('tanh(v)', 'tanh', 'tanh(x)'),
    'gelu': ('0.5 * v * (1.0 + erf(v * 0.70710678118654752))', 'gelu (exact, erf form)',
             'x * (1 + erf(x / sqrt(2))) / 2 (exact GELU, PyTorch\'s default)'),
    'mish': ('v * tanh(log1p(exp(v)))', 'mish', 'x * tanh(log(1 + exp(x))) (Mish)'),
    'hardswish': ('v * fmin(fmax(v + 3.0, 0.0), 6.0) / 6.0', 'hardswish', 'x * clamp(x + 3, 0, 6) / 6 (HardSwish)'),
    'softplus': ('(v > 20.0 ? v : log1p(exp(v)))', 'softplus', 'log(1 + exp(x)), or x above 20 (softplus, as PyTorch)'),
    'selfadd': ('v + v', 'x + x', 'x + x'),
}


def to_cuda(e):
    e = re.sub(r'(?<![\w.])(\d+\.\d*(?:[eE][-+]?\d+)?)(?![\w.])', r'\1f', e)
    for fn in ('fmax', 'fmin', 'exp', 'tanh', 'erf', 'log1p', 'log', 'sqrt', 'fabs'):
        e = re.sub(r'\b%s\(' % fn, fn + 'f(', e)
    return e


def fnum(x):
    s = repr(float(x))
    return s


# ------------------------------------------------------------------------------------------------
class Op:
    """One PyTorch op of the chain. Subclasses give: out shape, kernels, launch lines, CPU loops."""
    heavy = False
    inplace_ok = False

    def inputs(self):
        return [self.x]


class EwOp(Op):
    """Elementwise y = f(x[, param p][, tensor r]) — one launch, as PyTorch's TensorIterator."""
    inplace_ok = True

    def __init__(self, t, x, key, expr, desc, p=None, pmode=None, r=None, rmode='full', out_shape=None):
        self.t, self.x, self.key, self.expr, self.desc = t, x, key, expr, desc
        self.p, self.pmode, self.r, self.rmode = p, pmode, r, rmode
        self.out = Tensor(out_shape or x.shape)
        self.xmode = 'full'

    def inputs(self):
        return [a for a in (self.x, self.p, self.r) if a is not None]


class ReduceOp(Op):
    """Reduce dims [a, b) of x viewed as [outer, R, inner]: sum | mean | max | min | lse."""

    def __init__(self, t, x, kind, a, b, keepdim):
        self.t, self.x, self.kind, self.a, self.b = t, x, kind, a, b
        sh = x.shape
        self.outer, self.R, self.inner = sh[:a], sh[a:b], sh[b:]
        self.out = Tensor(sh[:a] + ([lit(1)] * (b - a) if keepdim else []) + sh[b:])


class SoftmaxOp(Op):
    def __init__(self, t, x, a, b):
        self.t, self.x, self.a, self.b = t, x, a, b
        sh = x.shape
        self.outer, self.R, self.inner = sh[:a], sh[a:b], sh[b:]
        self.out = Tensor(sh)


class PoolOp(Op):
    def __init__(self, t, x, kind, nd, k, names):
        self.t, self.x, self.kind, self.nd, self.k = t, x, kind, nd, k
        sh = x.shape
        lead, sp = sh[:len(sh) - nd], sh[len(sh) - nd:]
        outsp = []
        for d, nm in zip(sp, names):
            e = '%s/%d' % (paren(d.expr), k)
            outsp.append(t.local(nm, '%s / %d' % (d.code, k), e))
        self.lead, self.sp, self.outsp = lead, sp, outsp
        self.out = Tensor(lead + outsp)


class BatchNormOp(Op):
    def __init__(self, t, x, w, b, eps=1e-5):
        self.t, self.x, self.w, self.b, self.eps = t, x, w, b, eps
        self.out = Tensor(x.shape)

    def inputs(self):
        return [self.x, self.w, self.b]


class RowNormOp(Op):
    """GroupNorm (groups G over dim 1) or InstanceNorm (G = C, no affine): per-row stats kernel +
    apply kernel, as PyTorch's GroupNorm; rows are contiguous slices of `M` elements."""

    def __init__(self, t, x, G, w, b, eps=1e-5, kind='group'):
        self.t, self.x, self.G, self.w, self.b, self.eps, self.kind = t, x, G, w, b, eps, kind
        self.out = Tensor(x.shape)

    def inputs(self):
        return [a for a in (self.x, self.w, self.b) if a is not None]


class LayerNormOp(Op):
    def __init__(self, t, x, w, b, eps=1e-5):
        self.t, self.x, self.w, self.b, self.eps = t, x, w, b, eps
        self.out = Tensor(x.shape)

    def inputs(self):
        return [self.x, self.w, self.b]


class CloneOp(Op):
    def __init__(self, t, x):
        self.t, self.x = t, x
        self.out = Tensor(x.shape)


class ConvOp(Op):
    heavy = True

    def __init__(self, t, x, w, b, nd, transposed, cout, k, s, p, op, names):
        self.t, self.x, self.w, self.b = t, x, w, b
        self.nd, self.transposed, self.cout, self.k, self.s, self.p, self.op = nd, transposed, cout, k, s, p, op
        sh = x.shape
        sp = sh[2:]
        outsp = []
        for d, nm in zip(sp, names):
            if transposed:      # (X - 1)*s - 2p + k + output_padding
                c = k + op - 2 * p
                if s == 1:
                    code, e = add_const(d.code, c - 1), add_const(d.expr, c - 1, True)
                else:
                    code = add_const('(%s - 1) * %d' % (d.code, s), c)
                    e = add_const('(%s-1)*%d' % (paren(d.expr), s), c, True)
            else:               # (X + 2p - k)/s + 1
                c = 2 * p - k
                if s == 1:
                    code, e = add_const(d.code, c + 1), add_const(d.expr, c + 1, True)
                else:
                    code = '%s / %d + 1' % (paren(add_const(d.code, c)), s)
                    e = '%s/%d+1' % (paren(add_const(d.expr, c, True)), s)
            outsp.append(t.local(nm, code, e))
        self.sp, self.outsp = sp, outsp
        self.out = Tensor([sh[0], cout] + outsp)

    def inputs(self):
        return [a for a in (self.x, self.w, self.b) if a is not None]


class LinearOp(Op):
    heavy = True

    def __init__(self, t, x, w, b, nout):
        self.t, self.x, self.w, self.b, self.nout = t, x, w, b, nout
        self.out = Tensor([x.shape[0], nout])

    def inputs(self):
        return [a for a in (self.x, self.w, self.b) if a is not None]


# ------------------------------------------------------------------------------------------------
class Task:
    def __init__(self, num):
        self.num = num
        self.sizes = []      # (name, main, smoke, free, extra dict)
        self.params = []     # inputs in signature order: (name, tensor, dist, extra)
        self.ops = []
        self.locals = []     # (name, code)
        self.notes = []
        self.desc = []
        self.excluded = None
        self.tol = None      # (atol, rtol, reason)
        self.out = None
        self.main_override = {}
        self.scale_reason = None
        self.extra_desc = []
        self.name = None
        self.dir = None

    # sizes and tensors ------------------------------------------------------------------------
    def size(self, name, main, smoke, free=False, **extra):
        self.sizes.append((name, main, smoke, free, extra))
        return Dim(name)

    def local(self, name, code, expr):
        self.locals.append((name, code))
        return Dim(name, expr)

    def input(self, name, shape, dist, **extra):
        tn = Tensor(shape, 'input', name)
        self.params.append((name, tn, dist, extra))
        return tn

    def note(self, s):
        self.notes.append(s)

    def d(self, s):
        """A step of the description; also the code comment of the op just added."""
        self.desc.append(s)
        if self.ops and getattr(self.ops[-1], 'comment', None) is None:
            self.ops[-1].comment = s

    # heavy ops --------------------------------------------------------------------------------
    def conv(self, x, nd, cout, k, s=1, p=0, op=0, transposed=False, bias=True, names=None):
        cin = x.shape[1]
        if names is None:
            names = ['Do', 'Ho', 'Wo'][3 - nd:]
        kk = '*'.join([str(k)] * nd)
        if transposed:   # PyTorch: weight [Cin, Cout, k..]; fan_in = weight.size(1) * k^nd = Cout*k^nd
            wshape, fan = [cin, cout] + [lit(k)] * nd, '%s*%s' % (cout.expr, kk)
        else:
            wshape, fan = [cout, cin] + [lit(k)] * nd, '%s*%s' % (cin.expr, kk)
        w = self.input('conv_w' if not any(p[0] == 'conv_w' for p in self.params) else 'conv2_w',
                       wshape, 'bound(%s)' % fan)
        b = self.input('conv_b', [cout], 'bound(%s)' % fan) if bias else None
        o = ConvOp(self, x, w, b, nd, transposed, cout, k, s, p, op, names)
        self.ops.append(o)
        what = '%s%dd' % ('conv_transpose' if transposed else 'conv', nd)
        extra = 'kernel %d, stride %d, padding %d%s%s' % (k, s, p, ', output_padding %d' % op if op else '',
                                                         '' if bias else ', no bias')
        self.d('%s(%s -> %s channels, %s)' % (what, cin.code, cout.code, extra))
        return o.out

    def linear(self, x, nout, bias=True, wname='w', bname='b', wdist=None):
        nin = x.shape[1]
        w = self.input(wname, [nout, nin], wdist or 'bound(%s)' % nin.expr)
        b = self.input(bname, [nout], 'bound(%s)' % nin.expr) if bias else None
        o = LinearOp(self, x, w, b, nout)
        self.ops.append(o)
        self.d('linear %s (x @ %s^T%s, %s -> %s features)' % (wname, wname, ' + ' + bname if bias else '',
                                                               nin.code, nout.code))
        return o.out

    # elementwise --------------------------------------------------------------------------------
    def ew(self, x, key, arg=None, desc=None):
        """Scalar-constant elementwise ops."""
        if key in EW:
            expr, dsc, formula = EW[key]
        elif key in ('add', 'sub', 'mul', 'div'):
            sym = {'add': '+', 'sub': '-', 'mul': '*', 'div': '/'}[key]
            expr, dsc = 'v %s %s' % (sym, fnum(arg)), '%s %g' % (sym, arg)
            formula = 'x ' + dsc
        elif key == 'leaky':
            expr, dsc = '(v > 0.0 ? v : v * %s)' % fnum(arg), 'leaky_relu(negative_slope=%g)' % arg
            formula = 'x > 0 ? x : %g * x (leaky_relu)' % arg
        elif key == 'clamp':
            lo, hi = arg
            if lo is None:
                expr, dsc = 'fmin(v, %s)' % fnum(hi), 'clamp(max=%g)' % hi
            elif hi is None:
                expr, dsc = 'fmax(v, %s)' % fnum(lo), 'clamp(min=%g)' % lo
            else:
                expr, dsc = 'fmin(fmax(v, %s), %s)' % (fnum(lo), fnum(hi)), 'clamp(%g, %g)' % (lo, hi)
            formula = dsc.replace('clamp(', 'clamp(x, ')
        elif key == 'minc':
            expr, dsc = 'fmin(v, %s)' % fnum(arg), 'min(x, %g)' % arg
            formula = dsc
        else:
            raise KeyError(key)
        o = EwOp(self, x, key if arg is None else '%s_%s' % (key, re.sub(r'\W', '', str(arg).replace('-', 'm').replace('.', 'p'))),
                 expr, formula)
        self.ops.append(o)
        self.d(desc or dsc)
        return o.out

    def ewp(self, x, key, p, mode, desc):
        """Elementwise with a broadcast param tensor p: mode 'chan' (dim 1), 'last', 'scalar'."""
        expr = {'add': 'v + p', 'sub': 'v - p', 'mul': 'v * p', 'div': 'v / p', 'min': 'fmin(v, p)'}[key]
        o = EwOp(self, x, key + '_' + p.name, expr, desc, p=p, pmode=mode)
        self.ops.append(o)
        self.d(desc)
        return o.out

    def ewt(self, x, key, r, desc, rmode='full', out_shape=None, xmode='full'):
        """Elementwise with a second tensor r (same shape, or broadcast by rmode)."""
        expr = {'add': 'v + r', 'mul': 'v * r', 'sub': 'v - r'}[key]
        o = EwOp(self, x, key + '_t', expr, desc, r=r, rmode=rmode, out_shape=out_shape)
        o.xmode = xmode
        self.ops.append(o)
        self.d(desc)
        return o.out

    def swish(self, x):
        # PyTorch eager: sigmoid(x) is one kernel, the product another
        s = self.ew(x, 'sigmoid')
        self.desc[-1] = 'swish: x * sigmoid(x) (two kernels in eager: sigmoid, then the product)'
        o = EwOp(self, s, 'mul_t', 'v * r', 'x * sigmoid(x)', r=x)
        o.comment = 'x * sigmoid(x)'
        self.ops.append(o)
        return o.out

    # reductions / norms / pools -----------------------------------------------------------------
    def reduce(self, x, kind, a, b, keepdim=True, desc=None):
        o = ReduceOp(self, x, kind, a, b, keepdim)
        self.ops.append(o)
        self.d(desc or '%s over dim%s %s%s' % ({'lse': 'logsumexp'}.get(kind, kind), 's' if b - a > 1 else '',
                                             ','.join(str(i) for i in range(a, b)), ' (keepdim)' if keepdim else ''))
        return o.out

    def softmax(self, x, a, b, desc=None):
        o = SoftmaxOp(self, x, a, b)
        self.ops.append(o)
        self.d(desc or 'softmax over dim %s' % ','.join(str(i) for i in range(a, b)))
        return o.out

    def pool(self, x, kind, nd, k, names=None):
        if names is None:
            names = ['Dp', 'Hp', 'Wp'][3 - nd:]
        o = PoolOp(self, x, kind, nd, k, names)
        self.ops.append(o)
        self.d('%s_pool%dd(kernel %d, stride %d)' % (kind, nd, k, k))
        return o.out

    def norm_params(self, C, what):
        w = self.input(what + '_w', [C], 'uniform(0.5,1.5)')
        b = self.input(what + '_b', [C], 'uniform(-0.5,0.5)')
        if not any('init' in n and 'weight' in n for n in self.notes):
            self.note('norm weight/bias (%s_w, %s_b) would be const(1)/const(0) at PyTorch init; they are drawn '
                      'from uniform(0.5,1.5)/uniform(-0.5,0.5) instead so a candidate that ignores them fails'
                      % (what, what))
        return w, b

    def batchnorm(self, x, eps=1e-5):
        C = x.shape[1]
        w, b = self.norm_params(C, 'bn')
        o = BatchNormOp(self, x, w, b, eps)
        self.ops.append(o)
        self.d('batch_norm over dim 1 with batch statistics (training mode: KernelBench never calls .eval(); '
               'biased variance, eps %g) and affine bn_w, bn_b' % eps)
        return o.out

    def groupnorm(self, x, G, eps=1e-5, wdist=None):
        C = x.shape[1]
        w, b = self.norm_params(C, 'gn')
        if wdist:
            self.params[-2] = (self.params[-2][0], w, wdist, self.params[-2][3])
        o = RowNormOp(self, x, G, w, b, eps, 'group')
        self.ops.append(o)
        self.d('group_norm(%d groups over dim 1, eps %g) with affine gn_w, gn_b' % (G, eps))
        return o.out

    def instancenorm(self, x, eps=1e-5, desc=None):
        o = RowNormOp(self, x, None, None, None, eps, 'instance')
        self.ops.append(o)
        self.d(desc or 'instance_norm (per sample and channel over the spatial dims, eps %g, no affine)' % eps)
        return o.out

    def layernorm(self, x, eps=1e-5):
        L = x.shape[-1]
        w, b = self.norm_params(L, 'ln')
        o = LayerNormOp(self, x, w, b, eps)
        self.ops.append(o)
        self.d('layer_norm over the last dim (size %s, eps %g) with affine ln_w, ln_b' % (L.code, eps))
        return o.out

    def clone(self, x):
        o = CloneOp(self, x)
        self.ops.append(o)
        self.d('clone (saved for a residual)')
        return o.out


# ------------------------------------------------------------------------------------------------
# CUDA device helpers, emitted once per file when an op needs them.
HELPERS = {
    'warp_sum': '''__device__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}''',
    'block_sum': '''// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
__device__ float block_sum(float v) {
    __shared__ float s[32];
    int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = blockDim.x >> 5;
    v = warp_sum(v);
    __syncthreads();                      // s may still be read from a previous call
    if (lane == 0) s[wid] = v;
    __syncthreads();
    v = lane < nw ? s[lane] : 0.0f;
    v = warp_sum(v);
    return v;
}''',
    'warp_max': '''__device__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}''',
    'warp_min': '''__device__ float warp_min(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fminf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}''',
    'block_max': '''// Max over the block; lanes past the last warp reuse s[0] (any member is a neutral filler for max).
__device__ float block_max(float v) {
    __shared__ float s[32];
    int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = blockDim.x >> 5;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) s[wid] = v;
    __syncthreads();
    v = lane < nw ? s[lane] : s[0];
    return warp_max(v);
}''',
    'block_min': '''// Min over the block; lanes past the last warp reuse s[0] (a neutral filler for min).
__device__ float block_min(float v) {
    __shared__ float s[32];
    int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = blockDim.x >> 5;
    v = warp_min(v);
    __syncthreads();
    if (lane == 0) s[wid] = v;
    __syncthreads();
    v = lane < nw ? s[lane] : s[0];
    return warp_min(v);
}''',
    'block_sum_d': '''// Sum of doubles over the block (norm statistics are accumulated in fp64: one row can hold
// millions of elements, and var = E[x^2] - mean^2 must not cancel).
__device__ double block_sum_d(double v) {
    __shared__ double s[32];
    int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = blockDim.x >> 5;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    __syncthreads();
    if (lane == 0) s[wid] = v;
    __syncthreads();
    v = lane < nw ? s[lane] : 0.0;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}''',
}
HELPER_DEPS = {'block_sum': ['warp_sum'], 'block_max': ['warp_max'], 'block_min': ['warp_min']}


def cdecl_int(name, code):
    return '%s = %s;' % (name, code)


class Gen:
    """Emits one file's CUDA (reference or simple) or the CPU reference of a task."""

    def __init__(self, task, mode):
        self.t, self.mode = task, mode
        self.kernels = []         # (name, text)
        self.helpers = []
        self.body = []            # forward lines
        self.scratch = []         # names to free

    # kernel bookkeeping -------------------------------------------------------------------------
    def need(self, h):
        for d in HELPER_DEPS.get(h, []):
            self.need(d)
        if h not in self.helpers:
            self.helpers.append(h)

    def kernel(self, name, text):
        """Add a kernel; `text` uses NAME for its name. Identical kernels are shared."""
        for n, tx in self.kernels:
            if tx == text.replace('NAME', n):
                return n
        base, k = name, 2
        while any(n == name for n, _ in self.kernels):
            name = '%s%d' % (base, k)
            k += 1
        self.kernels.append((name, text.replace('NAME', name)))
        return name


def size_samples(task):
    """Size assignments to compare buffer sizes under: main, smoke, and each free size at its
    minimum and well above main (the verifier's variants move free sizes only)."""
    main = {s[0]: s[1] for s in task.sizes}
    out = [dict(main), {s[0]: s[2] for s in task.sizes}]
    for name, mv, sm, free, extra in task.sizes:
        if free:
            for v in (extra.get('min', 1), 2 * mv + 1, 3):
                d = dict(main)
                d[name] = v
                if shapes_ok(task, d):
                    out.append(d)
    return out


def assign_buffers(task):
    """out for the last op; in place for elementwise ops whose input dies there; else a dead scratch
    buffer at least as large under every sampled size (the verifier counts the total of all
    cudaMallocs against its scratch budget), else a new scratch buffer."""
    ops = task.ops
    last_use = {}
    for i, o in enumerate(ops):
        for a in o.inputs():
            last_use[id(a)] = i
    samples = size_samples(task)
    bufs = {}         # name -> (numel expr, [tensors living in it])
    n = 0
    for i, o in enumerate(ops):
        o.out.alloc = False
        if i == len(ops) - 1:
            o.out.name = 'out'
        elif (isinstance(o, EwOp) and o.x.kind == 'tmp' and last_use[id(o.x)] == i and o.xmode == 'full'
              and o.out.shape is o.x.shape):
            o.out.name = o.x.name
            bufs[o.x.name][1].append(o.out)
        else:
            need = [py_eval(o.out.numel_expr(), sz) for sz in samples]
            reuse = None
            for name, (expr, ts) in bufs.items():
                dead = all(last_use.get(id(tn), -1) < i for tn in ts)
                if dead and all(py_eval(expr, sz) >= k for sz, k in zip(samples, need)):
                    reuse = name
                    break
            if reuse:
                o.out.name = reuse
                bufs[reuse][1].append(o.out)
            else:
                n += 1
                o.out.name = 't%d' % n
                o.out.alloc = True
                bufs[o.out.name] = (o.out.numel_expr(), [o.out])
        o.out.kind = 'out' if o.out.name == 'out' else 'tmp'


def ew_index(mode, shape, argnames):
    """Index expression of a broadcast operand inside an elementwise kernel, and its launch args."""
    if mode is None or mode == 'full':
        return 'i', []
    if mode == 'scalar':
        return '0', []
    kind = mode[0]
    if kind == 'chan':        # PyTorch (C, 1, 1[, 1]) against (N, C, ...): c = (i / inner) % C
        inner, C = mode[1], mode[2]
        if prod_code(inner) == '1':
            return 'i %% %s' % argnames['C'], [('int', argnames['C'], C.code)]
        return '(i / %s) %% %s' % (argnames['inner'], argnames['C']), \
            [('long', argnames['inner'], prod_code(inner)), ('int', argnames['C'], C.code)]
    if kind == 'div':
        return 'i / %s' % argnames['inner'], [('long', argnames['inner'], prod_code(mode[1]))]
    if kind == 'mod':
        return 'i %% %s' % argnames['M'], [('long', argnames['M'], prod_code(mode[1]))]
    raise ValueError(mode)


def resolve_mode(mode, shape):
    if mode == 'chan':
        return ('chan', shape[2:], shape[1])
    if mode == 'last':
        return ('chan', [], shape[-1])
    return mode


# ------------------------------------------------------------------------------------------------
# CUDA emission of each op (reference and simple solution share everything except heavy ops)
def emit_ew(g, o):
    args = ['const float* x']
    pre = []
    launch = [o.x.name]
    scal = []
    xi, xa = ew_index(resolve_mode(o.xmode, o.out.shape), o.out.shape, {'inner': 'inner', 'M': 'M', 'C': 'C'})
    scal += xa
    if o.p is not None:
        pi, pa = ew_index(resolve_mode(o.pmode, o.out.shape), o.out.shape, {'inner': 'inner', 'C': 'C', 'M': 'M'})
        args.append('const float* p')
        pre.append('float p = p_[%s];' % pi)
        launch.append(o.p.name)
        scal += pa
    if o.r is not None:
        ri, ra = ew_index(resolve_mode(o.rmode, o.out.shape), o.out.shape, {'inner': 'r_inner', 'C': 'r_C', 'M': 'r_M'})
        args.append('const float* r')
        pre.append('float r = r_[%s];' % ri)
        launch.append(o.r.name)
        scal += ra
    seen = {}
    for ty, nm, val in scal:
        if nm in seen and seen[nm] != val:
            raise ValueError('arg clash %s' % nm)
        seen[nm] = (ty, val)
    scal_u = [(nm, seen[nm][0], seen[nm][1]) for nm in dict.fromkeys(n for _, n, _ in scal)]
    args = [a.replace('* p', '* p_').replace('* r', '* r_') for a in args]
    args.append('float* y')
    args.append('long n')
    args += ['%s %s' % (ty, nm) for nm, ty, _ in scal_u]
    body = ['    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;',
            '    if (i >= n) return;',
            '    float v = x[%s];' % xi]
    body += ['    ' + s for s in pre]
    body.append('    y[i] = %s;' % to_cuda(o.expr))
    what = ('x ' + o.desc) if o.desc[0] in '+-*/' else o.desc
    text = '// y = %s, one thread per element\n__global__ void NAME(%s) {\n%s\n}' % (
        what, ', '.join(args), '\n'.join(body))
    name = g.kernel(o.key + '_kernel', text)
    n = o.out.numel_code()
    la = launch + [o.out.name, n] + [val for _, _, val in scal_u]
    g.body.append('    %s<<<(%s + 255) / 256, 256>>>(%s);' % (name, n, ', '.join(la)))


RED_INIT = {'sum': '0.0f', 'mean': '0.0f', 'max': 'xr[0]', 'min': 'xr[0]'}
RED_STEP = {'sum': 'acc += {v};', 'mean': 'acc += {v};', 'max': 'acc = fmaxf(acc, {v});',
            'min': 'acc = fminf(acc, {v});'}
RED_BLOCK = {'sum': 'block_sum', 'mean': 'block_sum', 'max': 'block_max', 'min': 'block_min'}


def emit_reduce(g, o):
    outer, R, inner = prod_code(o.outer), prod_code(o.R), prod_code(o.inner)
    k = o.kind
    if inner == '1':
        if k == 'lse':
            g.need('block_max'); g.need('block_sum')
            body = '''    const float* xr = x + blockIdx.x * R;
    float m = xr[0];
    for (long r = threadIdx.x; r < R; r += blockDim.x) m = fmaxf(m, xr[r]);
    m = block_max(m);
    float s = 0.0f;
    for (long r = threadIdx.x; r < R; r += blockDim.x) s += expf(xr[r] - m);
    s = block_sum(s);
    if (threadIdx.x == 0) y[blockIdx.x] = m + logf(s);'''
        else:
            g.need(RED_BLOCK[k])
            body = '''    const float* xr = x + blockIdx.x * R;
    float acc = %s;
    for (long r = threadIdx.x; r < R; r += blockDim.x) %s
    acc = %s(acc);
    if (threadIdx.x == 0) y[blockIdx.x] = acc%s;''' % (RED_INIT[k], RED_STEP[k].format(v='xr[r]'), RED_BLOCK[k],
                                                       ' / (float)R' if k == 'mean' else '')
        text = ('// y[row] = %s of the R contiguous elements of row `row`: one block per row, warp-shuffle\n'
                '// block reduction\n__global__ void NAME(const float* x, float* y, long R) {\n%s\n}') % (
            {'lse': 'logsumexp'}.get(k, k), body)
        name = g.kernel('%s_rows_kernel' % k, text)
        g.body.append('    %s<<<%s, 256>>>(%s, %s, %s);' % (name, outer, o.x.name, o.out.name, R))
    else:
        if k == 'lse':
            body = '''    float m = xr[0];
    for (long r = 1; r < R; r++) m = fmaxf(m, xr[r * inner]);
    float s = 0.0f;
    for (long r = 0; r < R; r++) s += expf(xr[r * inner] - m);
    y[t] = m + logf(s);'''
        else:
            body = '''    float acc = %s;
    for (long r = 0; r < R; r++) %s
    y[t] = acc%s;''' % (RED_INIT[k], RED_STEP[k].format(v='xr[r * inner]'), ' / (float)R' if k == 'mean' else '')
        text = ('// y[o, j] = %s over r of x[o, r, j]: one thread per output; neighbouring threads read\n'
                '// neighbouring j, so every step of the loop is coalesced\n'
                '__global__ void NAME(const float* x, float* y, long R, long inner, long n) {\n'
                '    long t = blockIdx.x * (long)blockDim.x + threadIdx.x;\n'
                '    if (t >= n) return;\n'
                '    long o = t / inner, j = t - o * inner;\n'
                '    const float* xr = x + o * R * inner + j;\n%s\n}') % ({'lse': 'logsumexp'}.get(k, k), body)
        name = g.kernel('%s_cols_kernel' % k, text)
        n = o.out.numel_code()
        g.body.append('    %s<<<(%s + 255) / 256, 256>>>(%s, %s, %s, %s, %s);' % (
            name, n, o.x.name, o.out.name, R, inner, n))


def emit_softmax(g, o):
    outer, R, inner = prod_code(o.outer), prod_code(o.R), prod_code(o.inner)
    if inner == '1':
        g.need('block_max'); g.need('block_sum')
        text = '''// softmax of each row of R contiguous elements: one block per row; max, sum of exp, write
__global__ void NAME(const float* x, float* y, long R) {
    const float* xr = x + blockIdx.x * R;
    float* yr = y + blockIdx.x * R;
    float m = xr[0];
    for (long r = threadIdx.x; r < R; r += blockDim.x) m = fmaxf(m, xr[r]);
    m = block_max(m);
    float s = 0.0f;
    for (long r = threadIdx.x; r < R; r += blockDim.x) s += expf(xr[r] - m);
    s = block_sum(s);
    float inv = 1.0f / s;
    for (long r = threadIdx.x; r < R; r += blockDim.x) yr[r] = expf(xr[r] - m) * inv;
}'''
        name = g.kernel('softmax_rows_kernel', text)
        g.body.append('    %s<<<%s, 256>>>(%s, %s, %s);' % (name, outer, o.x.name, o.out.name, R))
    else:
        text = '''// softmax over r of x[o, r, j] (a strided dim, e.g. channels): one thread per (o, j), reads
// coalesced across j
__global__ void NAME(const float* x, float* y, long R, long inner, long n) {
    long t = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (t >= n) return;
    long o = t / inner, j = t - o * inner;
    const float* xr = x + o * R * inner + j;
    float* yr = y + o * R * inner + j;
    float m = xr[0];
    for (long r = 1; r < R; r++) m = fmaxf(m, xr[r * inner]);
    float s = 0.0f;
    for (long r = 0; r < R; r++) s += expf(xr[r * inner] - m);
    float inv = 1.0f / s;
    for (long r = 0; r < R; r++) yr[r * inner] = expf(xr[r * inner] - m) * inv;
}'''
        name = g.kernel('softmax_cols_kernel', text)
        n = '%s * %s' % (outer, inner.replace('(long)', ''))
        g.body.append('    %s<<<(%s + 255) / 256, 256>>>(%s, %s, %s, %s, %s);' % (
            name, n, o.x.name, o.out.name, R, inner, n))


def emit_pool(g, o):
    nd = o.nd
    P = prod_code(o.lead)
    sp = ['1'] * (3 - nd) + [d.code for d in o.sp]
    osp = ['1'] * (3 - nd) + [d.code for d in o.outsp]
    ks = ['1'] * (3 - nd) + [str(o.k)] * nd
    if o.kind == 'max':
        init, step, fin = 'xp[0]', 'acc = fmaxf(acc, xp[((long)d * H + h) * W + w]);', 'acc'
    else:
        init, step, fin = '0.0f', 'acc += xp[((long)d * H + h) * W + w];', 'acc / (float)(KD * KH * KW)'
    text = '''// %s pooling, kernel = stride (KD, KH, KW), no padding, floor: one thread per output of
// x [P, D, H, W] -> y [P, Do, Ho, Wo] (2-D and 1-D pools run with the leading spatial sizes 1)
__global__ void NAME(const float* x, float* y, long n, int D, int H, int W, int Do, int Ho, int Wo,
                     int KD, int KH, int KW) {
    long t = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (t >= n) return;
    int ow = (int)(t %% Wo), oh = (int)((t / Wo) %% Ho), od = (int)((t / ((long)Wo * Ho)) %% Do);
    long p = t / ((long)Wo * Ho * Do);
    const float* xp = x + p * D * H * W;
    float acc = %s;
    for (int d = od * KD; d < od * KD + KD; d++)
        for (int h = oh * KH; h < oh * KH + KH; h++)
            for (int w = ow * KW; w < ow * KW + KW; w++)
                %s
    y[t] = %s;
}''' % ({'max': 'Max', 'avg': 'Average'}[o.kind], init.replace('xp[0]', 'xp[((long)od * KD * H + oh * KH) * W + ow * KW]'), step, fin)
    name = g.kernel('%spool_kernel' % o.kind, text)
    n = o.out.numel_code()
    g.body.append('    %s<<<(%s + 255) / 256, 256>>>(%s, %s, %s, %s, %s, %s);' % (
        name, n, o.x.name, o.out.name, n, ', '.join(sp), ', '.join(osp), ', '.join(ks)))


def emit_clone(g, o):
    text = '''// y = x (x.clone(): PyTorch copies)
__global__ void NAME(const float* x, float* y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) y[i] = x[i];
}'''
    name = g.kernel('copy_kernel', text)
    n = o.out.numel_code()
    g.body.append('    %s<<<(%s + 255) / 256, 256>>>(%s, %s, %s);' % (name, n, o.x.name, o.out.name, n))


def emit_batchnorm(g, o):
    sh = o.x.shape
    C = sh[1].code
    N = sh[0].code
    S = prod_code(sh[2:])
    mean, rstd = g.alloc_aux(o, 'mean', C), g.alloc_aux(o, 'rstd', C)
    if S == '1':
        text = '''// Batch statistics of x [B, F] per feature f (training-mode BatchNorm1d): a block holds 32
// features x 8 row groups, so each load of a warp is one coalesced 128-byte row segment; fp64 sums
__global__ void NAME(const float* x, float* mean, float* rstd, int B, int F, float eps) {
    __shared__ double ss[8][32], sq[8][32];
    int f = blockIdx.x * 32 + threadIdx.x;
    double s = 0.0, q = 0.0;
    if (f < F)
        for (int r = threadIdx.y; r < B; r += 8) { double v = x[(long)r * F + f]; s += v; q += v * v; }
    ss[threadIdx.y][threadIdx.x] = s;
    sq[threadIdx.y][threadIdx.x] = q;
    __syncthreads();
    if (threadIdx.y == 0 && f < F) {
        for (int k = 1; k < 8; k++) { s += ss[k][threadIdx.x]; q += sq[k][threadIdx.x]; }
        double m = s / B, var = q / B - m * m;   // biased variance, as BatchNorm normalizes with
        mean[f] = (float)m;
        rstd[f] = (float)(1.0 / sqrt(var + (double)eps));
    }
}'''
        name = g.kernel('bn_stats_kernel', text)
        g.body.append('    %s<<<(%s + 31) / 32, dim3(32, 8)>>>(%s, %s, %s, %s, %s, %sf);' % (
            name, C, o.x.name, mean, rstd, N, C, fnum(o.eps)))
    else:
        g.need('block_sum_d')
        part = g.alloc_aux(o, 'part', '2 * %s * %s' % (N, C), 'double')
        text1 = '''// Partial batch statistics: one block per (n, c) slab of S contiguous elements; fp64 sum and sum of
// squares go to part[c * N + n] and part[(N + c) * N + n] (deterministic: no atomics)
__global__ void NAME(const float* x, double* part, int N, int C, long S) {
    long slab = blockIdx.x;
    const float* xs = x + slab * S;
    double s = 0.0, q = 0.0;
    for (long j = threadIdx.x; j < S; j += blockDim.x) { double v = xs[j]; s += v; q += v * v; }
    s = block_sum_d(s);
    q = block_sum_d(q);
    if (threadIdx.x == 0) {
        int n = (int)(slab / C), c = (int)(slab % C);
        part[(long)c * N + n] = s;
        part[(long)(C + c) * N + n] = q;
    }
}'''
        text2 = '''// Per-channel mean and 1/sqrt(var + eps) from the partials, biased variance (training mode)
__global__ void NAME(const double* part, float* mean, float* rstd, int N, int C, long S, float eps) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= C) return;
    double s = 0.0, q = 0.0;
    for (int n = 0; n < N; n++) { s += part[(long)c * N + n]; q += part[(long)(C + c) * N + n]; }
    double cnt = (double)N * (double)S, m = s / cnt, var = q / cnt - m * m;
    mean[c] = (float)m;
    rstd[c] = (float)(1.0 / sqrt(var + (double)eps));
}'''
        n1 = g.kernel('bn_partial_kernel', text1)
        n2 = g.kernel('bn_finalize_kernel', text2)
        g.body.append('    %s<<<%s * %s, 256>>>(%s, %s, %s, %s, %s);' % (n1, N, C, o.x.name, part, N, C, S))
        g.body.append('    %s<<<(%s + 255) / 256, 256>>>(%s, %s, %s, %s, %s, %s, %sf);' % (
            n2, C, part, mean, rstd, N, C, S, fnum(o.eps)))
    inner = S
    text = '''// y = (x - mean[c]) * rstd[c] * w[c] + b[c], c = (i / inner) %% C
__global__ void NAME(const float* x, const float* mean, const float* rstd, const float* w, const float* b,
                     float* y, long n, long inner, int C) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    int c = (int)((i / inner) %% C);
    y[i] = (x[i] - mean[c]) * rstd[c] * w[c] + b[c];
}'''
    name = g.kernel('bn_apply_kernel', text % ())
    n = o.out.numel_code()
    g.body.append('    %s<<<(%s + 255) / 256, 256>>>(%s, %s, %s, %s, %s, %s, %s, %s, %s);' % (
        name, n, o.x.name, mean, rstd, o.w.name, o.b.name, o.out.name, n, inner, C))


def rownorm_geometry(o):
    sh = o.x.shape
    if o.kind == 'group':
        S = prod_code(sh[2:])
        rows = '%s * %d' % (sh[0].code, o.G)
        M = '(long)(%s / %d) * %s' % (sh[1].code, o.G, S.replace('(long)', '')) if S != '1' else '(%s / %d)' % (sh[1].code, o.G)
        return rows, M, S
    a = getattr(o, 'axis', 2)
    rows = prod_code(sh[:a])
    M = prod_code(sh[a:])
    return rows, M, M


def emit_rownorm(g, o):
    g.need('block_sum_d')
    rows, M, S = rownorm_geometry(o)
    rows_n = rows.replace('(long)', '')
    mean, rstd = g.alloc_aux(o, 'mean', rows_n), g.alloc_aux(o, 'rstd', rows_n)
    text = '''// Mean and 1/sqrt(var + eps) of each row of M contiguous elements (one (sample, group) of
// GroupNorm / one (sample, channel) of InstanceNorm): one block per row, fp64 sums, biased variance
__global__ void NAME(const float* x, float* mean, float* rstd, long M, float eps) {
    const float* xr = x + blockIdx.x * M;
    double s = 0.0, q = 0.0;
    for (long j = threadIdx.x; j < M; j += blockDim.x) { double v = xr[j]; s += v; q += v * v; }
    s = block_sum_d(s);
    q = block_sum_d(q);
    if (threadIdx.x == 0) {
        double m = s / M, var = q / M - m * m;
        mean[blockIdx.x] = (float)m;
        rstd[blockIdx.x] = (float)(1.0 / sqrt(var + (double)eps));
    }
}'''
    n1 = g.kernel('row_stats_kernel', text)
    # groups of a Linear output are short (F/G features): one warp per row, as PyTorch does below 512
    threads = 32 if (o.kind == 'group' and S == '1') else 256
    g.body.append('    %s<<<%s, %d>>>(%s, %s, %s, %s, %sf);' % (n1, rows_n, threads, o.x.name, mean, rstd, M, fnum(o.eps)))
    n = o.out.numel_code()
    if o.kind == 'group':
        text = '''// y = (x - mean[row]) * rstd[row] * w[c] + b[c]; row = i / M (sample, group), c = (i / S) % C
__global__ void NAME(const float* x, const float* mean, const float* rstd, const float* w, const float* b,
                     float* y, long n, long M, long S, int C) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    long row = i / M;
    int c = (int)((i / S) % C);
    y[i] = (x[i] - mean[row]) * rstd[row] * w[c] + b[c];
}'''
        n2 = g.kernel('groupnorm_apply_kernel', text)
        g.body.append('    %s<<<(%s + 255) / 256, 256>>>(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s);' % (
            n2, n, o.x.name, mean, rstd, o.w.name, o.b.name, o.out.name, n, M, S, o.x.shape[1].code))
    else:
        text = '''// y = (x - mean[row]) * rstd[row], row = i / M
__global__ void NAME(const float* x, const float* mean, const float* rstd, float* y, long n, long M) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    long row = i / M;
    y[i] = (x[i] - mean[row]) * rstd[row];
}'''
        n2 = g.kernel('norm_apply_kernel', text)
        g.body.append('    %s<<<(%s + 255) / 256, 256>>>(%s, %s, %s, %s, %s, %s);' % (
            n2, n, o.x.name, mean, rstd, o.out.name, n, M))


def emit_layernorm(g, o):
    g.need('warp_sum')
    L = o.x.shape[-1].code
    text = '''// LayerNorm over the last dim (L elements per row): one warp per row, statistics and output in one
// kernel as PyTorch's layer_norm; two passes over the row (mean, then centered variance)
__global__ void NAME(const float* x, const float* w, const float* b, float* y, long rows, int L, float eps) {
    long row = (blockIdx.x * (long)blockDim.x + threadIdx.x) >> 5;
    int lane = threadIdx.x & 31;
    if (row >= rows) return;              // whole warps leave together
    const float* xr = x + row * L;
    float s = 0.0f;
    for (int j = lane; j < L; j += 32) s += xr[j];
    float mean = warp_sum(s) / L;
    float q = 0.0f;
    for (int j = lane; j < L; j += 32) { float d = xr[j] - mean; q += d * d; }
    float rstd = rsqrtf(warp_sum(q) / L + eps);
    for (int j = lane; j < L; j += 32) y[row * L + j] = (xr[j] - mean) * rstd * w[j] + b[j];
}'''
    name = g.kernel('layernorm_kernel', text)
    rows = prod_code(o.x.shape[:-1])
    g.body.append('    %s<<<(%s * 32 + 255) / 256, 256>>>(%s, %s, %s, %s, %s, %s, %sf);' % (
        name, rows, o.x.name, o.w.name, o.b.name, o.out.name, rows, L, fnum(o.eps)))


# heavy ops: reference (builtins) --------------------------------------------------------------------
def emit_conv_ref(g, o):
    nd = o.nd
    sp = ', '.join(d.code for d in o.sp)
    lst = lambda v: '{' + ', '.join([str(v)] * nd) + '}'
    g.body.append('    kgrl_conv(%d, %d, %s, %s, %s, {%s}, %s, %s, %s, %s, %s, 1, %s, %s, %s, %s);' % (
        nd, 1 if o.transposed else 0, o.x.shape[0].code, o.x.shape[1].code, o.cout.code, sp,
        lst(o.k), lst(o.s), lst(o.p), lst(1), lst(o.op), o.x.name, o.w.name, o.b.name if o.b else 'NULL', o.out.name))


def emit_linear_ref(g, o):
    M, K, F = o.x.shape[0].code, o.x.shape[1].code, o.nout.code
    if o.b is not None:
        text = '''// y[m, f] = b[f]: the bias broadcast into the output, which the GEMM then accumulates into
// (beta = 1), as addmm does
__global__ void NAME(const float* b, float* y, long n, int F) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) y[i] = b[i % F];
}'''
        name = g.kernel('bias_rows_kernel', text)
        n = o.out.numel_code()
        g.body.append('    %s<<<(%s + 255) / 256, 256>>>(%s, %s, %s, %s);' % (name, n, o.b.name, o.out.name, n, F))
        g.body.append('    kgrl_gemm(0, 1, %s, %s, %s, 1.0f, %s, %s, %s, %s, 1.0f, %s, %s);' % (
            M, F, K, o.x.name, K, o.w.name, K, o.out.name, F))
    else:
        g.body.append('    kgrl_gemm(0, 1, %s, %s, %s, 1.0f, %s, %s, %s, %s, 0.0f, %s, %s);' % (
            M, F, K, o.x.name, K, o.w.name, K, o.out.name, F))


# heavy ops: simple solution (no builtins) ----------------------------------------------------------
def emit_conv_simple(g, o):
    nd = o.nd
    sp = ['1'] * (3 - nd) + [d.code for d in o.sp]
    osp = ['1'] * (3 - nd) + [d.code for d in o.outsp]
    kd, sd, pd = ('1', '1', '0') if nd == 2 else (str(o.k), str(o.s), str(o.p))
    hasb = o.b is not None
    if not o.transposed:
        text = '''// Direct convolution, one thread per output y[n, co, od, oh, ow] (2-D convs run with depth 1):
// y = b[co] + sum over ci, kd, kh, kw of x[n, ci, od*sd-pd+kd, oh*s-p+kh, ow*s-p+kw] * w[co, ci, kd, kh, kw]
__global__ void NAME(const float* x, const float* w, BIASARG float* y, int N, int Cin, int D, int H, int W,
                     int Cout, int Do, int Ho, int Wo, int KD, int K, int sd, int s, int pd, int p) {
    long t = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (t >= (long)N * Cout * Do * Ho * Wo) return;
    int ow = (int)(t % Wo), oh = (int)((t / Wo) % Ho), od = (int)((t / ((long)Wo * Ho)) % Do);
    int co = (int)((t / ((long)Wo * Ho * Do)) % Cout), n = (int)(t / ((long)Wo * Ho * Do * Cout));
    float acc = BIASINIT;
    for (int ci = 0; ci < Cin; ci++)
        for (int a = 0; a < KD; a++) {
            int id = od * sd - pd + a;
            if (id < 0 || id >= D) continue;
            for (int kh = 0; kh < K; kh++) {
                int ih = oh * s - p + kh;
                if (ih < 0 || ih >= H) continue;
                for (int kw = 0; kw < K; kw++) {
                    int iw = ow * s - p + kw;
                    if (iw < 0 || iw >= W) continue;
                    acc += x[(((long)n * Cin + ci) * D + id) * H * W + (long)ih * W + iw] *
                           w[(((long)co * Cin + ci) * KD + a) * K * K + kh * K + kw];
                }
            }
        }
    y[t] = acc;
}'''
        name = 'conv_direct_kernel'
    else:
        text = '''// Transposed convolution as a gather, one thread per output y[n, co, od, oh, ow] (2-D runs with depth 1):
// input position i contributes to output i*s - p + k, so for each kernel tap k the source is
// (o + p - k) / s when that divides exactly and lies inside the input; w is [Cin, Cout, KD, K, K]
__global__ void NAME(const float* x, const float* w, BIASARG float* y, int N, int Cin, int D, int H, int W,
                     int Cout, int Do, int Ho, int Wo, int KD, int K, int sd, int s, int pd, int p) {
    long t = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (t >= (long)N * Cout * Do * Ho * Wo) return;
    int ow = (int)(t % Wo), oh = (int)((t / Wo) % Ho), od = (int)((t / ((long)Wo * Ho)) % Do);
    int co = (int)((t / ((long)Wo * Ho * Do)) % Cout), n = (int)(t / ((long)Wo * Ho * Do * Cout));
    float acc = BIASINIT;
    for (int ci = 0; ci < Cin; ci++)
        for (int a = 0; a < KD; a++) {
            int td = od + pd - a;
            if (td < 0 || td % sd != 0 || td / sd >= D) continue;
            for (int kh = 0; kh < K; kh++) {
                int th = oh + p - kh;
                if (th < 0 || th % s != 0 || th / s >= H) continue;
                for (int kw = 0; kw < K; kw++) {
                    int tw = ow + p - kw;
                    if (tw < 0 || tw % s != 0 || tw / s >= W) continue;
                    acc += x[(((long)n * Cin + ci) * D + td / sd) * H * W + (long)(th / s) * W + tw / s] *
                           w[(((long)ci * Cout + co) * KD + a) * K * K + kh * K + kw];
                }
            }
        }
    y[t] = acc;
}'''
        name = 'conv_transpose_direct_kernel'
    text = text.replace('BIASARG ', 'const float* b, ' if hasb else '').replace('BIASINIT', 'b[co]' if hasb else '0.0f')
    name = g.kernel(name, text)
    n = o.out.numel_code()
    args = [o.x.name, o.w.name] + ([o.b.name] if hasb else []) + [o.out.name, o.x.shape[0].code, o.x.shape[1].code] + \
        sp + [o.cout.code] + osp + [kd, str(o.k), sd, str(o.s), pd, str(o.p)]
    g.body.append('    %s<<<(%s + 255) / 256, 256>>>(%s);' % (name, n, ', '.join(args)))


def emit_linear_simple(g, o):
    M, K, F = o.x.shape[0].code, o.x.shape[1].code, o.nout.code
    hasb = o.b is not None
    text = '''// y = x @ w^T%s with x [M, K], w [F, K]: 16x16 output tiles, the K loop staged through shared memory
// (w's tile is stored transposed with one column of padding, so the inner loop has no bank conflicts)
__global__ void NAME(const float* x, const float* w, %sfloat* y, int M, int F, int K) {
    __shared__ float xs[16][16], ws[16][17];
    int tx = threadIdx.x, ty = threadIdx.y;
    int m = blockIdx.y * 16 + ty, f = blockIdx.x * 16 + tx;
    int wrow = blockIdx.x * 16 + ty;      // the w row this thread stages
    float acc = 0.0f;
    for (int k0 = 0; k0 < K; k0 += 16) {
        xs[ty][tx] = (m < M && k0 + tx < K) ? x[(long)m * K + k0 + tx] : 0.0f;
        ws[ty][tx] = (wrow < F && k0 + tx < K) ? w[(long)wrow * K + k0 + tx] : 0.0f;
        __syncthreads();
        for (int k = 0; k < 16; k++) acc += xs[ty][k] * ws[tx][k];
        __syncthreads();
    }
    if (m < M && f < F) y[(long)m * F + f] = acc%s;
}''' % (' + b' if hasb else '', 'const float* b, ' if hasb else '', ' + b[f]' if hasb else '')
    name = g.kernel('linear_tiled_kernel' if hasb else 'matmul_tiled_kernel', text)
    args = [o.x.name, o.w.name] + ([o.b.name] if hasb else []) + [o.out.name, M, F, K]
    g.body.append('    %s<<<dim3((%s + 15) / 16, (%s + 15) / 16), dim3(16, 16)>>>(%s);' % (name, F, M, ', '.join(args)))


def gen_alloc_aux(self, o, what, count, ty='float'):
    name = '%s%d' % (what, self.t.ops.index(o) + 1)
    self.body.append('    %s* %s;' % (ty, name))
    self.body.append('    cudaMalloc(&%s, %s * sizeof(%s));' % (name, count, ty))
    self.scratch.append(name)
    return name


Gen.alloc_aux = gen_alloc_aux

EMIT = {EwOp: emit_ew, ReduceOp: emit_reduce, SoftmaxOp: emit_softmax, PoolOp: emit_pool,
        CloneOp: emit_clone, BatchNormOp: emit_batchnorm, RowNormOp: emit_rownorm, LayerNormOp: emit_layernorm}


def op_comment(o):
    return o.comment


def wrap_comment(text, width=100):
    words = ' '.join(l[3:] for l in text.strip().split('\n')).split()
    lines, cur = [], '//'
    for w in words:
        if len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = '//'
        cur += ' ' + w
    lines.append(cur)
    return '\n'.join(lines) + '\n'


def gen_cuda(task, mode):
    """reference.cu (mode 'ref') or solution_simple.cu (mode 'simple')."""
    g = Gen(task, mode)
    assign_buffers(task)
    for name, code in task.locals:
        g.body.append('    int %s = %s;' % (name, code))
    allocated = set()
    nvars = {}
    for o in task.ops:
        start = len(g.body)
        if o.out.alloc:
            g.body.append('    float* %s;' % o.out.name)
            g.body.append('    cudaMalloc(&%s, %s * sizeof(float));' % (o.out.name, o.out.numel_code()))
            g.scratch.append(o.out.name)
        if isinstance(o, ConvOp):
            (emit_conv_ref if mode == 'ref' else emit_conv_simple)(g, o)
        elif isinstance(o, LinearOp):
            (emit_linear_ref if mode == 'ref' else emit_linear_simple)(g, o)
        else:
            EMIT[type(o)](g, o)
        # element counts used more than once get a local: `long n1 = (long)N * C * H * W;`
        lines = g.body[start:]
        decl = []
        for tn in sorted([o.out] + o.inputs(), key=lambda q: -len(q.numel_code())):
            e = tn.numel_code()
            if '*' not in e or not any(e in ln for ln in lines):
                continue
            if e not in nvars:
                nvars[e] = 'n%d' % (len(nvars) + 1)
                decl.append('    long %s = %s;' % (nvars[e], e))
            lines = [ln.replace(e, nvars[e]) for ln in lines]
        g.body[start:] = ['    // %s' % op_comment(o)] + decl + lines
    for s in g.scratch:
        g.body.append('    cudaFree(%s);' % s)
    head = {'ref': '// Reference for L2/%d %s: what PyTorch eager runs. The %s, then one kernel per following\n'
                   '// PyTorch op (eager does not fuse).\n',
            'simple': '// Simple solution for L2/%d %s: a %s kernel instead of the library call, then one\n'
                      '// straightforward kernel per op of the chain. Correct, not fast.\n'}[mode]
    heavy = [o for o in task.ops if o.heavy][0]
    if mode == 'ref':
        what = 'convolution runs in cuDNN through kgrl_conv (%s)' % (
            'with its bias, as the module does' if heavy.b is not None else 'bias=False in the module') \
            if isinstance(heavy, ConvOp) else 'GEMM runs in cuBLAS through kgrl_gemm (fp32, no TF32)'
    else:
        what = 'direct convolution' if isinstance(heavy, ConvOp) else '16x16 shared-memory tiled GEMM'
    out = [wrap_comment(head % (task.num, task.name, what))]
    for h in g.helpers:
        out.append(HELPERS[h] + '\n')
    for _, k in g.kernels:
        out.append(k + '\n')
    out.append('%s {\n%s\n}\n' % (task.signature(), '\n'.join(g.body)))
    return '\n'.join(out)


# ------------------------------------------------------------------------------------------------
# CPU reference: everything in fp64 (inputs converted once), plain loops, written independently of
# the CUDA templates above.
def cpu_ew(o, xs, ys):
    L = []
    decl = ['const long n = %s;' % o.out.numel_code()]

    def idx(mode, base):
        m = resolve_mode(mode, o.out.shape)
        if m is None or m == 'full':
            return 'i'
        if m == 'scalar':
            return '0'
        if m[0] == 'chan':
            inner = prod_code(m[1])
            return '(i / (%s)) %% %s' % (inner, m[2].code) if inner != '1' else 'i %% %s' % m[2].code
        if m[0] == 'div':
            return 'i / (%s)' % prod_code(m[1])
        if m[0] == 'mod':
            return 'i %% (%s)' % prod_code(m[1])
        raise ValueError(m)
    body = ['double v = %s[%s];' % (xs[o.x], idx(o.xmode, o.x))]
    if o.p is not None:
        body.append('double p = %s[%s];' % (xs[o.p], idx(o.pmode, o.p)))
    if o.r is not None:
        body.append('double r = %s[%s];' % (xs[o.r], idx(o.rmode, o.r)))
    body.append('%s[i] = %s;' % (ys, o.expr))
    L.append(decl[0])
    L.append('for (long i = 0; i < n; i++) {')
    L += ['    ' + b for b in body]
    L.append('}')
    return L


def cpu_reduce(o, xs, ys):
    L = ['const long outer = %s, R = %s, inner = %s;' % (prod_code(o.outer), prod_code(o.R), prod_code(o.inner)),
         'for (long a = 0; a < outer; a++)',
         '    for (long j = 0; j < inner; j++) {',
         '        const double* xr = %s + a * R * inner + j;' % xs[o.x]]
    k = o.kind
    if k == 'lse':
        L += ['        double m = xr[0], s = 0.0;',
              '        for (long r = 1; r < R; r++) if (xr[r * inner] > m) m = xr[r * inner];',
              '        for (long r = 0; r < R; r++) s += exp(xr[r * inner] - m);',
              '        %s[a * inner + j] = m + log(s);' % ys]
    else:
        init = '0.0' if k in ('sum', 'mean') else 'xr[0]'
        step = {'sum': 'acc += xr[r * inner];', 'mean': 'acc += xr[r * inner];',
                'max': 'if (xr[r * inner] > acc) acc = xr[r * inner];',
                'min': 'if (xr[r * inner] < acc) acc = xr[r * inner];'}[k]
        L += ['        double acc = %s;' % init,
              '        for (long r = 0; r < R; r++) %s' % step,
              '        %s[a * inner + j] = acc%s;' % (ys, ' / R' if k == 'mean' else '')]
    L.append('    }')
    return L


def cpu_softmax(o, xs, ys):
    return ['const long outer = %s, R = %s, inner = %s;' % (prod_code(o.outer), prod_code(o.R), prod_code(o.inner)),
            'for (long a = 0; a < outer; a++)',
            '    for (long j = 0; j < inner; j++) {',
            '        const double* xr = %s + a * R * inner + j;' % xs[o.x],
            '        double* yr = %s + a * R * inner + j;' % ys,
            '        double m = xr[0], s = 0.0;',
            '        for (long r = 1; r < R; r++) if (xr[r * inner] > m) m = xr[r * inner];',
            '        for (long r = 0; r < R; r++) s += exp(xr[r * inner] - m);',
            '        for (long r = 0; r < R; r++) yr[r * inner] = exp(xr[r * inner] - m) / s;',
            '    }']


def cpu_pool(o, xs, ys):
    nd = o.nd
    sp = ['1'] * (3 - nd) + [d.code for d in o.sp]
    osp = ['1'] * (3 - nd) + [d.code for d in o.outsp]
    kk = ['1'] * (3 - nd) + [str(o.k)] * nd
    L = ['const long P = %s;' % prod_code(o.lead),
         'const int D = %s, H = %s, W = %s, Do = %s, Ho = %s, Wo = %s;' % tuple(sp + osp),
         'const int KD = %s, KH = %s, KW = %s;' % tuple(kk),
         'for (long q = 0; q < P; q++)',
         '    for (int od = 0; od < Do; od++)',
         '        for (int oh = 0; oh < Ho; oh++)',
         '            for (int ow = 0; ow < Wo; ow++) {',
         '                double acc = %s, cnt = 0.0;' % ('-INFINITY' if o.kind == 'max' else '0.0'),
         '                for (int d = 0; d < KD; d++)',
         '                    for (int h = 0; h < KH; h++)',
         '                        for (int w = 0; w < KW; w++) {',
         '                            double v = %s[((q * D + od * KD + d) * H + oh * KH + h) * W + ow * KW + w];' % xs[o.x],
         '                            %s' % ('if (v > acc) acc = v;' if o.kind == 'max' else 'acc += v;'),
         '                            cnt += 1.0;',
         '                        }',
         '                %s[((q * Do + od) * Ho + oh) * Wo + ow] = %s;' % (ys, 'acc' if o.kind == 'max' else 'acc / cnt'),
         '            }']
    return L


def cpu_batchnorm(o, xs, ys):
    sh = o.x.shape
    return ['const int N = %s, C = %s;' % (sh[0].code, sh[1].code),
            'const long S = %s;' % prod_code(sh[2:]),
            'for (int c = 0; c < C; c++) {',
            '    double m = 0.0, var = 0.0;',
            '    for (int n = 0; n < N; n++) for (long j = 0; j < S; j++) m += %s[((long)n * C + c) * S + j];' % xs[o.x],
            '    m /= (double)N * S;',
            '    for (int n = 0; n < N; n++) for (long j = 0; j < S; j++) {',
            '        double d = %s[((long)n * C + c) * S + j] - m;' % xs[o.x],
            '        var += d * d;',
            '    }',
            '    var /= (double)N * S;   // biased: training-mode BatchNorm normalizes with it',
            '    for (int n = 0; n < N; n++) for (long j = 0; j < S; j++) {',
            '        long i = ((long)n * C + c) * S + j;',
            '        %s[i] = (%s[i] - m) / sqrt(var + %s) * %s[c] + %s[c];' % (ys, xs[o.x], fnum(o.eps), xs[o.w], xs[o.b]),
            '    }',
            '}']


def cpu_rownorm(o, xs, ys):
    sh = o.x.shape
    if o.kind == 'group':
        return ['const int N = %s, C = %s, G = %d;' % (sh[0].code, sh[1].code, o.G),
                'const long S = %s, M = (long)(C / G) * S;   // one group: C/G channels x S' % prod_code(sh[2:]),
                'for (long row = 0; row < (long)N * G; row++) {',
                '    const double* xr = %s + row * M;' % xs[o.x],
                '    double m = 0.0, var = 0.0;',
                '    for (long j = 0; j < M; j++) m += xr[j];',
                '    m /= M;',
                '    for (long j = 0; j < M; j++) var += (xr[j] - m) * (xr[j] - m);',
                '    var /= M;',
                '    for (long j = 0; j < M; j++) {',
                '        int c = (int)((row % G) * (C / G) + j / S);',
                '        %s[row * M + j] = (xr[j] - m) / sqrt(var + %s) * %s[c] + %s[c];' % (ys, fnum(o.eps), xs[o.w], xs[o.b]),
                '    }',
                '}']
    a = getattr(o, 'axis', 2)
    return ['const long rows = %s, M = %s;' % (prod_code(sh[:a]), prod_code(sh[a:])),
            'for (long row = 0; row < rows; row++) {',
            '    const double* xr = %s + row * M;' % xs[o.x],
            '    double m = 0.0, var = 0.0;',
            '    for (long j = 0; j < M; j++) m += xr[j];',
            '    m /= M;',
            '    for (long j = 0; j < M; j++) var += (xr[j] - m) * (xr[j] - m);',
            '    var /= M;',
            '    for (long j = 0; j < M; j++) %s[row * M + j] = (xr[j] - m) / sqrt(var + %s);' % (ys, fnum(o.eps)),
            '}']


def cpu_layernorm(o, xs, ys):
    sh = o.x.shape
    return ['const long rows = %s;' % prod_code(sh[:-1]),
            'const int L = %s;' % sh[-1].code,
            'for (long row = 0; row < rows; row++) {',
            '    const double* xr = %s + row * L;' % xs[o.x],
            '    double m = 0.0, var = 0.0;',
            '    for (int j = 0; j < L; j++) m += xr[j];',
            '    m /= L;',
            '    for (int j = 0; j < L; j++) var += (xr[j] - m) * (xr[j] - m);',
            '    var /= L;',
            '    for (int j = 0; j < L; j++) %s[row * L + j] = (xr[j] - m) / sqrt(var + %s) * %s[j] + %s[j];' % (
                ys, fnum(o.eps), xs[o.w], xs[o.b]),
            '}']


def cpu_clone(o, xs, ys):
    return ['for (long i = 0; i < %s; i++) %s[i] = %s[i];' % (o.out.numel_code(), ys, xs[o.x])]


def cpu_conv(o, xs, ys, fn):
    nd = o.nd
    sp = ['1'] * (3 - nd) + [d.code for d in o.sp]
    osp = ['1'] * (3 - nd) + [d.code for d in o.outsp]
    kd, sd, pd = ('1', '1', '0') if nd == 2 else (str(o.k), str(o.s), str(o.p))
    return ['%s(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s);' % (
        fn, xs[o.x], xs[o.w], xs[o.b] if o.b is not None else 'NULL', ys, o.x.shape[0].code, o.x.shape[1].code,
        o.cout.code, ', '.join(sp), ', '.join(osp), kd, str(o.k), '%s, %d' % (sd, o.s), '%s, %d' % (pd, o.p))]


def cpu_linear(o, xs, ys, fn):
    return ['%s(%s, %s, %s, %s, %s, %s, %s);' % (fn, xs[o.x], xs[o.w], xs[o.b] if o.b is not None else 'NULL', ys,
                                                 o.x.shape[0].code, o.nout.code, o.x.shape[1].code)]


CPU_CONV = '''// y[n, co, od, oh, ow] = b[co] + sum over ci, kd, kh, kw of x[n, ci, od*sd-pd+kd, oh*s-p+kh, ow*s-p+kw] *
// w[co, ci, kd, kh, kw] (2-D: depth 1 with KD = 1, sd = 1, pd = 0)
static void FN(const double* x, const double* w, const double* b, double* y, int N, int Cin, int Cout,
               int D, int H, int W, int Do, int Ho, int Wo, int KD, int K, int sd, int s, int pd, int p) {
    for (int n = 0; n < N; n++)
        for (int co = 0; co < Cout; co++)
            for (int od = 0; od < Do; od++)
                for (int oh = 0; oh < Ho; oh++)
                    for (int ow = 0; ow < Wo; ow++) {
                        double acc = b ? b[co] : 0.0;
                        for (int ci = 0; ci < Cin; ci++)
                            for (int a = 0; a < KD; a++)
                                for (int kh = 0; kh < K; kh++)
                                    for (int kw = 0; kw < K; kw++) {
                                        int id = od * sd - pd + a, ih = oh * s - p + kh, iw = ow * s - p + kw;
                                        if (id < 0 || id >= D || ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                        acc += x[(((long)n * Cin + ci) * D + id) * H * W + (long)ih * W + iw] *
                                               w[(((long)co * Cin + ci) * KD + a) * K * K + kh * K + kw];
                                    }
                        y[(((long)n * Cout + co) * Do + od) * Ho * Wo + (long)oh * Wo + ow] = acc;
                    }
}
'''

CPU_CONVT = '''// Transposed convolution by scattering: input x[n, ci, i] adds x * w[ci, co, k] to output
// y[n, co, i*s - p + k] (per spatial dim; 2-D: depth 1 with KD = 1, sd = 1, pd = 0); w is [Cin, Cout, ...]
static void FN(const double* x, const double* w, const double* b, double* y, int N, int Cin, int Cout,
               int D, int H, int W, int Do, int Ho, int Wo, int KD, int K, int sd, int s, int pd, int p) {
    const long plane = (long)Do * Ho * Wo;
    for (int n = 0; n < N; n++)
        for (int co = 0; co < Cout; co++)
            for (long j = 0; j < plane; j++) y[((long)n * Cout + co) * plane + j] = b ? b[co] : 0.0;
    for (int n = 0; n < N; n++)
        for (int ci = 0; ci < Cin; ci++)
            for (int id = 0; id < D; id++)
                for (int ih = 0; ih < H; ih++)
                    for (int iw = 0; iw < W; iw++) {
                        double v = x[(((long)n * Cin + ci) * D + id) * H * W + (long)ih * W + iw];
                        for (int co = 0; co < Cout; co++)
                            for (int a = 0; a < KD; a++)
                                for (int kh = 0; kh < K; kh++)
                                    for (int kw = 0; kw < K; kw++) {
                                        int od = id * sd - pd + a, oh = ih * s - p + kh, ow = iw * s - p + kw;
                                        if (od < 0 || od >= Do || oh < 0 || oh >= Ho || ow < 0 || ow >= Wo) continue;
                                        y[(((long)n * Cout + co) * Do + od) * Ho * Wo + (long)oh * Wo + ow] +=
                                            v * w[(((long)ci * Cout + co) * KD + a) * K * K + kh * K + kw];
                                    }
                    }
}
'''

CPU_LINEAR = '''// y[m, f] = b[f] + sum over k of x[m, k] * w[f, k]   (x [M, K], w [F, K], b may be NULL)
static void FN(const double* x, const double* w, const double* b, double* y, int M, int F, int K) {
    for (int m = 0; m < M; m++)
        for (int f = 0; f < F; f++) {
            double acc = b ? b[f] : 0.0;
            for (int k = 0; k < K; k++) acc += x[(long)m * K + k] * w[(long)f * K + k];
            y[(long)m * F + f] = acc;
        }
}
'''

CPU_EMIT = {EwOp: cpu_ew, ReduceOp: cpu_reduce, SoftmaxOp: cpu_softmax, PoolOp: cpu_pool, BatchNormOp: cpu_batchnorm,
            RowNormOp: cpu_rownorm, LayerNormOp: cpu_layernorm, CloneOp: cpu_clone}


def gen_cpu(task):
    pre = 'cpu_L2_%03d' % task.num
    fn_main = 'cpu_ref_L2_%03d' % task.num
    helpers = []
    L = []
    # param indices: inputs, out, sizes
    ninp = len(task.params)
    for k, (name, tn, dist, extra) in enumerate(task.params):
        pass
    for k, (name, main, smoke, free, extra) in enumerate(task.sizes):
        L.append('const int %s = (int)io->ival[%d];' % (name, ninp + 1 + k))
    for name, code in task.locals:
        L.append('const int %s = %s;' % (name, code))
    xs = {}
    for k, (name, tn, dist, extra) in enumerate(task.params):
        L.append('double* %s = %s_load((const float*)io->ptr[%d], %s);' % (name, pre, k, tn.numel_code()))
        xs[tn] = name
    frees = [name for name, _, _, _ in task.params]
    for i, o in enumerate(task.ops):
        ys = 'y%d' % (i + 1)
        xs[o.out] = ys
        frees.append(ys)
        L.append('')
        L.append('// %s' % op_comment(o))
        L.append('double* %s = (double*)kgrl_malloc((size_t)(%s) * sizeof(double));' % (ys, o.out.numel_code()))
        if isinstance(o, ConvOp):
            fn = pre + ('_conv_transpose' if o.transposed else '_conv')
            if fn not in [h[0] for h in helpers]:
                helpers.append((fn, (CPU_CONVT if o.transposed else CPU_CONV).replace('FN', fn)))
            L += cpu_conv(o, xs, ys, fn)
        elif isinstance(o, LinearOp):
            fn = pre + '_linear'
            if fn not in [h[0] for h in helpers]:
                helpers.append((fn, CPU_LINEAR.replace('FN', fn)))
            L += cpu_linear(o, xs, ys, fn)
        else:
            L.append('{')
            L += ['    ' + s for s in CPU_EMIT[type(o)](o, xs, ys)]
            L.append('}')
    last = 'y%d' % len(task.ops)
    L.append('')
    L.append('float* out = (float*)io->ptr[%d];' % ninp)
    L.append('for (long i = 0; i < %s; i++) out[i] = (float)%s[i];' % (task.ops[-1].out.numel_code(), last))
    for f in frees:
        L.append('kgrl_free(%s);' % f)
    load = '''// fp64 copy of an input tensor (the whole chain runs in fp64)
static double* %s_load(const float* src, long n) {
    double* d = (double*)kgrl_malloc((size_t)n * sizeof(double));
    for (long i = 0; i < n; i++) d[i] = src[i];
    return d;
}
''' % pre
    out = [wrap_comment('// CPU reference for L2/%d %s: plain loops, every intermediate in fp64. The oracle '
                        'for reference.cu at smoke sizes; written independently of the CUDA kernels.' % (task.num, task.name)),
           load]
    out += [h[1] for h in helpers]
    body = '\n'.join(('    ' + s) if s else '' for s in L)
    out.append('static void %s(const kgrl_task_io *io) {\n%s\n}\n' % (fn_main, body))
    return '\n'.join(out)


# ------------------------------------------------------------------------------------------------
# task.json, sizes, scaling
def task_signature(self):
    parts = ['const float* %s' % n for n, _, _, _ in self.params] + ['float* out'] + \
        ['int %s' % s[0] for s in self.sizes]
    return 'void forward(%s)' % ', '.join(parts)


Task.signature = task_signature


def all_tensors(task):
    ts = [tn for _, tn, _, _ in task.params]
    for o in task.ops:
        ts.append(o.out)
    return ts


def shapes_ok(task, sizes):
    for tn in all_tensors(task):
        for d in tn.shape:
            if py_eval(d.expr, sizes) < 1:
                return False
    for nm, code in task.locals:
        pass
    return True


def heavy_flops_expr(o):
    kk = '*'.join([str(o.k)] * o.nd) if isinstance(o, ConvOp) else ''
    if isinstance(o, ConvOp):
        if o.transposed:
            return '2*%s*%s*%s*%s*%s' % (paren(o.x.shape[0].expr), paren(o.x.shape[1].expr), prod_expr(o.sp),
                                         paren(o.cout.expr), kk)
        return '2*%s*%s*%s*%s*%s' % (paren(o.x.shape[0].expr), paren(o.cout.expr), prod_expr(o.outsp),
                                     paren(o.x.shape[1].expr), kk)
    return '2*%s*%s*%s' % (paren(o.x.shape[0].expr), paren(o.nout.expr), paren(o.x.shape[1].expr))


def costs(task):
    ins = [tn.numel_expr() for _, tn, _, _ in task.params]
    outn = task.ops[-1].out.numel_expr()
    min_bytes = '4*(%s)' % '+'.join(ins + [outn])
    fl = []
    for o in task.ops:
        if o.heavy:
            fl.append(heavy_flops_expr(o))
        else:
            fl.append(o.x.numel_expr())
    return min_bytes, '+'.join(fl)


def est_seconds(task, sizes):
    t = 0.0
    for o in task.ops:
        if o.heavy:
            t += py_eval(heavy_flops_expr(o), sizes) / EST_FLOPS
        byt = sum(py_eval(a.numel_expr(), sizes) for a in o.inputs()) + py_eval(o.out.numel_expr(), sizes)
        t += 4 * byt / EST_BW
    return t


def input_bytes(task, sizes):
    return 4 * sum(py_eval(tn.numel_expr(), sizes) for _, tn, _, _ in task.params)


def choose_main(task):
    """KernelBench main sizes, with the batch halved until inputs <= ~1 GB and the estimated
    reference time <= 5 ms. Returns (sizes, scaled-note or None)."""
    sizes = {s[0]: s[1] for s in task.sizes}
    kb = dict(sizes)
    sizes.update(task.main_override)
    first = task.sizes[0][0]
    while (input_bytes(task, sizes) > MAX_INPUT_BYTES or est_seconds(task, sizes) > MAX_EST_S) and sizes[first] > 1:
        sizes[first] //= 2
    changed = ['%s %d -> %d' % (k, kb[k], sizes[k]) for k in kb if kb[k] != sizes[k]]
    note = None
    if changed:
        note = '%s: KernelBench main is %.2f GB of inputs and ~%.1f ms estimated on an H100; scaled to %.2f GB, ~%.1f ms' % (
            ', '.join(changed), input_bytes(task, kb) / 1e9, est_seconds(task, kb) * 1e3,
            input_bytes(task, sizes) / 1e9, est_seconds(task, sizes) * 1e3)
        if task.scale_reason:
            note += '; ' + task.scale_reason
    return sizes, note


def min_for(task, name, sizes):
    s = dict(sizes)
    for v in range(1, 4096):
        s[name] = v
        if shapes_ok(task, s):
            return v
    raise ValueError('no min for %s' % name)


def task_json(task, tsvrow, hand):
    main, scaled = choose_main(task)
    smoke = {s[0]: s[2] for s in task.sizes}
    if not shapes_ok(task, smoke):
        raise ValueError('L2/%d: smoke sizes give an empty tensor' % task.num)
    params = []
    for name, tn, dist, extra in task.params:
        p = {'name': name, 'kind': 'input', 'dtype': 'f32', 'shape': [d.expr for d in tn.shape], 'dist': dist}
        p.update(extra)
        params.append(p)
    params.append({'name': 'out', 'kind': 'output', 'dtype': 'f32', 'shape': [d.expr for d in task.ops[-1].out.shape]})
    for name, mv, sm, free, extra in task.sizes:
        p = {'name': name, 'kind': 'size', 'value': main[name], 'smoke': sm, 'free': free}
        if free:
            mn = min_for(task, name, main)
            if mn > 1:
                p['min'] = mn
        p.update(extra)
        params.append(p)
    min_bytes, flops = costs(task)
    atol, rtol, reason = task.tol or (1e-4, 1e-4, 'KernelBench main fp32 default')
    sols = [{'file': 'solution_simple.cu', 'kind': 'simple'}]
    wrong = []
    d = task.dir
    for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        h = hand.get((task.num, f))
        if f.startswith('solution_') and f != 'solution_simple.cu':
            if h is None:
                raise ValueError('L2/%d: %s has no entry in HAND' % (task.num, f))
            sols.append({'file': f, 'kind': f[len('solution_'):-3], 'why': h})
        elif f.startswith('wrong_'):
            if h is None:
                raise ValueError('L2/%d: %s has no entry in HAND' % (task.num, f))
            wrong.append({'file': f, 'expect': h[0], 'why': h[1]})
    j = {
        'id': 'L2/%d' % task.num, 'level': 2, 'number': task.num, 'name': task.name,
        'description': task.description(),
        'signature': task.signature(),
        'params': params,
        'tolerance': {'atol': atol, 'rtol': rtol, 'reason': reason},
        'min_bytes': min_bytes, 'flops': flops,
        'kernelbench': {'inputs_main': tsvrow[4], 'init_params_main': tsvrow[5]},
        'scaled': scaled,
        'excluded': task.excluded,
        'notes': ' '.join(n.rstrip('.') + '.' for n in task.notes),
        'solutions': sols,
        'wrong': wrong,
    }
    return j, main


def task_description(self):
    ins = ', '.join('%s %s' % (n, '[' + ', '.join(d.code for d in tn.shape) + ']') for n, tn, _, _ in self.params)
    chain = '; '.join(self.desc)
    outs = '[' + ', '.join(d.expr for d in self.ops[-1].out.shape) + ']'
    s = 'KernelBench L2/%d %s. Inputs (fp32, contiguous, row-major): %s. Computes, in order: %s. ' \
        'Output out %s.' % (self.num, self.name, ins, chain, outs)
    if self.extra_desc:
        s += ' ' + ' '.join(self.extra_desc)
    return s


Task.description = task_description


# ------------------------------------------------------------------------------------------------
# The problems. Each spec restates KernelBench's Model.forward with the templates above; sizes are
# KernelBench main (get_inputs / get_init_inputs); choose_main() scales them.
def conv_in(t, nd, N, Cin, Cout, sp, cout_smoke=5, sp_smoke=None, free_sp=True, xdist='rand'):
    n = t.size('batch_size', N, 2, True)
    ci = t.size('in_channels', Cin, 3)
    co = t.size('out_channels', Cout, cout_smoke)
    names = ['depth', 'height', 'width'][3 - nd:]
    if sp_smoke is None:
        sp_smoke = (7, 9) if nd == 2 else (5, 6, 7)
    if isinstance(free_sp, bool):
        free_sp = [free_sp] * nd
    dims = [t.size(nm, v, sm, f) for nm, v, sm, f in zip(names, sp, sp_smoke, free_sp)]
    x = t.input('x', [n, ci] + dims, xdist)
    return x, co


def lin_in(t, B, K, F, names=('batch_size', 'in_features', 'out_features'), f_smoke=9, f_multiple=None,
           xdist='rand'):
    b = t.size(names[0], B, 3, True)
    k = t.size(names[1], K, 7, True)
    extra = {'multiple_of': f_multiple} if f_multiple else {}
    f = t.size(names[2], F, f_smoke, True, **extra)
    x = t.input('x', [b, k], xdist)
    return x, f


def chan_param(t, name, x, dist='randn', what=None):
    nd = len(x.shape) - 2
    return t.input(name, [x.shape[1]] + [lit(1)] * nd, dist)


def bias_chan(t, y, name='bias', op='add', dist='randn'):
    p = chan_param(t, name, y, dist)
    sym = {'add': '+', 'sub': '-', 'mul': '*'}[op]
    shape = '(%s)' % ', '.join(['C'] + ['1'] * (len(y.shape) - 2))
    return t.ewp(y, op, p, 'chan', '%s %s[c] (%s %s ~ %s)' % (sym, name, name, shape, dist))


def feat_param(t, y, name, op='add', dist='randn'):
    p = t.input(name, [y.shape[-1]], dist)
    sym = {'add': '+', 'sub': '-', 'mul': '*'}[op]
    return t.ewp(y, op, p, 'last', '%s %s[f] (%s (F,) ~ %s)' % (sym, name, name, dist))


GN_NOTE = None
SOFTMAX_WIDE = 'outputs of a softmax over %s elements are ~%s; atol 1e-4 would accept an all-zero output ' \
               '(KernelBench issue #165), so atol is tightened to %g (rtol stays 1e-4: softmax is well ' \
               'conditioned, fp32 relative error of a tree-reduced sum of <= 1e6 terms is ~1e-6)'
POOL_NOTE = 'the output is a global statistic per sample, so it varies little across the batch; still not ' \
            'within tolerance of any weight-independent value'


def s1(t):
    x, co = conv_in(t, 2, 128, 64, 128, (128, 128))
    y = t.conv(x, 2, co, 3)
    y = t.ew(y, 'relu')
    return bias_chan(t, y)


def s2(t):
    x, co = conv_in(t, 2, 128, 64, 64, (128, 128))
    y = t.conv(x, 2, co, 3, s=2, p=1, op=1, transposed=True)
    y = bias_chan(t, y)
    y = t.ew(y, 'clamp', (0.0, 1.0))
    y = t.ew(y, 'mul', 2.0)
    y = t.ew(y, 'clamp', (0.0, 1.0))
    y = t.ew(y, 'div', 2.0)
    t.note('channels whose bias is far from [0, 1] saturate to 0 or 0.5; the others vary, so the output '
           'is not constant')
    return y


def s3(t):
    x, co = conv_in(t, 3, 32, 32, 64, (16, 32, 32), sp_smoke=(3, 4, 3), free_sp=[True, True, False])
    y = t.conv(x, 3, co, 3, s=2, p=1, op=1, transposed=True)
    y = t.ew(y, 'add', 1.0, desc='+ sum_weight (a learnable scalar, 1.0 at init; a constant here)')
    y = t.layernorm(y)
    y = t.pool(y, 'avg', 3, 2)
    y = t.ew(y, 'gelu')
    t.note('nn.LayerNorm(norm_shape=(out_channels,)) normalizes the LAST dim of the NCDHW tensor, i.e. the '
           'output width 2*width, which KernelBench sets equal to out_channels = 64; so width stays 32 '
           '(not free) and ln_w/ln_b have the output width as their size')
    return y


def s4(t):
    x, co = conv_in(t, 2, 64, 64, 128, (256, 256))
    y = t.conv(x, 2, co, 3)
    y = t.ew(y, 'mish')
    return t.ew(y, 'mish')


def s5(t):
    x, co = conv_in(t, 2, 32, 64, 64, (256, 256))
    y = t.conv(x, 2, co, 4, s=2, p=1, op=1, transposed=True)
    y = bias_chan(t, y, op='sub')
    return t.ew(y, 'tanh')


def s6(t):
    x, co = conv_in(t, 3, 128, 3, 16, (16, 32, 32), sp_smoke=(7, 7, 9))
    y = t.conv(x, 3, co, 3)
    y = t.softmax(y, 1, 2)
    y = t.pool(y, 'max', 3, 2)
    return t.pool(y, 'max', 3, 2, names=['Dq', 'Hq', 'Wq'])


def s7(t):
    x, co = conv_in(t, 3, 64, 8, 32, (32, 64, 64))
    y = t.conv(x, 3, co, 3)
    y = t.ew(y, 'relu')
    y = t.ew(y, 'leaky', 0.01)
    y = t.ew(y, 'gelu')
    y = t.ew(y, 'sigmoid')
    return bias_chan(t, y)


def s8(t):
    x, co = conv_in(t, 3, 128, 8, 16, (16, 64, 64), sp_smoke=(6, 7, 8))
    y = t.conv(x, 3, co, 3)
    y = t.ew(y, 'div', 2.0)
    y = t.pool(y, 'max', 3, 2)
    y = t.reduce(y, 'mean', 2, 5, desc='global average pool over dims 2,3,4 -> [N, C, 1, 1, 1]')
    y = bias_chan(t, y)
    y = t.reduce(y, 'sum', 1, 2, keepdim=False)
    t.note(POOL_NOTE)
    return y


def s9(t):
    x, f = lin_in(t, 1024, 8192, 8192, xdist='uniform(-6,6)')
    t.note('with x ~ U[0,1) (KernelBench) the Linear output has std ~0.33, so (y - 2) * 1.5 is negative '
           'almost everywhere and relu makes the output ~all zeros (degenerate); x is drawn from '
           'uniform(-6, 6) instead (Linear output std ~2, about 16% of the outputs positive)')
    y = t.linear(x, f)
    y = t.ew(y, 'sub', 2.0)
    y = t.ew(y, 'mul', 1.5)
    return t.ew(y, 'relu')


def s10(t):
    x, co = conv_in(t, 2, 128, 64, 64, (256, 256))
    y = t.conv(x, 2, co, 3, s=1, p=1, transposed=True)
    y = t.pool(y, 'max', 2, 2)
    y = t.ew(y, 'clamp', (-1.0, 1.0), desc='hardtanh(-1, 1)')
    y = t.reduce(y, 'mean', 2, 4)
    y = t.ew(y, 'tanh')
    t.note(POOL_NOTE)
    return y


def s11(t):
    x, co = conv_in(t, 2, 512, 64, 128, (32, 32), cout_smoke=16)
    y = t.conv(x, 2, co, 5, s=1, p=1, transposed=True)
    y = t.batchnorm(y)
    y = t.ew(y, 'tanh')
    y = t.pool(y, 'max', 2, 2)
    return t.groupnorm(y, 8)


def s12(t):
    x, f = lin_in(t, 1024, 8192, 8192)
    y = t.linear(x, f)
    y = t.ew(y, 'mul', 2.0)
    return t.ew(y, 'leaky', 0.1)


def s13(t):
    x, co = conv_in(t, 3, 16, 16, 64, (32, 128, 128))
    y = t.conv(x, 3, co, 3, s=1, p=1, transposed=True)
    y = t.reduce(y, 'mean', 2, 3)
    y = bias_chan(t, y)
    y = t.softmax(y, 1, 2)
    y = t.ew(y, 'tanh')
    return t.ew(y, 'mul', 2.0)


def s14(t):
    x, f = lin_in(t, 1024, 8192, 8192, names=('batch_size', 'input_size', 'hidden_size'))
    y = t.linear(x, f, bias=False, wname='weight', wdist='randn')
    y = t.ew(y, 'div', 2.0)
    y = t.reduce(y, 'sum', 1, 2)
    t.tol = (0.1, 1e-4, 'the output sums 8192 GEMM outputs (each a sum of 8192 terms with randn weights, '
             'std ~52): estimated fp32 error of a plain sequential order against fp64 is ~1e-4 per GEMM '
             'output (u * rms term * K/4) and ~1e-2 for the final sum of ~3e3-sized partials; the sum itself '
             'is ~N(0, 4.7e3), so rows near 0 need an absolute bound: atol 0.1 (10x the estimate)')
    return t.ew(y, 'mul', 1.5)


def s15(t):
    x, co = conv_in(t, 3, 16, 16, 32, (16, 32, 32))
    y = t.conv(x, 3, co, 3, s=2, p=1, transposed=True)
    y = t.batchnorm(y)
    m = t.reduce(y, 'mean', 2, 5)
    return t.ewt(y, 'sub', m, '- the per-(n, c) spatial mean', rmode=('div', y.shape[2:]))


def s16(t):
    x, co = conv_in(t, 2, 128, 64, 64, (128, 128))
    y = t.conv(x, 2, co, 3, s=2, p=1, op=1, transposed=True)
    y = t.ew(y, 'mish')
    y = t.ew(y, 'add', 0.5)
    y = t.ew(y, 'clamp', (-1.0, 1.0), desc='hardtanh(-1, 1)')
    return t.ew(y, 'mul', 2.0)


def s17(t):
    x, co = conv_in(t, 2, 128, 64, 128, (128, 128))
    y = t.conv(x, 2, co, 3)
    y = t.instancenorm(y)
    return t.ew(y, 'div', 2.0)


def s18(t):
    x, f = lin_in(t, 1024, 8192, 8192)
    y = t.linear(x, f)
    y = t.reduce(y, 'sum', 1, 2)
    t.tol = (1e-3, 1e-4, 'the output is a sum of 8192 GEMM outputs (std ~0.33 each), ~N(0, 30): estimated fp32 '
             'error against fp64 is ~5e-7 per GEMM output (u * rms term * K/4), ~4e-5 after summing 8192 of '
             'them and ~1.6e-4 for a sequential final sum; rows near 0 need an absolute bound: atol 1e-3')
    y = t.reduce(y, 'max', 1, 2, desc='max over dim 1 (size 1)')
    y = t.reduce(y, 'mean', 1, 2, desc='mean over dim 1 (size 1)')
    y = t.reduce(y, 'lse', 1, 2, desc='logsumexp over dim 1 (size 1)')
    y = t.reduce(y, 'lse', 1, 2, desc='logsumexp over dim 1 (size 1)')
    t.note('after the sum the remaining four reductions run over a dim of size 1 (identities); eager '
           'still launches a kernel for each, and so does the reference')
    return y


def s19(t):
    x, co = conv_in(t, 2, 128, 64, 64, (256, 256), cout_smoke=16)
    y = t.conv(x, 2, co, 3, s=1, transposed=True)
    y = t.ew(y, 'gelu')
    return t.groupnorm(y, 8)


def s20(t):
    x, co = conv_in(t, 3, 16, 32, 64, (16, 32, 32))
    y = t.conv(x, 3, co, 3, s=2, p=1, op=1, transposed=True)
    orig = t.clone(y)
    y = bias_chan(t, y)
    y = t.ewt(y, 'add', orig, '+ original (the clone)')
    y = t.ewt(y, 'mul', orig, '* original')
    return t.ewt(y, 'add', orig, '+ original')


def s21(t):
    x, co = conv_in(t, 2, 128, 8, 32, (256, 256), cout_smoke=16)
    y = t.conv(x, 2, co, 3)
    y = bias_chan(t, y)
    y = bias_chan(t, y, 'scale', 'mul')
    y = t.ew(y, 'sigmoid')
    return t.groupnorm(y, 8)


def s22(t):
    x, f = lin_in(t, 1024, 8192, 8192, names=('batch_size', 'input_size', 'hidden_size'))
    y = t.linear(x, f)
    y = t.ew(y, 'mul', 2.0)
    y = t.ew(y, 'selfadd')
    y = t.ew(y, 'clamp', (-10.0, 10.0))
    y = t.reduce(y, 'lse', 1, 2)
    m = t.ew(y, 'mish')
    return t.ewt(m, 'mul', y, 'x * mish(x)')


def s23(t):
    x, co = conv_in(t, 3, 128, 3, 24, (24, 32, 32), cout_smoke=16)
    y = t.conv(x, 3, co, 3)
    y = t.groupnorm(y, 8)
    y = t.reduce(y, 'mean', 1, 5, keepdim=False)
    t.note('with PyTorch init (gn weight 1, bias 0) the output is identically 0: each group of the '
           'GroupNorm output has mean 0, so the mean over all of C, D, H, W is 0. The random affine '
           'parameters make it mean(gn_b)-like plus a weight-dependent term per sample; ' + POOL_NOTE)
    return y


def s24(t):
    x, co = conv_in(t, 3, 128, 3, 24, (24, 32, 32))
    y = t.conv(x, 3, co, 3)
    y = t.reduce(y, 'min', 2, 3, keepdim=False, desc='min over dim 2 (depth)')
    return t.softmax(y, 1, 2)


def s25(t):
    x, co = conv_in(t, 2, 128, 16, 64, (256, 256))
    y = t.conv(x, 2, co, 3)
    y = t.reduce(y, 'min', 1, 2)
    y = t.ew(y, 'tanh')
    return t.ew(y, 'tanh')


def s26(t):
    x, co = conv_in(t, 3, 128, 32, 64, (16, 16, 16))
    y = t.conv(x, 3, co, 3, s=2, p=1, op=1, transposed=True)
    a = t.input('add_input', y.shape, 'rand')
    y = t.ewt(y, 'add', a, '+ add_input')
    h = t.ew(y, 'hardswish')
    t.note('KernelBench creates a `bias` parameter that forward never uses; it is left out')
    return t.ewt(h, 'mul', y, 'x * hardswish(x)')


def s27(t):
    x, co = conv_in(t, 3, 1024, 3, 16, (16, 32, 32), cout_smoke=8)
    y = t.conv(x, 3, co, 4)
    y = t.ew(y, 'hardswish')
    y = t.groupnorm(y, 4)
    y = t.reduce(y, 'mean', 2, 5, keepdim=False)
    t.note(POOL_NOTE)
    return y


def s28(t):
    x, f = lin_in(t, 1024, 8192, 8192)
    y = t.linear(x, f)
    o = RowNormOp(t, y, None, None, None, 1e-5, 'instance')
    o.axis = 1
    t.ops.append(o)
    t.d('instance_norm of x.unsqueeze(1).unsqueeze(1) ([B, 1, 1, F]: each row normalized over its F '
        'features, eps 1e-5, no affine)')
    y = o.out
    yy = t.input('y', y.shape, 'rand')
    y = t.ewt(y, 'add', yy, '+ y')
    return t.ewt(y, 'mul', yy, '* y')


def s29(t):
    x, f = lin_in(t, 1024, 8192, 8192)
    y = t.linear(x, f)
    y = t.ew(y, 'mish')
    return t.ew(y, 'mish')


def s30(t):
    x, f = lin_in(t, 1024, 8192, 8192, f_smoke=32, f_multiple=16)
    y = t.linear(x, f)
    y = t.groupnorm(y, 16)
    return t.ew(y, 'clamp', (-2.0, 2.0), desc='hardtanh(-2, 2)')


def s31(t):
    x, co = conv_in(t, 2, 128, 64, 128, (128, 128))
    y = t.conv(x, 2, co, 3)
    y = t.ew(y, 'minc', 0.5)
    y = bias_chan(t, y)
    return t.ew(y, 'mul', 2.0)


def s32(t):
    x, co = conv_in(t, 2, 64, 64, 128, (256, 256))
    y = t.conv(x, 2, co, 3)
    y = t.ew(y, 'mul', 2.0)
    return t.reduce(y, 'min', 1, 2)


def s33(t, B=1024, K=8192, F=8192):
    x, f = lin_in(t, B, K, F)
    y = t.linear(x, f)
    y = feat_param(t, y, 'scale', 'mul')
    return t.batchnorm(y)


def s34(t):
    x, co = conv_in(t, 3, 32, 32, 64, (16, 32, 32), sp_smoke=(3, 4, 3), free_sp=[True, True, False])
    y = t.conv(x, 3, co, 4, s=2, p=1, transposed=True)
    y = t.layernorm(y)
    y = t.ew(y, 'gelu')
    t.note('nn.LayerNorm(out_channels) normalizes the LAST dim of the NCDHW tensor, i.e. the output '
           'width 2*width, which KernelBench sets equal to out_channels = 64; so width stays 32 (not free) '
           'and ln_w/ln_b have the output width as their size. scaling_factor is 1.0; eager still '
           'launches the multiply, and so does the reference')
    return t.ew(y, 'mul', 1.0)


def s35(t):
    x, co = conv_in(t, 2, 128, 64, 128, (128, 128))
    y = t.conv(x, 2, co, 3)
    y = t.ew(y, 'sub', 0.5)
    y = t.ew(y, 'hardswish')
    y = t.pool(y, 'max', 2, 2)
    return t.ew(y, 'mish')


def s36(t):
    x, co = conv_in(t, 2, 16, 64, 128, (128, 128))
    y = t.conv(x, 2, co, 3, s=2, p=1, op=1, transposed=True)
    y = t.reduce(y, 'min', 1, 2)
    y = t.reduce(y, 'sum', 2, 3)
    y = t.ew(y, 'gelu')
    b = t.input('bias', [lit(1), lit(1), lit(1)], 'randn')
    return t.ewp(y, 'add', b, 'scalar', '+ bias (shape (1, 1, 1) ~ randn)')


def s37(t):
    x, f = lin_in(t, 32768, 1024, 4096, f_smoke=128, f_multiple=64)
    y = t.linear(x, f)
    y = t.swish(y)
    y = feat_param(t, y, 'bias')
    return t.groupnorm(y, 64)


def s38(t):
    x, co = conv_in(t, 3, 32, 32, 64, (32, 64, 64), sp_smoke=(4, 5, 6))
    y = t.pool(x, 'avg', 3, 2)
    y = t.conv(y, 3, co, 3, s=2, p=1, op=1, transposed=True)
    y = t.ew(y, 'clamp', (0.0, 1.0))
    y = t.softmax(y, 2, 5, desc='softmax over the flattened spatial dims (view(b, c, -1), dim 2)')
    y = bias_chan(t, y, 'scale', 'mul', dist='uniform(0.5,1.5)')
    t.note('scale is torch.ones at init; drawn from uniform(0.5,1.5) so that ignoring it fails')
    t.tol = (1e-10, 1e-4, 'a softmax over the 32*64*64 = 131072 spatial positions gives outputs ~7.6e-6; '
             'atol 1e-4 would accept an all-zero output (KernelBench issue #165), so atol is 1e-10 (rtol '
             'stays 1e-4: inputs are clamped to [0, 1], and the fp32 relative error of a tree-reduced sum '
             'of 131072 exps is ~1e-6)')
    return y


def s39(t):
    return s33(t, 16384, 4096, 4096)


def s40(t):
    x, f = lin_in(t, 16384, 4096, 4096)
    y = t.linear(x, f)
    orig = t.clone(y)
    y = t.ew(y, 'mul', 0.5)
    return t.ewt(y, 'add', orig, '+ original (the clone)')


def s41(t):
    x, f = lin_in(t, 16384, 4096, 4096)
    y = t.linear(x, f)
    y = t.batchnorm(y)
    y = t.ew(y, 'gelu')
    return t.ew(y, 'relu')


def s42(t):
    x, co = conv_in(t, 2, 16, 64, 128, (512, 512))
    y = t.conv(x, 2, co, 3, transposed=True)
    y = t.reduce(y, 'mean', 2, 4, desc='global average pool over dims 2,3 (keepdim)')
    y = bias_chan(t, y)
    y = t.reduce(y, 'lse', 1, 2)
    y = t.reduce(y, 'sum', 2, 4, keepdim=False, desc='sum over dims 2,3 (size 1)')
    t.note(POOL_NOTE)
    return t.ew(y, 'mul', 10.0)


def s43(t):
    x, co = conv_in(t, 3, 4, 32, 64, (32, 128, 128))
    y = t.conv(x, 3, co, 3, s=1, p=1)
    y = t.pool(y, 'max', 3, 2)
    y = t.reduce(y, 'lse', 1, 2)
    return t.ew(y, 'relu')


def s44(t):
    x, co = conv_in(t, 2, 16, 64, 128, (128, 128))
    y = t.conv(x, 2, co, 3, s=2, p=1, op=1, transposed=True)
    y = t.ew(y, 'mul', 0.5)
    y = t.reduce(y, 'mean', 2, 4)
    y = t.reduce(y, 'mean', 2, 4, desc='mean over dims 2,3 again (size 1)')
    t.note(POOL_NOTE)
    return y


def s45(t):
    b = t.size('batch_size', 16384, 3, True)
    k = t.size('input_size', 2048, 7, True)
    h = t.size('hidden_size', 4096, 9, True)
    o = t.size('output_size', 1024, 5, True)
    x = t.input('x', [b, k], 'rand')
    y = t.linear(x, h, wname='w1', bname='b1')
    y = t.ew(y, 'sigmoid')
    y = t.linear(y, o, wname='w2', bname='b2')
    return t.reduce(y, 'lse', 1, 2, keepdim=False)


def s46(t):
    x, co = conv_in(t, 2, 128, 64, 128, (128, 128))
    y = t.conv(x, 2, co, 3)
    y = t.ew(y, 'sub', 0.5)
    y = t.ew(y, 'tanh')
    y = t.ew(y, 'sub', 0.2)
    return t.pool(y, 'avg', 2, 2)


def s47(t):
    x, co = conv_in(t, 3, 16, 32, 64, (32, 64, 64))
    y = t.conv(x, 3, co, 3)
    y = t.ew(y, 'mish')
    return t.ew(y, 'tanh')


def s48(t):
    x, co = conv_in(t, 3, 128, 3, 16, (16, 64, 64))
    y = t.conv(x, 3, co, 3)
    y = bias_chan(t, y, 'scaling_factor', 'mul')
    y = t.ew(y, 'tanh')
    y = bias_chan(t, y, 'bias', 'mul')
    return t.ew(y, 'sigmoid')


def s49(t):
    x, co = conv_in(t, 3, 16, 32, 64, (16, 32, 32))
    y = t.conv(x, 3, co, 3, s=2, p=1, op=1, transposed=True)
    y = t.softmax(y, 1, 2)
    t.note('softmax over 64 channels then sigmoid: outputs lie near sigmoid(1/64) ~ 0.504 with a spread '
           '(~1e-3) well above the tolerance, so the output is not constant within tolerance')
    return t.ew(y, 'sigmoid')


def s50(t):
    x, co = conv_in(t, 3, 128, 3, 16, (16, 32, 32))
    y = t.conv(x, 3, co, 3, s=2, p=1, transposed=True)
    y = t.ew(y, 'mul', 0.5, desc='* scale1 (a learnable scalar, 0.5 at init; a constant here)')
    y = t.pool(y, 'avg', 3, 2)
    y = bias_chan(t, y)
    return t.ew(y, 'mul', 1.0, desc='* scale2 (a learnable scalar, 1.0 at init; a constant here)')


def s51(t):
    x, f = lin_in(t, 2048, 8192, 8192)
    orig = t.clone(x)
    y = t.linear(x, f)
    y = feat_param(t, y, 'subtract', 'sub')
    y = t.reduce(y, 'mean', 1, 2)
    y = t.reduce(y, 'lse', 1, 2, desc='logsumexp over dim 1 (size 1)')
    y = t.ew(y, 'gelu')
    t.note('the output is x plus one value per row; that value depends on the GEMM (its row mean), '
           'so the task is not trivial, but most of the output is the input itself')
    return t.ewt(y, 'add', orig, '+ original_x (the clone of the input, broadcast [B, 1] + [B, in_features])',
                 out_shape=orig.shape, xmode=('div', [x.shape[1]]))


def s52(t):
    x, co = conv_in(t, 2, 64, 64, 128, (128, 128))
    c = t.conv(x, 2, co, 3)
    y = t.ew(c, 'softplus')
    y = t.ew(y, 'tanh')
    y = t.ewt(y, 'mul', c, '* x (the conv output)')
    return t.batchnorm(y)


def s53(t):
    x, f = lin_in(t, 2048, 8192, 8192)
    y = t.linear(x, f)
    y = t.ew(y, 'mul', 0.5)
    y = t.ew(y, 'clamp', (-2.0, 2.0), desc='hardtanh(-2, 2)')
    return t.ew(y, 'gelu')


def s54(t):
    x, co = conv_in(t, 2, 64, 64, 64, (256, 256))
    y = t.conv(x, 2, co, 3)
    y = bias_chan(t, y, 'multiplier', 'mul')
    y = t.ew(y, 'leaky', 0.01)
    return t.ew(y, 'gelu')


def big_features_note(t):
    t.scale_reason = 'features scaled too: a [F, F] fp32 weight at F = 32768 (16384) is 4.3 (1.1) GB, above the ~1 GB cap'


def s55(t):
    x, f = lin_in(t, 128, 32768, 32768)
    t.main_override = {'in_features': 8192, 'out_features': 8192}
    big_features_note(t)
    y = t.linear(x, f)
    y = t.pool(y, 'max', 1, 2, names=['Fp'])
    y = t.reduce(y, 'sum', 1, 2, keepdim=False)
    return t.ew(y, 'mul', 0.5)


def s56(t):
    x, f = lin_in(t, 128, 32768, 32768, names=('batch_size', 'input_size', 'hidden_size'))
    t.main_override = {'input_size': 8192, 'hidden_size': 8192}
    big_features_note(t)
    y = t.linear(x, f)
    y = t.ew(y, 'sigmoid')
    return t.reduce(y, 'sum', 1, 2)


def s57(t):
    x, co = conv_in(t, 2, 128, 8, 64, (128, 128))
    c = t.conv(x, 2, co, 3)
    c = t.ew(c, 'relu')
    y = t.ew(c, 'add', 3.0)
    y = t.ew(y, 'div', 6.0)
    y = t.ew(y, 'clamp', (0.0, 1.0))
    return t.ewt(y, 'mul', c, 'x * (that): x * clamp((x + 3) / 6, 0, 1)')


def s58(t):
    x, co = conv_in(t, 3, 128, 3, 16, (16, 32, 32))
    y = t.conv(x, 3, co, 3, s=2, p=1, transposed=True)
    l = t.reduce(y, 'lse', 1, 2)
    y = t.ew(l, 'add', 3.0)
    y = t.ew(y, 'sigmoid')
    y = t.ewt(y, 'mul', l, 'x * sigmoid(x + 3)')
    y = t.ew(y, 'div', 6.0)
    b = t.input('bias', [lit(1), lit(1), lit(1), lit(1)], 'uniform(-0.5,0.5)')
    y = t.ewp(y, 'sub', b, 'scalar', '- bias (shape (1, 1, 1, 1))')
    t.note('KernelBench draws the scalar bias from randn; the chain output before it is ~0.4-0.5, so '
           'for |bias| > ~0.6 the final clamp(-1, 1) saturates the whole output to a constant (about a '
           'third of seeds). bias is drawn from uniform(-0.5, 0.5) instead so the output stays inside the '
           'clamp range')
    return t.ew(y, 'clamp', (-1.0, 1.0))


def s59(t):
    x, f = lin_in(t, 128, 32768, 32768)
    t.main_override = {'in_features': 8192, 'out_features': 8192}
    big_features_note(t)
    y = t.linear(x, f)
    y = t.swish(y)
    return t.ew(y, 'mul', 2.0)


def s60(t):
    x, co = conv_in(t, 3, 128, 3, 16, (16, 32, 32), cout_smoke=8)
    y = t.conv(x, 3, co, 3, s=2, p=1, transposed=True)
    y = t.swish(y)
    y = t.groupnorm(y, 4)
    return t.ew(y, 'hardswish')


def s61(t):
    x, co = conv_in(t, 3, 16, 64, 128, (32, 32, 32), cout_smoke=16)
    y = t.conv(x, 3, co, 3, transposed=True, bias=False)
    y = t.ew(y, 'relu')
    return t.groupnorm(y, 8)


def s62(t):
    x, f = lin_in(t, 1024, 8192, 8192, names=('batch_size', 'input_size', 'hidden_size'), f_smoke=1024,
                  f_multiple=512)
    y = t.linear(x, f)
    y = t.groupnorm(y, 512)
    y = t.ew(y, 'leaky', 0.01)
    t.tol = (5e-4, 5e-4, "GroupNorm over 16-feature groups divides the GEMM's fp32 rounding error (K=8192) by each "
             'group\'s std: measured on an H200, the GPU reference against the fp64 CPU reference at mid sizes '
             'exceeded atol=rtol=1e-4 by 2.0x on 4 of 263168 elements; 5e-4 keeps a 2.5x margin')
    return t.ew(y, 'selfadd')


def s63(t):
    x, f = lin_in(t, 1024, 8192, 8192)
    y = t.linear(x, f)
    y = t.ew(y, 'relu')
    return t.ew(y, 'div', 2.0)


def s64(t):
    x, f = lin_in(t, 1024, 8192, 8192)
    y = t.linear(x, f)
    y = t.reduce(y, 'lse', 1, 2)
    y = t.ew(y, 'leaky', 0.01)
    y = t.ew(y, 'leaky', 0.01)
    y = t.ew(y, 'gelu')
    return t.ew(y, 'gelu')


def s65(t):
    x, co = conv_in(t, 2, 128, 8, 64, (384, 384))
    y = t.conv(x, 2, co, 3)
    y = t.pool(y, 'avg', 2, 4)
    y = t.ew(y, 'sigmoid')
    y = t.reduce(y, 'sum', 1, 4, keepdim=False)
    t.note(POOL_NOTE)
    return y


def s66(t):
    x, f = lin_in(t, 128, 16384, 16384)
    t.main_override = {'in_features': 8192, 'out_features': 8192}
    big_features_note(t)
    y = t.linear(x, f)
    t.d('dropout(p=0.2) in eval mode: the identity (no kernel)')
    y = t.softmax(y, 1, 2)
    t.extra_desc.append('Dropout is taken in eval mode (identity): a random mask cannot be verified.')
    t.note('KernelBench never calls .eval(), so its dropout is active; here it is the identity (eval mode) '
           'because a random mask has no reference')
    t.tol = (1e-7, 1e-4, SOFTMAX_WIDE % ('8192', '1.2e-4 (16384 in KernelBench: ~6e-5)', 1e-7))
    return y


def s67(t):
    x, co = conv_in(t, 2, 128, 8, 64, (256, 256))
    y = t.conv(x, 2, co, 3)
    y = t.ew(y, 'gelu')
    t.note(POOL_NOTE)
    return t.reduce(y, 'mean', 2, 4, keepdim=False, desc='adaptive_avg_pool2d(1) and squeeze -> [N, C]')


def s68(t):
    x, f = lin_in(t, 128, 16384, 16384)
    t.main_override = {'in_features': 8192, 'out_features': 8192}
    big_features_note(t)
    y = t.linear(x, f)
    y = t.ew(y, 'minc', 2.0, desc='min(x, constant) with constant = 2.0 (a learnable scalar; a constant here)')
    t.note('the GEMM outputs are far below 2.0, so min(x, 2.0) never binds: the task is GEMM + bias - 2')
    return t.ew(y, 'sub', 2.0)


def s69(t):
    x, co = conv_in(t, 2, 128, 8, 64, (128, 128))
    y = t.conv(x, 2, co, 3)
    y = t.ew(y, 'hardswish')
    return t.ew(y, 'relu')


def s70(t):
    x, f = lin_in(t, 1024, 8192, 8192, names=('batch_size', 'input_size', 'hidden_size'))
    g = t.linear(x, f)
    y = t.ew(g, 'sigmoid')
    y = t.ew(y, 'mul', 2.0)
    return t.ewt(y, 'add', g, '+ original (the GEMM output)')


def s71(t):
    x, co = conv_in(t, 2, 128, 8, 64, (128, 128))
    y = t.conv(x, 2, co, 3)
    y = t.ew(y, 'div', 2.0)
    return t.ew(y, 'leaky', 0.01)


def s72(t):
    x, co = conv_in(t, 3, 64, 3, 16, (32, 32, 32), sp_smoke=(3, 4, 5))
    y = t.conv(x, 3, co, 3, s=2, p=1, transposed=True)
    y = t.batchnorm(y)
    y = t.pool(y, 'avg', 3, 2)
    return t.pool(y, 'avg', 3, 2, names=['Dq', 'Hq', 'Wq'])


def s73(t):
    x, co = conv_in(t, 2, 128, 8, 64, (128, 128))
    y = t.conv(x, 2, co, 3)
    y = t.batchnorm(y)
    return t.ew(y, 'mul', 2.0)


def s74(t):
    x, co = conv_in(t, 3, 16, 16, 32, (16, 32, 32))
    y = t.conv(x, 3, co, 3, s=2, p=1, op=1, transposed=True)
    y = t.ew(y, 'leaky', 0.2)
    y = bias_chan(t, y, 'multiplier', 'mul')
    y = t.ew(y, 'leaky', 0.2)
    return t.pool(y, 'max', 3, 2)


def s75(t):
    x, f = lin_in(t, 1024, 8192, 8192, f_smoke=1024, f_multiple=512)
    y = t.linear(x, f)
    y = t.groupnorm(y, 512)
    y = t.reduce(y, 'min', 1, 2)
    b = t.input('bias', [lit(1), f, lit(1), lit(1)], 'randn')
    B = x.shape[0]
    t.extra_desc.append('The last add broadcasts [B, 1] against bias (1, F, 1, 1), so out has shape '
                        '[1, F, B, 1] with out[0, f, b, 0] = min_b + bias[f], as in PyTorch.')
    return t.ewt(y, 'add', b, '+ bias (shape (1, F, 1, 1) ~ randn; broadcast -> [1, F, B, 1])',
                 rmode=('div', [B]), out_shape=[lit(1), f, B, lit(1)], xmode=('mod', [B]))


def s76(t):
    x, f = lin_in(t, 1024, 8192, 8192)
    y = t.linear(x, f, bias=False)
    y = feat_param(t, y, 'bias')
    return t.ew(y, 'relu')


def s77(t):
    x, co = conv_in(t, 3, 16, 64, 128, (16, 32, 32))
    y = t.conv(x, 3, co, 5, transposed=True)
    y = t.ew(y, 'mul', 2.0)
    y = t.batchnorm(y)
    t.note('per channel, the BatchNorm output averages to bn_b[c] over the batch; the per-sample global '
           'average deviates from it by a weight- and input-dependent term (~1e-2), far above the tolerance')
    return t.reduce(y, 'mean', 2, 5, desc='global average pool over dims 2,3,4 -> [N, C, 1, 1, 1]')


def s78(t):
    x, co = conv_in(t, 3, 16, 32, 64, (32, 32, 32), sp_smoke=(5, 5, 6))
    y = t.conv(x, 3, co, 5, s=2, p=2, transposed=True)
    y = t.pool(y, 'max', 3, 2)
    y = t.pool(y, 'max', 3, 3, names=['Dq', 'Hq', 'Wq'])
    return t.reduce(y, 'sum', 1, 2)


def s79(t):
    x, co = conv_in(t, 3, 128, 3, 16, (16, 32, 32))
    y = t.conv(x, 3, co, 3)
    m = chan_param(t, 'multiplier', y)
    y = t.ewp(y, 'mul', m, 'chan', '* multiplier[c] (multiplier (C,1,1,1) ~ randn)')
    y = t.instancenorm(y)
    y = t.ew(y, 'clamp', (-1.0, 1.0))
    y = t.ewp(y, 'mul', m, 'chan', '* multiplier[c]')
    return t.reduce(y, 'max', 1, 2, keepdim=False)


def s80(t):
    x, f = lin_in(t, 1024, 8192, 8192)
    y = t.linear(x, f)
    y = t.reduce(y, 'max', 1, 2)
    m = t.reduce(y, 'mean', 1, 2, desc='mean over dim 1 (size 1)')
    y = t.ewt(y, 'sub', m, '- that mean')
    t.excluded = ('degenerate: after max(dim=1, keepdim) the tensor is [B, 1], so x - x.mean(dim=1) is '
                  'exactly 0 and the output gelu(0) = 0 for every input; an all-zero kernel passes')
    return t.ew(y, 'gelu')


def s81(t):
    x, f = lin_in(t, 1024, 8192, 8192)
    y = t.linear(x, f)
    y = t.swish(y)
    y = t.ew(y, 'div', 2.0)
    y = t.ew(y, 'clamp', (-1.0, 1.0))
    y = t.ew(y, 'tanh')
    return t.ew(y, 'clamp', (-1.0, 1.0))


def s82(t):
    x, co = conv_in(t, 2, 128, 8, 64, (256, 256))
    y = t.conv(x, 2, co, 3)
    y = t.ew(y, 'tanh')
    y = t.ew(y, 'mul', 2.0)
    y = bias_chan(t, y)
    return t.pool(y, 'max', 2, 4)


def s83(t):
    x, co = conv_in(t, 3, 128, 3, 16, (16, 64, 64), cout_smoke=16)
    y = t.conv(x, 3, co, 3)
    y = t.groupnorm(y, 8)
    y = t.ew(y, 'minc', 0.0, desc='min(x, 0.0)')
    y = t.ew(y, 'clamp', (0.0, 1.0))
    t.d('dropout(p=0.2) in eval mode: the identity (no kernel)')
    t.extra_desc.append('Dropout is taken in eval mode (identity).')
    t.excluded = ('degenerate: min(x, 0) followed by clamp(min=0) is identically 0 for every input '
                  '(KernelBench #165 class); an all-zero kernel passes')
    return y


def s84(t):
    x, f = lin_in(t, 1024, 8192, 8192)
    y = t.linear(x, f)
    y = t.batchnorm(y)
    s = t.input('scale', [lit(1)], 'uniform(0.5,1.5)')
    y = t.ewp(y, 'mul', s, 'scalar', '* scale (shape (1,))')
    t.note('scale is torch.ones at init; drawn from uniform(0.5,1.5) so that ignoring it fails')
    t.tol = (1e-7, 1e-4, SOFTMAX_WIDE % ('8192', '1.2e-4', 1e-7))
    return t.softmax(y, 1, 2)


def s85(t):
    x, co = conv_in(t, 2, 128, 8, 64, (128, 128), cout_smoke=16)
    y = t.conv(x, 2, co, 3)
    y = t.groupnorm(y, 16, wdist='uniform(0.1,0.5)')
    t.note('gn_w is drawn from uniform(0.1, 0.5): with weight ~1 the max over 4x4 windows of the normalized '
           'values is above 1 in ~94% of windows (KernelBench init: all ones), so clamp(0, 1) made the output '
           'nearly constant 1')
    y = bias_chan(t, y, 'scale', 'mul', dist='uniform(0.5,1.5)')
    t.note('scale (shape (out_channels, 1, 1), as KernelBench\'s scale_shape) is torch.ones at init; drawn from '
           'uniform(0.5,1.5) so that ignoring it fails')
    y = t.pool(y, 'max', 2, 4)
    return t.ew(y, 'clamp', (0.0, 1.0))


def s86(t):
    x, f = lin_in(t, 1024, 8192, 8192, names=('batch_size', 'input_size', 'output_size'))
    y = t.linear(x, f)
    y = t.ew(y, 'div', 10.0)
    return t.ew(y, 'gelu')


def s87(t):
    x, co = conv_in(t, 2, 128, 8, 64, (256, 256))
    y = t.conv(x, 2, co, 3)
    y = t.ew(y, 'sub', 0.5)
    y = t.ew(y, 'sub', 0.2)
    return t.ew(y, 'mish')


def s88(t):
    x, f = lin_in(t, 1024, 8192, 8192, f_smoke=512, f_multiple=256)
    y = t.linear(x, f)
    y = t.groupnorm(y, 256)
    y = t.swish(y)
    y = feat_param(t, y, 'multiply_weight', 'mul')
    return t.swish(y)


def s89(t):
    x, co = conv_in(t, 3, 128, 3, 16, (16, 32, 32))
    y = t.conv(x, 3, co, 3, s=2, p=1, op=1, transposed=True)
    y = t.pool(y, 'max', 3, 2)
    y = t.softmax(y, 1, 2)
    y = bias_chan(t, y, 'subtract', 'sub')
    y = t.swish(y)
    return t.reduce(y, 'max', 1, 2, keepdim=False)


def s90(t):
    x, co = conv_in(t, 3, 128, 8, 64, (16, 64, 64))
    y = t.conv(x, 3, co, 3)
    y = t.ew(y, 'leaky', 0.2)
    y = bias_chan(t, y, 'sum_tensor')
    y = t.ew(y, 'clamp', (-1.0, 1.0))
    return t.ew(y, 'gelu')


def s91(t):
    x, co = conv_in(t, 2, 128, 64, 128, (64, 64))
    y = t.conv(x, 2, co, 4, s=2, p=1, op=1, transposed=True)
    y = t.softmax(y, 1, 2)
    y = bias_chan(t, y)
    y = t.ew(y, 'mul', 2.0)
    return t.ew(y, 'sigmoid')


def s92(t):
    x, co = conv_in(t, 2, 128, 8, 64, (128, 128), cout_smoke=16)
    c = t.conv(x, 2, co, 3)
    y = t.groupnorm(c, 16)
    y = t.ew(y, 'tanh')
    y = t.ew(y, 'hardswish')
    y = t.ewt(y, 'add', c, 'x_conv + that (residual)')
    return t.reduce(y, 'lse', 1, 2)


def s93(t):
    x, co = conv_in(t, 2, 128, 64, 128, (64, 64), xdist='uniform(-6,6)')
    y = t.conv(x, 2, co, 4, s=2, transposed=True)
    y = t.ew(y, 'add', 0.5)
    y = t.ew(y, 'minc', 0.0, desc='min(x, 0.0)')
    y = t.ew(y, 'gelu')
    t.note('with x ~ U[0,1) (KernelBench) the conv output has std ~0.1, so x + 0.5 > 0 almost everywhere '
           'and min(x, 0) makes the output ~all zeros (near-degenerate); x is drawn from uniform(-6, 6) '
           'instead (conv output std ~0.7, about a quarter of the outputs nonzero)')
    return t.ew(y, 'mul', 2.0)


def s94(t):
    x, f = lin_in(t, 1024, 8192, 8192, f_smoke=512, f_multiple=256)
    y = t.linear(x, f)
    y = feat_param(t, y, 'bias')
    y = t.ew(y, 'clamp', (-1.0, 1.0), desc='hardtanh(-1, 1)')
    y = t.ew(y, 'mish')
    return t.groupnorm(y, 256)


def s95(t):
    x, f = lin_in(t, 1024, 8192, 8192)
    y = t.linear(x, f)
    y = feat_param(t, y, 'add_value')
    y = t.swish(y)
    y = t.ew(y, 'tanh')
    y = t.ew(y, 'gelu')
    return t.ew(y, 'clamp', (-1.0, 1.0), desc='hardtanh(-1, 1)')


def s96(t):
    x, co = conv_in(t, 3, 128, 3, 16, (16, 32, 32))
    y = t.conv(x, 3, co, 3, s=2, p=1, transposed=True)
    y = t.ew(y, 'mul', 0.5)
    y = t.pool(y, 'max', 3, 2)
    y = t.reduce(y, 'mean', 2, 5, desc='global average pool over dims 2,3,4 -> [N, C, 1, 1, 1]')
    t.note(POOL_NOTE)
    return t.ew(y, 'clamp', (0.0, 1.0))


def s97(t):
    x, f = lin_in(t, 1024, 8192, 8192)
    y = t.linear(x, f)
    y = t.batchnorm(y)
    b = t.input('bias', [lit(1)], 'randn')
    y = t.ewp(y, 'add', b, 'scalar', '+ bias (shape (1,) ~ randn)')
    y = t.ew(y, 'div', 1.0)
    return t.swish(y)


def s98(t):
    x, f = lin_in(t, 1024, 8192, 8192, f_smoke=35)
    y = t.linear(x, f)
    y = t.pool(y, 'avg', 1, 16, names=['Fp'])
    y = t.ew(y, 'gelu')
    y = t.ew(y, 'mul', 2.0)
    return t.reduce(y, 'max', 1, 2, keepdim=False)


def s99(t):
    x, f = lin_in(t, 1024, 8192, 8192)
    y = t.linear(x, f)
    y = t.ew(y, 'gelu')
    t.tol = (1e-7, 1e-4, SOFTMAX_WIDE % ('8192', '1.2e-4', 1e-7))
    return t.softmax(y, 1, 2)


def s100(t):
    x, co = conv_in(t, 3, 16, 64, 128, (24, 48, 48))
    y = t.conv(x, 3, co, 3, s=2, p=1, transposed=True)
    y = t.ew(y, 'clamp', (-1.0, None))
    t.note('clamp(min=-1) rarely binds for these weights; the task is mostly conv_transpose3d / 2')
    return t.ew(y, 'div', 2.0)


SPECS = {int(k[1:]): v for k, v in globals().items() if re.fullmatch(r's\d+', k)}


# Hand-written files: (number, file) -> why (solutions) or (expected status, why) (wrong variants).
GEMV_WHY = ('algebra: the chain is linear up to the feature sum, so x @ w^T summed over features is x . (column sums '
            'of w); one pass over w plus a GEMV replaces the GEMM. Memory-bound (~0.3 GB at main size, ~0.15 ms); '
            'predicted ~15-20x over the cuBLAS reference (the verifier will flag it suspicious: > 10x)')
HAND = {
    (14, 'solution_fast.cu'): GEMV_WHY,
    (18, 'solution_fast.cu'): GEMV_WHY + '; the max/mean/logsumexp over the size-1 dim are identities',
    (51, 'solution_fast.cu'): GEMV_WHY.replace('feature sum', 'feature mean') + '; then one residual-add pass',
}


def read_tsv():
    rows = {}
    with open(TSV) as f:
        next(f)
        for line in f:
            r = line.rstrip('\n').split('\t')
            if r[0] == '2':
                rows[int(r[1])] = r
    return rows


def build(num, rows):
    t = Task(num)
    t.name = rows[num][2]
    t.dir = os.path.join(ROOT, 'data', 'level2', '%03d_%s' % (num, t.name))
    SPECS[num](t)
    return t


def write(path, text):
    old = open(path).read() if os.path.exists(path) else None
    if old != text:
        with open(path, 'w') as f:
            f.write(text)


def main():
    args = sys.argv[1:]
    only = None
    if '--only' in args:
        only = [int(v) for v in args[args.index('--only') + 1].split(',')]
    rows = read_tsv()
    table = '--table' in args
    for num in sorted(SPECS):
        if only and num not in only:
            continue
        t = build(num, rows)
        os.makedirs(t.dir, exist_ok=True)
        # codegen mutates buffer names: build fresh tasks for each file
        write(os.path.join(t.dir, 'reference.cu'), gen_cuda(build(num, rows), 'ref'))
        write(os.path.join(t.dir, 'solution_simple.cu'), gen_cuda(build(num, rows), 'simple'))
        write(os.path.join(t.dir, 'cpu_reference.c'), gen_cpu(build(num, rows)))
        gen = {}
        for f in os.listdir(t.dir):
            if f.startswith('wrong_') and (num, f) not in HAND:
                os.remove(os.path.join(t.dir, f))      # stale generated variant
        tf = build(num, rows)
        if fast_conv_eligible(tf, choose_main(tf)[0]) and (num, 'solution_fast.cu') not in HAND:
            write(os.path.join(t.dir, 'solution_fast.cu'), gen_fast_conv(tf))
            c = tf.ops[0]
            taps = py_eval(c.x.shape[1].expr, choose_main(tf)[0]) * c.k ** c.nd
            gen[(num, 'solution_fast.cu')] = FAST_CONV_WHY % (len(tf.ops) - 1, taps)
        for f, text, expect, why in gen_wrong(num, rows):
            write(os.path.join(t.dir, f), text)
            gen[(num, f)] = (expect, why)
        meta = dict(HAND)
        meta.update(gen)
        j, main_sizes = task_json(t, rows[num], meta)
        if table:
            print('%3d %-60s in %.2f GB est %.2f ms %s' % (num, t.name[:60], input_bytes(t, main_sizes) / 1e9,
                                                         est_seconds(t, main_sizes) * 1e3,
                                                         'EXCL' if t.excluded else ''))
        write(os.path.join(t.dir, 'task.json'), json.dumps(j, indent=2) + '\n')


# ------------------------------------------------------------------------------------------------
# Known-wrong variants, derived from the simple solution by one deliberate bug each. Every bug is
# chosen so that a strict verifier's verdict is certain (TASK_FORMAT.md: `expect`).
SKIP_OK = ('sigmoid', 'gelu', 'mish', 'hardswish', 'softplus', 'selfadd', 'mul_t', 'add_t')


def skip_candidate(task):
    """The last op whose removal certainly changes the output: a value-changing elementwise op with
    no norm/softmax after it (those are shift/scale invariant), or a norm/softmax itself."""
    ops = task.ops
    for i in range(len(ops) - 1, -1, -1):
        o = ops[i]
        later = ops[i + 1:]
        if isinstance(o, (SoftmaxOp, BatchNormOp, LayerNormOp)) or (isinstance(o, RowNormOp) and o.kind == 'group'):
            return i
        if any(isinstance(q, (SoftmaxOp, BatchNormOp, LayerNormOp, RowNormOp)) for q in later):
            continue
        if not isinstance(o, EwOp) or o.xmode != 'full' or o.out.shape is not o.x.shape:
            continue
        k = o.key
        if k in SKIP_OK or o.p is not None:
            return i
        m = re.fullmatch(r'(add|sub|mul|div)_(.*)', k)
        if m and m.group(2) not in ('0p0', '1p0') and o.r is None:
            return i
    return None


def drop_op(task, i):
    o = task.ops.pop(i)
    for q in task.ops[i:]:
        for attr in ('x', 'p', 'r', 'w', 'b'):
            if getattr(q, attr, None) is o.out:
                setattr(q, attr, o.x)
    return o


def wrong_header(src, expect, why):
    body = src.split('\n\n', 1)[1]
    return wrap_comment('// Known-wrong variant (expected verdict: %s): %s' % (expect, why)) + '\n' + body


def final_kernel(src):
    fw = src[src.index('\nvoid forward('):]
    launches = re.findall(r'\n    (\w+)<<<', fw)
    return launches[-1] if launches else None


def gen_wrong(num, rows):
    """[(file, text, expect, why)] for task num."""
    out = []
    t = build(num, rows)
    if t.excluded:
        return out
    smoke = {s[0]: s[2] for s in t.sizes}
    simple = gen_cuda(build(num, rows), 'simple')

    # 1. an op left out
    tk = build(num, rows)
    i = skip_candidate(tk)
    if i is not None:
        o = drop_op(tk, i)
        why = 'leaves out one op of the chain: %s' % o.comment
        src = gen_cuda(tk, 'simple')
        out.append(('wrong_skip_op.cu', wrong_header(src, 'wrong_output', why), 'wrong_output', why))

    # 2. GEMM without the K tail
    if 'linear_tiled_kernel' in simple or 'matmul_tiled_kernel' in simple:
        a = 'for (int k0 = 0; k0 < K; k0 += 16) {'
        src = simple.replace(a, 'for (int k0 = 0; k0 + 16 <= K; k0 += 16) {   // bug: drops the last K % 16 columns')
        assert src != simple
        why = ('the tiled GEMM loop stops before the last partial K tile, so any K not a multiple of 16 (the '
               'smoke size %d, the odd-size variant) loses terms' % smoke[t.ops[0].x.shape[1].code] if isinstance(t.ops[0], LinearOp)
               else 'the tiled GEMM loop stops before the last partial K tile (K not a multiple of 16 loses terms)')
        out.append(('wrong_k_tail.cu', wrong_header(src, 'wrong_output', why), 'wrong_output', why))

    # 3. unbiased variance in a norm (changes the output by a factor sqrt((M-1)/M), large at smoke size)
    reps = [('double m = s / M, var = q / M - m * m;', 'double m = s / M, var = (q - s * m) / (M - 1);'),
            ('double m = s / B, var = q / B - m * m;', 'double m = s / B, var = (q - s * m) / (B - 1);'),
            ('double cnt = (double)N * (double)S, m = s / cnt, var = q / cnt - m * m;',
             'double cnt = (double)N * (double)S, m = s / cnt, var = (q - s * m) / (cnt - 1.0);'),
            ('float rstd = rsqrtf(warp_sum(q) / L + eps);', 'float rstd = rsqrtf(warp_sum(q) / (L - 1) + eps);')]
    norm_then_mean = num in (23, 27, 77)     # a mean of normalized values is least sensitive: not used
    if not norm_then_mean and any(a in simple for a, _ in reps):
        src = simple
        for a, b in reps:
            src = src.replace(a, b + '   // bug: unbiased variance')
        why = ('normalizes with the unbiased variance (divides by M - 1); PyTorch norms use the biased one. '
               'The outputs differ by a factor sqrt(M/(M-1)), far beyond tolerance at the smoke size')
        out.append(('wrong_unbiased_var.cu', wrong_header(src, 'wrong_output', why), 'wrong_output', why))

    # 4. no bounds check in the last kernel (only where the smoke output is not a multiple of 256)
    k = final_kernel(simple)
    nout = py_eval(t.ops[-1].out.numel_expr(), smoke)
    guard = re.search(r'__global__ void %s\(.*?\n(    if \((i|t) >= n\) return;\n)' % k, simple, re.S)
    if guard and nout % 256 != 0 and not out[2:]:
        src = simple.replace(guard.group(0), guard.group(0).replace(guard.group(1), ''))
        why = ('the last kernel has no bounds check: the threads of the last block past n write into the '
               'bytes after `out` (the smoke output has %d elements, not a multiple of 256)' % nout)
        out.append(('wrong_no_bounds.cu', wrong_header(src, 'wrong_output', why), 'wrong_output', why))

    # 5. an input modified (every 7th task)
    if num % 7 == 0:
        kern = '''// bug: reuses the first elements of the input x as scratch after the computation
__global__ void scribble_kernel(const float* x, long n) {
    long i = threadIdx.x;
    if (i < n) ((float*)x)[i] = -1.0f;
}
'''
        xn = t.params[0][1].numel_code()
        src = simple.replace('\nvoid forward(', '\n' + kern + '\nvoid forward(')
        last_free = src.rindex('    cudaFree(')
        src = src[:last_free] + '    scribble_kernel<<<1, 32>>>(x, %s);\n' % xn + src[last_free:]
        why = 'writes -1 into the first 32 elements of the input x after computing a correct output'
        out.append(('wrong_input_mutated.cu', wrong_header(src, 'input_mutated', why), 'input_mutated', why))
    return out


# ------------------------------------------------------------------------------------------------
# Fast solutions generated for direct-conv chains: a convolution with few input taps (Cin * k^nd
# <= 256, stride 1, no padding) followed only by per-element ops. One kernel computes a chunk of 16
# output channels for one output position per thread (weights of the chunk in shared memory, read
# as broadcasts) and applies the whole chain in registers before the only store: the reference's
# separate elementwise passes over the conv output disappear.
def fast_conv_eligible(task, main):
    if not isinstance(task.ops[0], ConvOp):
        return False
    c = task.ops[0]
    if c.transposed or c.s != 1 or c.p != 0 or c.b is None:
        return False
    cin = py_eval(c.x.shape[1].expr, main)
    if cin * c.k ** c.nd > 256 or py_eval(c.cout.expr, main) > 64:
        return False
    for o in task.ops[1:]:
        if not isinstance(o, EwOp) or o.xmode != 'full' or o.out.shape is not c.out.shape:
            return False
        if o.p is not None and o.pmode not in ('chan', 'scalar'):
            return False
        if o.r is not None and o.rmode != 'full':
            return False
    return True


FAST_CONV = """// Fast solution for L2/@NUM@ @NAME@: one kernel. A direct convolution (stride 1, no
// padding) computes CO = 16 output channels of one output position per thread, with the chunk's
// weights in shared memory (every thread reads the same weight: a broadcast) and each input value
// loaded once per chunk; the whole elementwise chain runs in registers before the only store. The
// reference instead writes the conv output, then reads and writes it again once per op.

#define KS @K@          // kernel size (spatial dims)
#define KD @KD@          // kernel depth (1 for a 2-D conv)
#define CO 16         // output channels per thread
#define MAX_TAPS 256  // Cin * KD * KS * KS: at most 8 * 27 = 216 in this task suite

// x [N, Cin, D, H, W] -> out [N, Cout, Do, Ho, Wo] (2-D: D = Do = 1); w [Cout, Cin, KD, KS, KS];
// blockIdx.y picks the chunk of CO output channels
__global__ void conv_chain_kernel(const float* x, const float* w, const float* b, @PSIG@float* out,
                                  int N, int Cin, int D, int H, int W, int Cout, int Do, int Ho, int Wo) {
    __shared__ __align__(16) float ws[MAX_TAPS * CO];   // [tap][CO]: the chunk's weights, tap-major
    int co0 = blockIdx.y * CO;
    int taps = Cin * KD * KS * KS;
    for (int i = threadIdx.x; i < taps * CO; i += blockDim.x) {
        int t = i / CO, j = i % CO;
        ws[i] = co0 + j < Cout ? w[(long)(co0 + j) * taps + t] : 0.0f;
    }
    __syncthreads();
    long pos = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (pos >= (long)N * Do * Ho * Wo) return;
    int ow = (int)(pos % Wo), oh = (int)((pos / Wo) % Ho), od = (int)((pos / ((long)Wo * Ho)) % Do);
    int n = (int)(pos / ((long)Wo * Ho * Do));
    float acc[CO];
#pragma unroll
    for (int j = 0; j < CO; j++) acc[j] = 0.0f;
    for (int ci = 0; ci < Cin; ci++) {
        const float* xc = x + (((long)n * Cin + ci) * D + od) * H * W + (long)oh * W + ow;
        const float* wc = ws + ci * (KD * KS * KS) * CO;
#pragma unroll
        for (int a = 0; a < KD; a++)
#pragma unroll
            for (int kh = 0; kh < KS; kh++)
#pragma unroll
                for (int kw = 0; kw < KS; kw++) {
                    float v = xc[((long)a * H + kh) * W + kw];
                    const float4* wt = (const float4*)(wc + ((a * KS + kh) * KS + kw) * CO);
#pragma unroll
                    for (int q = 0; q < CO / 4; q++) {
                        float4 w4 = wt[q];
                        acc[4 * q] += v * w4.x;
                        acc[4 * q + 1] += v * w4.y;
                        acc[4 * q + 2] += v * w4.z;
                        acc[4 * q + 3] += v * w4.w;
                    }
                }
    }
    long plane = (long)Do * Ho * Wo, off = pos - (long)n * plane;
#pragma unroll
    for (int j = 0; j < CO; j++) {
        int co = co0 + j;
        if (co < Cout) {
            float v0 = acc[j] + b[co];
@CHAIN@
            out[((long)n * Cout + co) * plane + off] = @LAST@;
        }
    }
}

@SIG@ {
@LOCALS@    long npos = (long)@N@ * @OSP@;
    conv_chain_kernel<<<dim3((npos + 127) / 128, (@COUT@ + 15) / 16), 128>>>(@ARGS@);   // 16 = CO
}
"""


def gen_fast_conv(task):
    c = task.ops[0]
    nd = c.nd
    names = {id(c.out): 'v0'}
    lines = []
    pargs = []
    for i, o in enumerate(task.ops[1:], 1):
        e = to_cuda(o.expr)
        e = re.sub(r'\bv\b', names[id(o.x)], e)
        if o.r is not None:
            e = re.sub(r'\br\b', names[id(o.r)], e)
        if o.p is not None:
            if o.p.name not in pargs:
                pargs.append(o.p.name)
            e = re.sub(r'\bp\b', '%s[%s]' % (o.p.name, 'co' if o.pmode == 'chan' else '0'), e)
        names[id(o.out)] = 'v%d' % i
        lines.append('            float v%d = %s;   // %s' % (i, e, o.comment))
    sp = [d.code for d in c.sp]
    osp = [d.code for d in c.outsp]
    if nd == 2:
        sp, osp = ['1'] + sp, ['1'] + osp
    args = ['x', c.w.name, c.b.name] + pargs + ['out', c.x.shape[0].code, c.x.shape[1].code] + sp + \
        [c.cout.code] + osp
    rep = {'@NUM@': str(task.num), '@NAME@': task.name, '@K@': str(c.k), '@KD@': str(c.k if nd == 3 else 1),
           '@PSIG@': ''.join('const float* %s, ' % n for n in pargs), '@CHAIN@': '\n'.join(lines),
           '@LAST@': 'v%d' % (len(task.ops) - 1), '@SIG@': task.signature(),
           '@LOCALS@': ''.join('    int %s = %s;\n' % (nm, code) for nm, code in task.locals),
           '@N@': c.x.shape[0].code, '@OSP@': ' * '.join(d.code for d in c.outsp), '@COUT@': c.cout.code,
           '@ARGS@': ', '.join(args)}
    text = FAST_CONV
    for k, v in rep.items():
        text = text.replace(k, v)
    return text


FAST_CONV_WHY = ('one kernel: direct conv (16 output channels per thread, weights broadcast from shared memory) with '
                 'the %d elementwise ops of the chain applied in registers before the only store; the reference '
                 'runs cuDNN, then reads and writes the conv output once per op. With %d input taps per output the '
                 'conv is cheap and the reference is dominated by those passes: predicted ~1.5-3x (unmeasured)')


if __name__ == '__main__':
    main()
