// The GPU model engine's device code (src/14_engine_gpu.h, src/15_sampling.h). Compiled by NVRTC
// with kernels/philox.cuh pasted in front. Every kernel mirrors a CPU reference op of src/12_model.h
// or src/13_train.h. Tensors are stored as fp32 or bf16 (flag `bf`, the same for every tensor of a
// call: weights and activations share the engine's dtype); all arithmetic is fp32 (double where the
// CPU reference sums in double). bf16 is raw 16-bit patterns, so no header is needed.
// Reductions run in a fixed order per block (no atomics on activations): results do not depend on
// the batch around a row, and a run repeats bit for bit.

typedef unsigned long long u64;
#ifndef INFINITY
#define INFINITY __int_as_float(0x7f800000)   // NVRTC has no math.h
#endif

__device__ __forceinline__ float kgrl_bf2f(unsigned short h) { return __uint_as_float(((unsigned int)h) << 16); }
__device__ __forceinline__ unsigned short kgrl_f2bf(float f) {
    unsigned int u = __float_as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (unsigned short)((u >> 16) | 0x40u); // NaN stays NaN
    u += 0x7fffu + ((u >> 16) & 1u);                                                 // round to nearest even
    return (unsigned short)(u >> 16);
}
__device__ __forceinline__ float kgrl_ld(const void* p, u64 i, int bf) {
    return bf ? kgrl_bf2f(((const unsigned short*)p)[i]) : ((const float*)p)[i];
}
__device__ __forceinline__ void kgrl_st(void* p, u64 i, float x, int bf) {
    if (bf) ((unsigned short*)p)[i] = kgrl_f2bf(x);
    else ((float*)p)[i] = x;
}

__device__ __forceinline__ float kgrl_round(float x, int bf) { return bf ? kgrl_bf2f(kgrl_f2bf(x)) : x; }
// The elements of a 16-byte chunk as floats: 8 bf16 (little-endian: element 2j in the low half of
// word j, 2j + 1 in the high half) or 4 fp32
template <int BF>
__device__ __forceinline__ void kgrl_unpack16(uint4 c, float* v) {
    unsigned int u[4] = {c.x, c.y, c.z, c.w};
#pragma unroll
    for (int j = 0; j < 4; j++) {
        if (BF) { v[2 * j] = __uint_as_float(u[j] << 16); v[2 * j + 1] = __uint_as_float(u[j] & 0xffff0000u); }
        else v[j] = __uint_as_float(u[j]);
    }
}

// Programmatic dependent launch (sm_90 and later; src/14_engine_gpu.h launches every kernel of this
// file with it there): a kernel's blocks may start before the kernel ahead of it in the stream has
// finished. So every kernel here calls kgrl_dep_wait() before it touches memory that the kernel just
// ahead of it writes, and calls kgrl_dep_launch() only once its own wait has returned, which lets the
// next kernel's blocks start. Hence a kernel's blocks start only after every kernel two or more
// launches back has finished: the decode GEMV and attention read weights and such older data (biases,
// the residual, the cache slot, the KV cache of earlier steps) before their wait.
// Kernels that write weights (AdamW, casts) never call it, so nothing can read weights ahead of them.
// One exception: a decode GEMV launch with io.xa_late (kgrl_gemv_run, kgrl_gemv_mma_run) follows its
// own LoRA A launch, which writes only the xa that this launch's epilogue reads. It reads its x (from
// two launches back) without waiting, triggers at once, and waits just before its epilogue, so the A
// launch runs beside its dot products. The kernel after it may then start before that A launch has
// finished; it reads nothing the A launch writes, and its own wait still covers both.
// Without the launch attribute, or below sm_90, both are no-ops.
__device__ __forceinline__ void kgrl_dep_wait(void) {
#if __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}
__device__ __forceinline__ void kgrl_dep_launch(void) {
#if __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

// Block-wide sum / max for blockDim.x a multiple of 32 (<= 1024); every thread gets the result.
// Fixed order: warp shuffles, then warp 0 over the per-warp values.
__device__ float kgrl_block_sum(float v, float* sh) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    int w = threadIdx.x >> 5, l = threadIdx.x & 31, nw = blockDim.x >> 5;
    __syncthreads();
    if (l == 0) sh[w] = v;
    __syncthreads();
    float s = 0.0f;
    for (int i = 0; i < nw; i++) s += sh[i];
    return s;
}
__device__ double kgrl_block_sum_d(double v, double* sh) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    int w = threadIdx.x >> 5, l = threadIdx.x & 31, nw = blockDim.x >> 5;
    __syncthreads();
    if (l == 0) sh[w] = v;
    __syncthreads();
    double s = 0.0;
    for (int i = 0; i < nw; i++) s += sh[i];
    return s;
}
__device__ float kgrl_block_max(float v, float* sh) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    int w = threadIdx.x >> 5, l = threadIdx.x & 31, nw = blockDim.x >> 5;
    __syncthreads();
    if (l == 0) sh[w] = v;
    __syncthreads();
    float m = -INFINITY;
    for (int i = 0; i < nw; i++) m = fmaxf(m, sh[i]);
    return m;
}
// Whether this block is the last of n to arrive at *count (every thread of the block calls it and gets
// the answer): what each thread wrote before the call is visible to that last block. The last block
// resets *count to 0 when it is done, ready for the next launch.
__device__ bool kgrl_last_block(unsigned int* count, unsigned int n) {
    __shared__ int last;
    __threadfence();   // this thread's writes are visible to every block before the count says so
    __syncthreads();
    if (threadIdx.x == 0) last = atomicAdd(count, 1u) == n - 1;
    __syncthreads();
    if (last) __threadfence();
    return last;
}

// ---------------------------------------------------------------------------------------------
// embedding: out (N, C) = wte[tokens]; grid N, block 256
extern "C" __global__ void kgrl_k_embedding_fwd(void* out, const int* tokens, const void* wte, int N, int C, int bf) {
    kgrl_dep_wait();
    kgrl_dep_launch();
    int n = blockIdx.x;
    if (n >= N) return;
    u64 src = (u64)tokens[n] * C, dst = (u64)n * C;
    for (int c = threadIdx.x; c < C; c += blockDim.x) kgrl_st(out, dst + c, kgrl_ld(wte, src + c, bf), bf);
}
// dwte (V, C) fp32 += dout rows, each row of dwte summing its token's positions in position order
// (the CPU's order) without atomics, so a step's gradient has the same bits every run. The atomics
// this replaced made one seed's pretraining give another model each run (NOTES, twentieth session).
// The host groups the positions (kgrl_gpu_embedding_backward): ids (U) the distinct tokens, start
// (U + 1) into pos (N). grid U, block 256.
extern "C" __global__ void kgrl_k_embedding_bwd(float* dwte, const void* dout, const int* ids, const int* start, const int* pos,
                                                int U, int C, int bf) {
    kgrl_dep_wait();
    int u = blockIdx.x;
    if (u >= U) return;
    int i0 = start[u], i1 = start[u + 1];
    float* row = dwte + (u64)ids[u] * C;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float s = row[c];
        for (int i = i0; i < i1; i++) s += kgrl_ld(dout, (u64)pos[i] * C + c, bf);
        row[c] = s;
    }
}

// ---------------------------------------------------------------------------------------------
// RMSNorm: grid N rows, block 256. rstd (N) fp32.
// The row's 1 / rms from its sum of squares, and one normalized value: transformers computes
// weight * (x * r).to(dtype), so the normalized value is rounded before the multiply
__device__ __forceinline__ float kgrl_rmsnorm_rstd(float ss, int C, float eps) { return 1.0f / sqrtf(ss / (float)C + eps); }
__device__ __forceinline__ float kgrl_rmsnorm_value(float x, float r, float w, int bf) {
    float xn = x * r;
    if (bf) xn = kgrl_bf2f(kgrl_f2bf(xn));
    return w * xn;
}
// Row n from its thread-partial sum of squares ss (the loop order of both norm kernels below).
__device__ __forceinline__ void kgrl_rmsnorm_row(void* out, float* rstd, const void* inp, const void* weight, float ss,
                                                 float eps, int n, int C, int bf, float* sh) {
    u64 base = (u64)n * C;
    ss = kgrl_block_sum(ss, sh);
    float r = kgrl_rmsnorm_rstd(ss, C, eps);
    for (int c = threadIdx.x; c < C; c += blockDim.x)
        kgrl_st(out, base + c, kgrl_rmsnorm_value(kgrl_ld(inp, base + c, bf), r, kgrl_ld(weight, c, bf), bf), bf);
    if (threadIdx.x == 0) rstd[n] = r;
}
extern "C" __global__ void kgrl_k_rmsnorm_fwd(void* out, float* rstd, const void* inp, const void* weight, float eps,
                                              int N, int C, int bf) {
    kgrl_dep_wait();
    kgrl_dep_launch();
    __shared__ float sh[32];
    int n = blockIdx.x;
    if (n >= N) return;
    u64 base = (u64)n * C;
    float ss = 0.0f;
    for (int c = threadIdx.x; c < C; c += blockDim.x) { float x = kgrl_ld(inp, base + c, bf); ss += x * x; }
    kgrl_rmsnorm_row(out, rstd, inp, weight, ss, eps, n, C, bf, sh);
}
// sum = a + b (stored in the storage dtype), then RMSNorm of the stored sum: a residual add and the
// norm after it in one launch, with the float results of the two kernels (sum may alias a).
extern "C" __global__ void kgrl_k_add_rmsnorm_fwd(void* out, float* rstd, void* sum, const void* a, const void* b,
                                                  const void* weight, float eps, int N, int C, int bf) {
    kgrl_dep_wait();
    kgrl_dep_launch();
    __shared__ float sh[32];
    int n = blockIdx.x;
    if (n >= N) return;
    u64 base = (u64)n * C;
    float ss = 0.0f;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        kgrl_st(sum, base + c, kgrl_ld(a, base + c, bf) + kgrl_ld(b, base + c, bf), bf);
        float x = kgrl_ld(sum, base + c, bf);   // the rounded value, as a separate norm would read it
        ss += x * x;
    }
    kgrl_rmsnorm_row(out, rstd, sum, weight, ss, eps, n, C, bf, sh);
}
// dinp (N, C) += ...; the weight's gradient is kgrl_k_colsum's (dout * inp * rstd summed over rows)
extern "C" __global__ void kgrl_k_rmsnorm_bwd(void* dinp, const void* dout, const void* inp, const void* weight,
                                              const float* rstd, int N, int C, int bf) {
    kgrl_dep_wait();
    __shared__ float sh[32];
    int n = blockIdx.x;
    if (n >= N) return;
    u64 base = (u64)n * C;
    float r = rstd[n], dot = 0.0f;
    for (int c = threadIdx.x; c < C; c += blockDim.x)
        dot += kgrl_ld(weight, c, bf) * kgrl_ld(dout, base + c, bf) * kgrl_ld(inp, base + c, bf);
    dot = kgrl_block_sum(dot, sh);
    float k = dot * r * r * r / (float)C;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float x = kgrl_ld(inp, base + c, bf), dy = kgrl_ld(dout, base + c, bf);
        kgrl_st(dinp, base + c, kgrl_ld(dinp, base + c, bf) + r * kgrl_ld(weight, c, bf) * dy - k * x, bf);
    }
}

// ---------------------------------------------------------------------------------------------
// elementwise
// sum (OC) fp32 += column sums of a (N, OC), or of a * b * row_scale[n] when b and row_scale are given
// (a bias's gradient; an RMSNorm weight's: dout * inp * rstd). grid ceil(OC/32), block 1024: thread
// (lane = tid % 32, part = tid / 32) sums rows part, part+32, ... of column blockIdx.x*32 + lane, then
// part 0 adds the 32 partial sums in order (a fixed order, so the result does not depend on the run;
// one thread per column over all N rows was ms-slow at N = 16k)
extern "C" __global__ void kgrl_k_colsum(float* sum, const void* a, const void* b, const float* row_scale, int N, int OC, int bf) {
    kgrl_dep_wait();
    __shared__ float part_sum[32][33];
    int lane = threadIdx.x % 32, part = threadIdx.x / 32, o = blockIdx.x * 32 + lane;
    float s = 0.0f;
    if (o < OC && b)
        for (int n = part; n < N; n += 32) s += kgrl_ld(a, (u64)n * OC + o, bf) * kgrl_ld(b, (u64)n * OC + o, bf) * row_scale[n];
    else if (o < OC)
        for (int n = part; n < N; n += 32) s += kgrl_ld(a, (u64)n * OC + o, bf);
    part_sum[part][lane] = s;
    __syncthreads();
    if (part == 0 && o < OC) {
        float t = 0.0f;
        for (int k = 0; k < 32; k++) t += part_sum[k][lane];
        sum[o] += t;
    }
}
// SwiGLU: out = silu(gate) * up (HF: act_fn(gate) rounded, then * up)
extern "C" __global__ void kgrl_k_swiglu_fwd(void* out, const void* gate, const void* up, u64 n, int bf) {
    kgrl_dep_wait();
    kgrl_dep_launch();
    for (u64 i = blockIdx.x * (u64)blockDim.x + threadIdx.x; i < n; i += (u64)gridDim.x * blockDim.x) {
        float g = kgrl_ld(gate, i, bf);
        float s = g / (1.0f + expf(-g));
        if (bf) s = kgrl_bf2f(kgrl_f2bf(s));
        kgrl_st(out, i, s * kgrl_ld(up, i, bf), bf);
    }
}
extern "C" __global__ void kgrl_k_swiglu_bwd(void* dgate, void* dup, const void* dout, const void* gate, const void* up,
                                             u64 n, int bf) {
    kgrl_dep_wait();
    for (u64 i = blockIdx.x * (u64)blockDim.x + threadIdx.x; i < n; i += (u64)gridDim.x * blockDim.x) {
        float g = kgrl_ld(gate, i, bf), u = kgrl_ld(up, i, bf), d = kgrl_ld(dout, i, bf);
        float sg = 1.0f / (1.0f + expf(-g));
        kgrl_st(dgate, i, kgrl_ld(dgate, i, bf) + d * u * sg * (1.0f + g * (1.0f - sg)), bf);
        kgrl_st(dup, i, kgrl_ld(dup, i, bf) + d * g * sg, bf);
    }
}
// LoRA dropout: out = inp * mask (0 or 1/(1-p)), mask from Philox (seed, stream, i) as the CPU does.
// acc != 0: out += inp * mask instead (the backward's dinp).
extern "C" __global__ void kgrl_k_dropout(void* out, const void* inp, float p, u64 seed, u64 stream, u64 n, int acc, int bf) {
    kgrl_dep_wait();
    for (u64 i = blockIdx.x * (u64)blockDim.x + threadIdx.x; i < n; i += (u64)gridDim.x * blockDim.x) {
        float m = kgrl_uniform_at_dev(seed, stream, i) >= p ? 1.0f / (1.0f - p) : 0.0f;
        float v = kgrl_ld(inp, i, bf) * m;
        kgrl_st(out, i, acc ? kgrl_ld(out, i, bf) + v : v, bf);
    }
}
// fp32 -> storage dtype copy (the bf16 shadow of the LoRA parameters)
extern "C" __global__ void kgrl_k_cast(void* out, const float* inp, u64 n, int bf) {
    kgrl_dep_wait();
    for (u64 i = blockIdx.x * (u64)blockDim.x + threadIdx.x; i < n; i += (u64)gridDim.x * blockDim.x) kgrl_st(out, i, inp[i], bf);
}
// storage dtype -> fp32 (tests read results back through this)
extern "C" __global__ void kgrl_k_to_f32(float* out, const void* inp, u64 n, int bf) {
    kgrl_dep_wait();
    for (u64 i = blockIdx.x * (u64)blockDim.x + threadIdx.x; i < n; i += (u64)gridDim.x * blockDim.x) out[i] = kgrl_ld(inp, i, bf);
}

// ---------------------------------------------------------------------------------------------
// Decode GEMV: the projections of a step of N <= 8 rows (batch-1..8 decode), where cuBLAS at one row
// is latency-bound. Up to 3 segments (weights with their own outputs, e.g. q, k, v) share the input
// x (N, K) and run in one launch; segment s computes, for n < N and o < OC_s,
//     y[n, o] = x[n, :] . W[o, :] + bias[o] + scale * xa[n, :] . lb[o, :]      (fp32, rounded once)
// and then, as the launch's io says (each the arithmetic of the kernel it replaces in a decode step):
//   - norm_w: x is the residual stream and the launch reads its RMSNorm: x[n, :] . W[o, :] above is
//     r_n * (x[n, :] * norm_w) . W[o, :] with r_n = 1 / rms(x[n, :]) from the sum of squares that each
//     unit accumulates over the chunks it loads anyway (fixed order, the same in every unit). So no
//     launch and no block has to finish the norm before the projection starts. The normalized input is
//     never rounded: in bf16 this differs from kgrl_k_rmsnorm_fwd then a GEMV by the two roundings
//     of each normalized value (~2^-9 relative each, averaged over the dot product);
//   - resid: out = y rounded, plus resid[n, o], rounded again (the residual add);
//   - swiglu: segments 0 (gate) and 1 (up) of one OC give h = silu(g) * u into segment 0's out, g and
//     u rounded first, silu rounded as kgrl_k_swiglu_fwd;
//   - a KGRL_GEMV_ROPE segment: rows (h, f) and (h, f + HS/2) are computed together, rounded, and
//     rotated by pos[n] as kgrl_k_rope_qkv; a KGRL_GEMV_CACHE segment's out is a KV cache (N, Tk, OC):
//     row n's outputs go to slot t0 (from t0p when set: the decode graph's moving slot).
// The LoRA term is added to the fp32 dot product before the single rounding; the cuBLAS path rounds
// x W^T + b first and adds s * xa B^T after, so in bf16 the two differ by up to one rounding (2^-9).
// Work units: a row, or a pair of rows (gate and up of o; a rope pair; for N >= 2 two rows of a plain
// segment, kgrl_gemv_find). S warps (1, 2 or 4, from K
// alone: the host) share a unit's row: lane l of part j sums chunks j*32 + l, + 32 S, ... in order
// (16-byte chunks: 8 bf16 or 4 fp32), the lanes are summed in a butterfly's tree (all N rows of x at
// once, kgrl_warp_sums, each lane then finishing one row), then the parts are summed in part order, so a
// row's bits depend neither on N nor on the rows beside it. Each lane keeps UT 16-byte
// weight loads in flight (a round), and loads its first round before kgrl_dep_wait: launched with
// programmatic dependent launch, the weights stream while the kernel before it finishes (no kernel of
// a decode step writes weights). block 32 * KGRL_GEMV_WARPS; KGRL_GEMV_WARPS / S units a block
// (kgrl_k_gemv_copy: as the host sizes it). Six entry points with the same per-row arithmetic:
// kgrl_k_gemv1 for N = 1 (fewer registers, a longer round), kgrl_k_gemv1_norm for N = 1 with norm_w
// (more blocks an SM), and for 2..8 rows kgrl_k_gemv (x staged a block, or the norm's launches
// unstaged), kgrl_k_gemv_loop (the norm's, past one wave), kgrl_k_gemv_copy (plain, units for one
// block an SM) and kgrl_k_gemv_stream (plain, the rest); the host (kgrl__gemv) picks. On tensor cores,
// with sums of their own, at every N: kgrl_k_gemv_mma takes the bf16 LM head, and kgrl_k_gemv_mma_wide
// and kgrl_k_gemv_mma_glu the bf16 launches past the host's KGRL__GEMV_MMA_BYTES (kgrl_gemv_mma_run). The
// multi-row ones have 16-row twins for 9..16 rows (kgrl_k_gemv16, _loop, _copy, _mma; none of _stream:
// the host takes such launches as two of 8 rows, kgrl__gemv_launch): the same code at MAXN 16, each
// weight chunk a lane loads serving all the rows. The tensor-core ones also have twins for 17..32 rows
// (kgrl_k_gemv32_mma, _wide, _glu) and 33..64 (kgrl_k_gemv64_mma, _glu). Past that the host cuts.
// Tuning history (H100, Qwen2.5-0.5B shapes, exp04 decode_split): occupancy decides for short rows,
// since a warp waits one round trip per round; 4 warps a block and at most 64 registers (8 blocks an
// SM) ran the LM head at 2.5 TB/s where 8 warps and 96 registers ran it at 1.5.
#define KGRL_GEMV_MAX_ROWS 16   // the most rows of x a launch: the host's KGRL__GEMV_MAX_ROWS
#define KGRL_GEMV_MMA_MAX_ROWS 64   // the tensor-core launches' (kgrl_gemv_mma_run, COLS 8): KGRL__GEMV_MMA_MAX_ROWS
#define KGRL_GEMV_SEGS 3
#define KGRL_GEMV_WARPS 4    // warps per block: the host's KGRL__GEMV_WARPS
#define KGRL_GEMV_ROPE 1     // kgrl_gemv_seg.flags
#define KGRL_GEMV_CACHE 2
struct kgrl_gemv_seg {      // the host's kgrl__gemv_seg (src/14_engine_gpu.h), byte for byte
    const void* W;          // (OC, K)
    const void* bias;       // (OC) or NULL
    const void* lb;         // LoRA B (OC, R) or NULL (no LoRA term)
    const void* xa;         // (N, R) this segment's LoRA A output, read where lb != NULL
    void* out;              // (N, OC); a cache segment's (N, Tk, OC); swiglu: segment 1's unused
    int OC, flags;          // flags: KGRL_GEMV_ROPE | KGRL_GEMV_CACHE
};
struct kgrl_gemv_segs { kgrl_gemv_seg s[KGRL_GEMV_SEGS]; int n; };
struct kgrl_gemv_io {       // the host's kgrl__gemv_io, byte for byte
    const void* x;          // (N, K) the input
    const void* resid;      // (N, OC) added after the rounding (plain one-segment launches), or NULL
    const void* norm_w;     // (K) the input's RMSNorm weight (x is then the residual stream), or NULL
    const int* pos;         // (N) the rope segments' positions
    const float* inv_freq;  // (HS / 2)
    const int* t0p;         // the cache segments' slot on the device, or NULL: t0
    float eps, scale;       // RMSNorm epsilon; LoRA scale
    int N, K, R, S, swiglu, bf, t0, Tk, HS, staged;   // staged: x in shared memory (kgrl_gemv_stage); 2: and LOOP
    int pairs;              // N >= 2: a plain segment's rows two a unit (kgrl_gemv_find)
    int rows;               // N >= 2: rows of x a group of blocks (blockIdx.y), or 0: all N
    int xa_late;            // the kernel just ahead is this launch's LoRA A launch: wait before the epilogue only
};
// A work unit: row o0 of segment s0, and with nw = 2 row o1 of segment s1 (f: a rope pair's frequency).
// PAIRS (the kernel of 2..8 rows) and io.pairs: a plain segment's rows go two a unit too, o and o + 1
// (f = -1), so that each chunk of x a lane loads and unpacks serves two weight rows; each row is still
// summed alone in the same order, so its bits do not change. The host's kgrl__gemv_units counts the same.
struct kgrl_gemv_unit { int s0, s1, o0, o1, nw, f; };
template <bool PAIRS>
__device__ __forceinline__ bool kgrl_gemv_find(const kgrl_gemv_segs& sg, const kgrl_gemv_io& io, int u, kgrl_gemv_unit* t) {
    if (io.swiglu) {
        *t = {0, 1, u, u, 2, 0};
        return u < sg.s[0].OC;
    }
    for (int s = 0; s < sg.n; s++) {
        bool rope = sg.s[s].flags & KGRL_GEMV_ROPE;
        int OC = sg.s[s].OC, half = io.HS / 2;
        bool pairs = PAIRS && io.pairs && !rope;
        int units = rope ? OC / 2 : pairs ? (OC + 1) / 2 : OC;
        if (u >= units) { u -= units; continue; }
        if (pairs) {
            int o0 = 2 * u, nw = o0 + 1 < OC ? 2 : 1;
            *t = {s, s, o0, o0 + nw - 1, nw, -1};
            return true;
        }
        int f = rope ? u % half : 0, o0 = rope ? (u / half) * io.HS + f : u;
        *t = {s, s, o0, rope ? o0 + half : o0, rope ? 2 : 1, f};
        return true;
    }
    return false;
}
// A unit of two rows that is a rope pair or a swiglu pair, not a plain pair of the PAIRS kernel
template <int MAXN>
__device__ __forceinline__ bool kgrl_gemv_paired(const kgrl_gemv_unit& t) { return t.nw == 2 && (MAXN == 1 || t.f >= 0); }
// wc[r * U + i] = chunk c + i * cstep of row o_r (r < NW); past the row's end its last chunk again
// (unused: no branch, so the loads are in flight together). Read once: streaming loads.
template <int NW, int U>
__device__ __forceinline__ void kgrl_gemv_load(uint4* wc, const void* W0, int o0, const void* W1, int o1, int nch, int c,
                                               int cstep) {
    const uint4* w[2] = {(const uint4*)W0 + (u64)o0 * nch, (const uint4*)W1 + (u64)o1 * nch};
#pragma unroll
    for (int r = 0; r < NW; r++)
#pragma unroll
        for (int i = 0; i < U; i++) wc[r * U + i] = __ldcs(w[r] + min(c + i * cstep, nch - 1));
}
// The arithmetic of one chunk of E elements, in element order (explicit fmaf: no contraction choices),
// which every path of the kernel below shares so that a row's bits do not depend on the path.
// The norm's part: ss += x . x, and x becomes x * g (exact in bf16: 8-bit significands)
template <int E>
__device__ __forceinline__ void kgrl_gemv_norm_chunk(float* xv, const float* gv, float& ss) {
#pragma unroll
    for (int i = 0; i < E; i++) { ss = fmaf(xv[i], xv[i], ss); xv[i] *= gv[i]; }
}
// acc[r][n] += w_r . x for the NW weight rows
template <int E, int NW, int MAXN>
__device__ __forceinline__ void kgrl_gemv_products(float (*acc)[MAXN], int n, float (*wv)[8], const float* xv) {
#pragma unroll
    for (int r = 0; r < NW; r++)
#pragma unroll
        for (int i = 0; i < E; i++) acc[r][n] = fmaf(wv[r][i], xv[i], acc[r][n]);
}
// The 16-row kernels' x in shared memory, chunk-major: chunk c of row n at entry c * cs + n * Q (16-byte
// entries; Q 2 for x staged as fp32 from bf16, kgrl_gemv_stage, else 1), cs = kgrl_gemv_cs(N, Q). Every
// row of a chunk then sits at a constant offset from the chunk, so a row costs its loads and products
// and no address arithmetic or branch; cs is odd, so a warp's lanes (chunks c, c + 1, ...) hit distinct
// banks. Rows 0..11, and 12..15 where N > 12, are computed whatever N is (N >= 9 here): a row past N reads
// the pad, the next chunk's entries or the zeroed tail, and is never stored. The row-major layout of the
// 8-row kernels took a branch and ~10 instructions of address arithmetic a row and chunk, between
// whose basic blocks the compiler kept the loads and products apart (kgrl_k_gemv16_loop at 16 rows:
// 445 instructions for a chunk's 256 products, issue stalled on shared loads and the fma chains;
// Nsight Compute, H100, fiftieth session). Chunk-major, the same launches at the 0.5B shape, 16 rows
// (ncu, caches flushed): gate/up 32.19 -> 25.73 us (13.36 M -> 10.45 M instructions), o 11.36 -> 8.13,
// down 16.13 -> 16.93; exp04 decode_split: gate/up 27.3 -> 21.6 us, o 6.7 -> 4.2, down 11.8 -> 11.6.
// The host sizes it: kgrl__gemv_cm_bytes
__device__ __forceinline__ int kgrl_gemv_cs(int N, int Q) { return (Q * N + 1) | 1; }
#define KGRL_GEMV_CM_TAIL 32   // zeroed entries past the last chunk (rows up to 15 of it): the host's KGRL__GEMV_CM_TAIL
// zero each chunk's pad (entries Q * N .. cs - 1) and the tail, which only rows past N read
__device__ __forceinline__ void kgrl_gemv_cm_zero(void* xs, int N, int nch, int cs, int Q) {
    uint4* e = (uint4*)xs;
    int pad = cs - Q * N;
    for (int i = threadIdx.x; i < nch * pad + KGRL_GEMV_CM_TAIL; i += blockDim.x) {
        int c = i / pad, at = c < nch ? c * cs + Q * N + i % pad : nch * cs + (i - nch * pad);
        e[at] = make_uint4(0u, 0u, 0u, 0u);
    }
}
// acc[r][n] += w_r . x[n] for rows N0..N1-1 of one chunk of x chunk-major: XS, x staged as fp32
// (kgrl_gemv_stage: row n's halves at xs[2n], xs[2n + 1] in bf16, xs[n] in fp32); else the 16-byte
// entries x[n] as they are (bf16 or fp32)
template <int BF, int NW, int MAXN, bool XS, int N0, int N1>
__device__ __forceinline__ void kgrl_gemv_fma_cm_rows(float (*acc)[MAXN], float (*wv)[8], const void* x) {
    const int E = BF ? 8 : 4, Q = E / 4;
#pragma unroll
    for (int n = N0; n < N1; n++) {
        float xv[8];
        if constexpr (XS) {
            const float4* xs = (const float4*)x;
            float4 lo = xs[Q * n], hi = BF ? xs[Q * n + 1] : lo;
            xv[0] = lo.x; xv[1] = lo.y; xv[2] = lo.z; xv[3] = lo.w; xv[4] = hi.x; xv[5] = hi.y; xv[6] = hi.z; xv[7] = hi.w;
        } else {
            kgrl_unpack16<BF>(((const uint4*)x)[n], xv);
        }
        kgrl_gemv_products<E, NW, MAXN>(acc, n, wv, xv);
    }
}
// Rows 0..11 of the chunk, and 12..15 where N > 12 (kgrl_gemv_cs: rows past N computed, not stored)
template <int BF, int NW, int MAXN, bool XS>
__device__ __forceinline__ void kgrl_gemv_fma_cm(float (*acc)[MAXN], float (*wv)[8], const void* x, int N) {
    kgrl_gemv_fma_cm_rows<BF, NW, MAXN, XS, 0, 12>(acc, wv, x);
    if (N > 12) kgrl_gemv_fma_cm_rows<BF, NW, MAXN, XS, 12, 16>(acc, wv, x);
}
// acc[r][n] += w_r . x[n] over one 16-byte chunk. NORM: ss[n] += x[n] . x[n] over the chunk, and the
// products take x[n] * g (the norm weight's chunk) instead of x[n]
template <int BF, int NW, int MAXN, bool NORM, bool CM = false>
__device__ __forceinline__ void kgrl_gemv_fma(float (*acc)[MAXN], float* ss, const uint4* w, int wstride, const uint4* x,
                                              int xstride, const uint4* g, int N) {
    const int E = BF ? 8 : 4;
    float gv[8], wv[NW][8];   // the weights unpacked once for the N rows
    if (NORM) kgrl_unpack16<BF>(*g, gv);
#pragma unroll
    for (int r = 0; r < NW; r++) kgrl_unpack16<BF>(w[r * wstride], wv[r]);
    if constexpr (CM) {   // x chunk-major (kgrl_gemv_cs): row n at x[n]
        kgrl_gemv_fma_cm<BF, NW, MAXN, false>(acc, wv, x, N);
    } else {
#pragma unroll
        for (int n = 0; n < MAXN; n++) {
            if (n >= N) continue;
            float xv[8];
            kgrl_unpack16<BF>(x[(u64)n * xstride], xv);
            if (NORM) kgrl_gemv_norm_chunk<E>(xv, gv, ss[n]);
            kgrl_gemv_products<E, NW, MAXN>(acc, n, wv, xv);
        }
    }
}
// The same products from x staged in shared memory (kgrl_gemv_stage: fp32, x * g under NORM, each
// chunk's halves 16 bytes apart by lane, so a warp's loads of a half are contiguous)
template <int BF, int NW, int MAXN>
__device__ __forceinline__ void kgrl_gemv_fma_xs(float (*acc)[MAXN], const uint4* w, int wstride, const float4* xs, int nch, int N) {
    const int E = BF ? 8 : 4;
    float wv[NW][8];
#pragma unroll
    for (int r = 0; r < NW; r++) kgrl_unpack16<BF>(w[r * wstride], wv[r]);
    if constexpr (MAXN > 8) {   // chunk-major (kgrl_gemv_cs), xs at the chunk
        kgrl_gemv_fma_cm<BF, NW, MAXN, true>(acc, wv, xs, N);
    } else {
#pragma unroll
        for (int n = 0; n < MAXN; n++) {
            if (n >= N) continue;
            float4 lo = xs[(u64)n * (E / 4) * nch], hi = BF ? xs[(u64)n * (E / 4) * nch + nch] : lo;
            float xv[8] = {lo.x, lo.y, lo.z, lo.w, hi.x, hi.y, hi.z, hi.w};
            kgrl_gemv_products<E, NW, MAXN>(acc, n, wv, xv);
        }
    }
}
// The warp's sums of NV x MAXN values at once: v[a][n] is this lane's part of sum (a, n), and out[a]
// gets sum (a, n) for n = lane / (32 / MAXN), this lane's row of x. Each halving step at xor distance
// off: the lane with bit off set keeps the upper half of its values and sends the lower, its partner
// the reverse, and each adds what it gets to what it keeps (log2 MAXN steps, MAXN - 1 shuffles an a);
// then the one-value butterfly for the distances left. Every sum is added in the one-value
// butterfly's tree (partners at 16, then 8, ...; own + other), so its bits are those of a sum alone:
// a row's bits depend neither on MAXN nor on N. The NV sums go step by step together, so their
// shuffles overlap. 9 shuffles for 8 values where a butterfly each took 40 (fortieth session).
// The 16-row kernels' halving steps, a template a step so that every index is a constant: in the
// loop below, at MAXN 16 the loop over k was not unrolled at h 8 and v went to local memory (ptxas:
// 256 bytes of stack). Not for MAXN <= 8: in this form the 8-row kernels compiled otherwise, and
// batch-8 decode at 0.5B fell from 6041-6067 to 5828-5898 tok/s (H100, forty-eighth session).
template <int MAXN, int NV, int H>
__device__ __forceinline__ void kgrl_warp_halve(float (*v)[MAXN], int lane) {
    const int off = 32 * H / MAXN;
    bool upper = lane & off;
#pragma unroll
    for (int k = 0; k < H; k++)
#pragma unroll
        for (int a = 0; a < NV; a++) {
            float keep = upper ? v[a][k + H] : v[a][k], send = upper ? v[a][k] : v[a][k + H];
            v[a][k] = keep + __shfl_xor_sync(0xffffffffu, send, off);
        }
    if constexpr (H > 1) kgrl_warp_halve<MAXN, NV, H / 2>(v, lane);
}
template <int MAXN, int NV>
__device__ __forceinline__ void kgrl_warp_sums(float (*v)[MAXN], float* out) {
    int lane = threadIdx.x & 31;
    if constexpr (MAXN > 8) {
        kgrl_warp_halve<MAXN, NV, MAXN / 2>(v, lane);
    } else {
#pragma unroll
        for (int h = MAXN / 2; h > 0; h /= 2) {   // h values kept of 2h
            int off = 32 * h / MAXN;
            bool upper = lane & off;
#pragma unroll
            for (int k = 0; k < h; k++)
#pragma unroll
                for (int a = 0; a < NV; a++) {
                    float keep = upper ? v[a][k + h] : v[a][k], send = upper ? v[a][k] : v[a][k + h];
                    v[a][k] = keep + __shfl_xor_sync(0xffffffffu, send, off);
                }
        }
    }
#pragma unroll
    for (int a = 0; a < NV; a++) out[a] = v[a][0];
#pragma unroll
    for (int off = 16 / MAXN; off > 0; off /= 2)
#pragma unroll
        for (int a = 0; a < NV; a++) out[a] += __shfl_xor_sync(0xffffffffu, out[a], off);
}
// The block's rows of x in shared memory for the launches of 2..16 rows where they fit: xs row n holds
// half h of chunk c at float4 (n * E/4 + h) * nch + c, the values kgrl_gemv_fma would unpack (times the
// norm weight under NORM), so each warp unpacks and scales x once a launch instead of once a unit. NORM:
// rstd[n] = 1 / rms of row n, its sum of squares in the one-row kernel's order (lane l of part j over
// chunks j * 32 + l, + 32 S, ... in element order, the lanes in the butterfly's tree, the parts in part
// order), so the rows' bits do not change. Warp w stages rows w, w + KGRL_GEMV_WARPS, ...
// RW rows of x a warp at once, L chunks of each (and of g) a lane: all those loads in flight together,
// then their arithmetic in row and chunk order (the same sums), so one L2 round trip per L chunks of
// RW rows, where a load a chunk left each chunk a round trip of its own. The 16-row kernels take 2
// rows of 4 chunks: H100, 0.5B shape, no LoRA, decode_sweep, two rounds in one call, ms a step: 12
// rows 1.406 / 1.408 against 1.481 / 1.480 a chunk at a time, 16 rows 1.662 / 1.660 against 1.704 /
// 1.714; 16-row gate/up 27.3 against 28.5 us. The 8-row kernels keep a chunk at a time (L 1, RW 1:
// their PTX as before): 2 rows of 4 chunks there too took 8 rows to 1.186 / 1.187 ms against 1.114 /
// 1.113, though 12 and 16 rows then gained more (1.387 / 1.394, 1.626 / 1.629) (forty-ninth session).
// CM (the 16-row kernels): xs chunk-major, chunk c at entry c * xcs (kgrl_gemv_cs), the pads and tail zeroed.
template <int BF, bool NORM, int RW, int L, bool CM>
__device__ void kgrl_gemv_stage(float4* xs, float* rstd, const uint4* x, const uint4* g, int N, int nch, int S, int K, float eps, int xcs) {
    const int E = BF ? 8 : 4;
    int w = threadIdx.x >> 5, lane = threadIdx.x & 31;
    if (CM) kgrl_gemv_cm_zero(xs, N, nch, xcs, E / 4);
    for (int n0 = w; n0 < N; n0 += RW * KGRL_GEMV_WARPS) {
        float ss[RW];
#pragma unroll
        for (int q = 0; q < RW; q++) ss[q] = 0.0f;
        for (int j = 0; j < S; j++) {
            float part[RW];
#pragma unroll
            for (int q = 0; q < RW; q++) part[q] = 0.0f;
            for (int c = j * 32 + lane; c < nch; c += L * 32 * S) {
                uint4 xr[RW][L], gr[L];   // past the rows' or a row's end: its last again (unused)
#pragma unroll
                for (int i = 0; i < L; i++) {
                    int ci = L == 1 ? c : min(c + i * 32 * S, nch - 1);
#pragma unroll
                    for (int q = 0; q < RW; q++) xr[q][i] = x[(u64)(RW == 1 ? n0 : min(n0 + q * KGRL_GEMV_WARPS, N - 1)) * nch + ci];
                    if (NORM && L > 1) gr[i] = g[ci];   // L 1: loaded below, as before (the 8-row kernels' PTX)
                }
#pragma unroll
                for (int q = 0; q < RW; q++) {
                    int n = n0 + q * KGRL_GEMV_WARPS;
                    if (n >= N) break;
#pragma unroll
                    for (int i = 0; i < L; i++) {
                        int ci = c + i * 32 * S;
                        if (ci >= nch) break;
                        float xv[8], gv[8];
                        kgrl_unpack16<BF>(xr[q][i], xv);
                        if (NORM) {
                            kgrl_unpack16<BF>(L > 1 ? gr[i] : g[ci], gv);
                            kgrl_gemv_norm_chunk<E>(xv, gv, part[q]);
                        }
                        float4* row = CM ? xs + (u64)ci * xcs + (E / 4) * n : xs + (u64)n * (E / 4) * nch + ci;
                        row[0] = make_float4(xv[0], xv[1], xv[2], xv[3]);
                        if (BF) row[CM ? 1 : nch] = make_float4(xv[4], xv[5], xv[6], xv[7]);
                    }
                }
            }
            if (NORM)
#pragma unroll
                for (int q = 0; q < RW; q++) {
                    float v[1][1] = {{part[q]}};
                    kgrl_warp_sums<1, 1>(v, &part[q]);   // the lanes in the one-row kernel's tree
                    ss[q] = j == 0 ? part[q] : ss[q] + part[q];
                }
        }
        if (NORM && lane == 0)
#pragma unroll
            for (int q = 0; q < RW; q++)
                if (n0 + q * KGRL_GEMV_WARPS < N) rstd[n0 + q * KGRL_GEMV_WARPS] = kgrl_rmsnorm_rstd(ss[q], K, eps);
    }
    __syncthreads();
}
// y[r] = x[n] . W_r[o_r] for this lane's row n of x, the warp's sums of its lanes' parts acc[r][n]
// (lane l: chunks c0 + l, + cstep, ...); NORM: y[2] = x[n] . x[n] likewise from ss, and the products
// take x * g, g the norm weight. wc holds the first round, loaded by the caller; later rounds are
// loaded here, after each round's arithmetic, or with AHEAD before it (into wn: NW * U registers more).
// STAGED: x from xs (kgrl_gemv_stage) and NORM false (the norm is in xs and the staged rstd).
// CM: x (or xs) chunk-major, chunk c at entry c * xcs (kgrl_gemv_cs; the 16-row kernels' shared memory).
template <int BF, int NW, int U, int MAXN, bool NORM, bool STAGED, bool AHEAD, bool CM>
__device__ __forceinline__ void kgrl_gemv_dot(float* y, float (*acc)[MAXN], float* ss, uint4* wc, const void* W0, int o0, const void* W1,
                                              int o1, const uint4* x, const uint4* g, const float4* xs, int N, int nch, int c0, int cstep,
                                              int xcs) {
#pragma unroll
    for (int n = 0; n < MAXN; n++) acc[0][n] = acc[1][n] = ss[n] = 0.0f;
    for (int c = c0; c < nch; c += U * cstep) {
        uint4 wn[AHEAD ? NW * U : 1];   // AHEAD: the next round, in flight during this round's arithmetic
        if (AHEAD && c + U * cstep < nch) kgrl_gemv_load<NW, U>(wn, W0, o0, W1, o1, nch, c + U * cstep, cstep);
#pragma unroll
        for (int i = 0; i < U; i++)
            if (STAGED && c + i * cstep < nch) kgrl_gemv_fma_xs<BF, NW, MAXN>(acc, wc + i, U, CM ? xs + (u64)(c + i * cstep) * xcs : xs + c + i * cstep, nch, N);
            else if (c + i * cstep < nch) kgrl_gemv_fma<BF, NW, MAXN, NORM, CM && !STAGED>(acc, ss, wc + i, U, CM ? x + (u64)(c + i * cstep) * xcs : x + c + i * cstep, nch, g + c + i * cstep, N);
        if (AHEAD)
#pragma unroll
            for (int k = 0; k < NW * U; k++) wc[k] = wn[AHEAD ? k : 0];   // (wn has 1 entry without AHEAD)
        else if (c + U * cstep < nch) kgrl_gemv_load<NW, U>(wc, W0, o0, W1, o1, nch, c + U * cstep, cstep);
    }
    if (NW == 1 && NORM)
#pragma unroll
        for (int n = 0; n < MAXN; n++) acc[1][n] = ss[n];   // the sums to take: acc[0 .. NW + NORM)
    float s[3];
    kgrl_warp_sums<MAXN, NW + NORM>(acc, s);
    y[0] = s[0];
    if (NW == 2) y[1] = s[1];
    if (NORM) y[2] = s[NW];
}
// What a unit's epilogue reads besides its dot products, loaded before kgrl_dep_wait: each is written
// two or more kernels ahead (the residual by the layer's earlier launches, the slot and positions by
// kgrl_k_decode_advance or the host) or never during a step (biases, frequencies), and a kernel's
// blocks start only once the kernel before has passed its own wait, so those kernels have finished.
// Loaded after the dot products, they were a chain of L2 round trips: ~1.3 us of the 0.5B q/k/v
// launch and ~2.3 us of its o launch (marked trace, H100, thirteenth session).
struct kgrl_gemv_early {
    float b0, b1;   // the unit's biases (0 without)
    float resid;    // resid (lane, o0) for lane < N
    float resid1;   // a plain pair's resid (lane, o1)
    float ang;      // a rope pair: pos[lane] * inv_freq[f] for lane < N
    int t0;         // the cache slot
};
#define KGRL_GEMV_EARLY_NONE {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0}
// n: this lane's row of x
template <int MAXN>
__device__ __forceinline__ kgrl_gemv_early kgrl_gemv_early_load(const kgrl_gemv_segs& sg, const kgrl_gemv_io& io, const kgrl_gemv_unit& t, int n,
                                                                int bf) {
    const kgrl_gemv_seg& g0 = sg.s[t.s0];
    const kgrl_gemv_seg& g1 = sg.s[t.s1];
    kgrl_gemv_early r;
    r.b0 = g0.bias ? kgrl_ld(g0.bias, t.o0, bf) : 0.0f;
    r.b1 = t.nw == 2 && g1.bias ? kgrl_ld(g1.bias, t.o1, bf) : 0.0f;
    bool mine = n < io.N && (threadIdx.x & 31) % (32 / MAXN) == 0;   // the lane that stores row n
    r.resid = io.resid && mine ? kgrl_ld(io.resid, (u64)n * g0.OC + t.o0, bf) : 0.0f;
    bool rope = !io.swiglu && kgrl_gemv_paired<MAXN>(t);
    r.resid1 = MAXN > 1 && io.resid && mine && t.nw == 2 && !rope ? kgrl_ld(io.resid, (u64)n * g0.OC + t.o1, bf) : 0.0f;
    r.ang = rope && mine ? (float)io.pos[n] * io.inv_freq[t.f] : 0.0f;   // fp32 product as transformers
    r.t0 = io.t0p ? *io.t0p : io.t0;
    return r;
}
// GROUPS: the first of the block's rows of x (group blockIdx.y of io.rows rows), and how many it has
template <bool GROUPS>
__device__ __forceinline__ int kgrl_gemv_n0(const kgrl_gemv_io& io) { return GROUPS && io.rows ? (int)blockIdx.y * io.rows : 0; }
template <bool GROUPS>
__device__ __forceinline__ int kgrl_gemv_rows(const kgrl_gemv_io& io) {
    return GROUPS && io.rows ? min(io.rows, io.N - kgrl_gemv_n0<GROUPS>(io)) : io.N;
}
// y + scale * xa[n, :] . lb[o, :] for this lane's row n of x: the LoRA term, lanes over R for every
// row, then the rows' warp sums at once. The whole warp calls it.
template <int MAXN>
__device__ __forceinline__ float kgrl_gemv_lora(float y, const kgrl_gemv_seg& g, int o, int N, int n0, int R, float scale, int bf) {
    if (g.lb) {
        int lane = threadIdx.x & 31;
        float l[1][MAXN];
#pragma unroll
        for (int n = 0; n < MAXN; n++) l[0][n] = 0.0f;
        for (int r = lane; r < R; r += 32) {
            float bv = kgrl_ld(g.lb, (u64)o * R + r, bf);
#pragma unroll
            for (int n = 0; n < MAXN; n++)
                if (n < N) l[0][n] = fmaf(kgrl_ld(g.xa, (u64)(n0 + n) * R + r, bf), bv, l[0][n]);
        }
        float s;
        kgrl_warp_sums<MAXN, 1>(l, &s);
        y = fmaf(scale, s, y);
    }
    return y;
}
// Where output o of row n goes: out (N, OC), or a cache segment's slot t0 of (N, Tk, OC)
__device__ __forceinline__ u64 kgrl_gemv_at(const kgrl_gemv_seg& g, const kgrl_gemv_io& io, int n, int o, int t0) {
    return (g.flags & KGRL_GEMV_CACHE) ? ((u64)n * io.Tk + t0) * g.OC + o : (u64)n * g.OC + o;
}
// The unit's outputs for this lane's row n of x from its summed dot products y (rows o0, o1); the
// first lane of the row's 32 / MAXN stores. The whole warp calls it (the epilogue's sums). GROUPS: n
// is row n of the block's group, row n0 + n of x (kgrl_gemv_n0).
template <int BF, int MAXN, bool NORM, bool GROUPS>
__device__ __forceinline__ void kgrl_gemv_finish(const kgrl_gemv_segs& sg, const kgrl_gemv_io& io, const kgrl_gemv_unit& t,
                                                 const kgrl_gemv_early& e, const float* y, float r, int n) {
    const kgrl_gemv_seg& g0 = sg.s[t.s0];
    const kgrl_gemv_seg& g1 = sg.s[t.s1];
    // NORM: (y * r) + b, r the row's 1 / rms. Every product and add after the dot products is spelled
    // out (fmaf or _rn): left to the compiler, y * r + b was contracted into one fma for a unit's
    // first row and not for its second, so a plain pair's second row (the one-row kernel's first)
    // differed by an ulp in fp32, and a row's bits must not depend on the kernel. The fused form for
    // both rows passed too; this one measured the same (H100, forty-second session). Without the norm
    // y is a sum: no product to contract.
    float y0 = NORM ? __fadd_rn(__fmul_rn(y[0], r), e.b0) : y[0] + e.b0;
    float y1 = NORM ? __fadd_rn(__fmul_rn(y[1], r), e.b1) : y[1] + e.b1;
    const int n0 = kgrl_gemv_n0<GROUPS>(io);
    y0 = kgrl_gemv_lora<MAXN>(y0, g0, t.o0, kgrl_gemv_rows<GROUPS>(io), n0, io.R, io.scale, BF);
    y1 = t.nw == 2 ? kgrl_gemv_lora<MAXN>(y1, g1, t.o1, kgrl_gemv_rows<GROUPS>(io), n0, io.R, io.scale, BF) : 0.0f;
    if (n >= kgrl_gemv_rows<GROUPS>(io) || (threadIdx.x & 31) % (32 / MAXN) != 0) return;
    n += n0;   // x's row from here on
    int t0 = e.t0;
    if (io.swiglu) {
        float gt = kgrl_round(y0, BF), up = kgrl_round(y1, BF);
        kgrl_st(g0.out, (u64)n * g0.OC + t.o0, kgrl_round(gt / (1.0f + expf(-gt)), BF) * up, BF);
    } else if (kgrl_gemv_paired<MAXN>(t)) {   // a rope pair
        float x1 = kgrl_round(y0, BF), x2 = kgrl_round(y1, BF);
        float cs = cosf(e.ang), sn = sinf(e.ang);
        kgrl_st(g0.out, kgrl_gemv_at(g0, io, n, t.o0, t0), fmaf(x1, cs, -__fmul_rn(x2, sn)), BF);
        kgrl_st(g0.out, kgrl_gemv_at(g0, io, n, t.o1, t0), fmaf(x2, cs, __fmul_rn(x1, sn)), BF);
    } else {
        if (io.resid) y0 = kgrl_round(y0, BF) + e.resid;
        kgrl_st(g0.out, kgrl_gemv_at(g0, io, n, t.o0, t0), y0, BF);
        if (MAXN > 1 && t.nw == 2) {   // a plain pair's second row
            if (io.resid) y1 = kgrl_round(y1, BF) + e.resid1;
            kgrl_st(g0.out, kgrl_gemv_at(g0, io, n, t.o1, t0), y1, BF);
        }
    }
}
// COPY: the n 16-byte chunks of x, as they are, into the block's shared memory xs (all copies in
// flight at once: cp.async where there is one), for launches whose x would otherwise be read through
// L1 by every unit (kgrl_k_gemv_copy)
__device__ __forceinline__ const uint4* kgrl_gemv_copy(uint4* xs, const uint4* x, int n) {
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
#if __CUDA_ARCH__ >= 800
        unsigned int to = (unsigned int)__cvta_generic_to_shared(xs + i);
        asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(to), "l"(x + i) : "memory");
#else
        xs[i] = x[i];
#endif
    }
#if __CUDA_ARCH__ >= 800
    asm volatile("cp.async.wait_all;" ::: "memory");
#endif
    __syncthreads();
    return xs;
}
// The same for the 16-row kernels, chunk-major (kgrl_gemv_cs, Q 1): row n's chunk c to xs[c * cs + n],
// the pads and the tail zeroed. Thread t copies x's chunks t, t + blockDim.x, ... (row n, chunk c kept
// by steps, no division), 4 loads in flight, then their stores. Through registers, not cp.async: with
// cp.async's shared-memory side scattered this way, the 0.5B down's 16-row launch took 23.9 us against
// 16.1 with main's contiguous copy (ncu, H100, fiftieth session)
__device__ __forceinline__ const uint4* kgrl_gemv_copy_cm(uint4* xs, const uint4* x, int N, int nch, int cs) {
    int n = threadIdx.x / nch, c = threadIdx.x % nch, dn = blockDim.x / nch, dc = blockDim.x % nch;
    while (n < N) {
        uint4 v[4];
        int at[4];
#pragma unroll
        for (int k = 0; k < 4; k++) {
            at[k] = n < N ? c * cs + n : -1;
            if (n < N) v[k] = x[(u64)n * nch + c];
            n += dn;
            c += dc;
            if (c >= nch) { c -= nch; n++; }
        }
#pragma unroll
        for (int k = 0; k < 4; k++)
            if (at[k] >= 0) xs[at[k]] = v[k];
    }
    kgrl_gemv_cm_zero(xs, N, nch, cs, 1);
    __syncthreads();
    return xs;
}
// How an entry point of kgrl_gemv_run reads x and goes through its units; the units' arithmetic is the
// same in every variant. STAGED (N >= 2 where the rows fit, io.staged): x staged once a block
// (kgrl_gemv_stage), in the dynamic shared memory the host sizes (N, K) fp32. LOOP (io.staged 2): a
// grid of one wave, each block going on to the units of blocks blockIdx.x + gridDim.x, + 2 gridDim.x,
// ..., so x is staged once a resident block, not once a unit's block; each warp's next unit loads its
// first round during this unit's part sums and finish. AHEAD: kgrl_gemv_dot's next round goes out
// before this round's arithmetic. COPY: x read from the block's copy in shared memory
// (kgrl_gemv_copy). WARPS: the most warps a block. GROUPS (STAGED alone, so kgrl_k_gemv's staged
// launches): with io.rows, the blocks of blockIdx.y stage and sum x's rows y * io.rows, ... only
// (the host, kgrl__gemv: 5..8 rows of q/k/v); which warp sums a row does not change its bits.
#define KGRL_GEMV_COPY_WARPS 16   // kgrl_k_gemv_copy's most warps a block: the host's KGRL__GEMV_COPY_WARPS
template <bool STAGED_, bool LOOP_, bool AHEAD_, bool COPY_, int WARPS_>
struct kgrl_gemv_variant {
    static constexpr bool STAGED = STAGED_, LOOP = LOOP_, AHEAD = AHEAD_, COPY = COPY_;
    static constexpr bool GROUPS = STAGED && !LOOP;   // io.rows: x's rows in groups over the grid's y
    static constexpr int WARPS = WARPS_;
};
typedef kgrl_gemv_variant<false, false, false, false, KGRL_GEMV_WARPS> kgrl_gemv_direct;   // x read where it is
typedef kgrl_gemv_variant<true, false, false, false, KGRL_GEMV_WARPS> kgrl_gemv_staged;    // kgrl_k_gemv (io.staged)
typedef kgrl_gemv_variant<true, true, true, false, KGRL_GEMV_WARPS> kgrl_gemv_looping;     // kgrl_k_gemv_loop
typedef kgrl_gemv_variant<false, false, true, false, KGRL_GEMV_WARPS> kgrl_gemv_streaming; // kgrl_k_gemv_stream
typedef kgrl_gemv_variant<false, false, true, true, KGRL_GEMV_COPY_WARPS> kgrl_gemv_copying; // kgrl_k_gemv_copy
template <int BF, int MAXN, bool NORM, class V = kgrl_gemv_direct>
__device__ __forceinline__ void kgrl_gemv_run(const kgrl_gemv_segs& sg, const kgrl_gemv_io& io) {
    constexpr bool STAGED = V::STAGED, LOOP = V::LOOP, AHEAD = V::AHEAD, COPY = V::COPY;
    constexpr int WARPS = V::WARPS;
    // 16-byte weight loads in flight per lane (a pair: UT / 2 each). A launch that reads the norm
    // (rows of the hidden size) keeps 4 in N = 1 too: its x and norm-weight chunks need the registers.
    // LOOP keeps 2, with the next round's 2 ahead (kgrl_k_gemv_loop's comment)
    const int UT = MAXN == 1 && !NORM ? 8 : LOOP ? 2 : 4;
    __shared__ float part[WARPS][3][MAXN];
    int S = io.S, w = threadIdx.x >> 5, lane = threadIdx.x & 31, j = w % S;
    // this lane's row of x once the dot products are summed (0 spelled out: ~3 us a batch-1 token faster)
    int n = MAXN == 1 ? 0 : lane / (32 / MAXN);
    int nch = BF ? io.K / 8 : io.K / 4, c0 = j * 32 + lane, cstep = 32 * S;
    // the block's rows of x: n0 .. n0 + kgrl_gemv_rows - 1. kgrl_gemv_rows is spelled at each use, as io.N
    // was: held in a variable, it changed the PTX of the kernels without GROUPS (forty-sixth session)
    const int n0 = kgrl_gemv_n0<V::GROUPS>(io);
    kgrl_gemv_unit t;
    // this warp's unit; a block takes WARPS / S units at once, COPY's blockDim.x / 32 / S (the host
    // spreads the units evenly over the SMs). Two statements, so that the other kernels' PTX stays as it was
    int u = blockIdx.x * (WARPS / S) + w / S;
    if (COPY) u = blockIdx.x * (int)(blockDim.x >> 5) / S + w / S;
    bool live = kgrl_gemv_find<(MAXN > 1)>(sg, io, u, &t);
    const void *W0 = live ? sg.s[t.s0].W : NULL, *W1 = live ? sg.s[t.s1].W : NULL;
    uint4 wc[UT];
    if (live && t.nw == 2) kgrl_gemv_load<2, UT / 2>(wc, W0, t.o0, W1, t.o1, nch, c0, cstep);
    else if (live) kgrl_gemv_load<1, UT>(wc, W0, t.o0, W0, t.o0, nch, c0, cstep);
    kgrl_gemv_early early = KGRL_GEMV_EARLY_NONE;
    if (live && j == 0) early = kgrl_gemv_early_load<MAXN>(sg, io, t, n0 + n, BF);   // the unit's storing warp
    if (!io.xa_late) kgrl_dep_wait();   // from here on the kernel before this one has finished
    kgrl_dep_launch();                  // (xa_late: x is older; the wait is before the epilogue, below)
    extern __shared__ float4 kgrl_gemv_xs[];
    const uint4* xg = (const uint4*)io.x + (u64)n0 * nch;
    // CM: the 16-row kernels' x in shared memory chunk-major (kgrl_gemv_cs), chunk c at entry c * xcs
    constexpr bool CM = MAXN > 8 && (STAGED || COPY);
    const int xcs = CM ? kgrl_gemv_cs(kgrl_gemv_rows<V::GROUPS>(io), STAGED && BF ? 2 : 1) : 0;
    const uint4* x = xg;
    if (COPY) x = CM ? kgrl_gemv_copy_cm((uint4*)kgrl_gemv_xs, xg, io.N, nch, xcs) : kgrl_gemv_copy((uint4*)kgrl_gemv_xs, xg, io.N * nch);
    const uint4* g = (const uint4*)io.norm_w;
    __shared__ float rstd[MAXN];
    if (STAGED) kgrl_gemv_stage<BF, NORM, (MAXN > 8 ? 2 : 1), (MAXN > 8 ? 4 : 1), CM>(kgrl_gemv_xs, rstd, x, g, kgrl_gemv_rows<V::GROUPS>(io), nch, S, io.K, io.eps, xcs);
    const bool LOOPNORM = NORM && !STAGED;   // the norm's work in the dot products' loop
    for (;;) {
        float acc[3][MAXN];   // rows o0 and o1; [2]: the sum of squares of x (LOOPNORM)
        float y[3] = {0.0f, 0.0f, 0.0f};   // the warp's sums for row n of x: rows o0, o1, and x . x (NORM)
        if (live && t.nw == 2)
            kgrl_gemv_dot<BF, 2, UT / 2, MAXN, LOOPNORM, STAGED, AHEAD, CM>(y, acc, acc[2], wc, W0, t.o0, W1, t.o1, x, g, kgrl_gemv_xs, kgrl_gemv_rows<V::GROUPS>(io), nch, c0, cstep, xcs);
        else if (live)
            kgrl_gemv_dot<BF, 1, UT, MAXN, LOOPNORM, STAGED, AHEAD, CM>(y, acc, acc[2], wc, W0, t.o0, W0, t.o0, x, g, kgrl_gemv_xs, kgrl_gemv_rows<V::GROUPS>(io), nch, c0, cstep, xcs);
        kgrl_gemv_unit tn = t;   // LOOP: the warp's next unit, its first round now in wc
        bool nlive = false;
        if (LOOP) {
            u += gridDim.x * (WARPS / S);
            nlive = kgrl_gemv_find<(MAXN > 1)>(sg, io, u, &tn);
            // the same loads as the first unit's above (spelled there as they were: the one-row
            // kernels' code is left as it was)
            if (nlive && tn.nw == 2) kgrl_gemv_load<2, UT / 2>(wc, sg.s[tn.s0].W, tn.o0, sg.s[tn.s1].W, tn.o1, nch, c0, cstep);
            else if (nlive) kgrl_gemv_load<1, UT>(wc, sg.s[tn.s0].W, tn.o0, sg.s[tn.s0].W, tn.o0, nch, c0, cstep);
        }
        bool store = live;
        if (S > 1) {   // the unit's parts, summed in part order by its first warp
            if (live && lane % (32 / MAXN) == 0)
#pragma unroll
                for (int r = 0; r < 3; r++) part[w][r][n] = y[r];
            __syncthreads();
            store = live && j == 0;
            if (store)
#pragma unroll
                for (int r = 0; r < 3; r++)
#pragma unroll
                    for (int p = 1; p < 4; p++)   // S <= 4; a loop to S came out unrolled 16
                        if (p < S) y[r] += part[w + p][r][n];    // times behind a chain of branches (5 us a token)
        }
        if (io.xa_late) kgrl_dep_wait();   // the LoRA A launch's xa, read in the finish
        float r = 1.0f;   // NORM: 1 / rms of row n, taken in the finish
        if (NORM && store) r = STAGED ? rstd[n] : kgrl_rmsnorm_rstd(y[2], io.K, io.eps);
        if (store) kgrl_gemv_finish<BF, MAXN, NORM, V::GROUPS>(sg, io, t, early, y, r, n);
        // the block's warps go on together (the part sums' shared memory is reused), while any has a unit
        if (!LOOP || !__syncthreads_or(nlive)) break;
        t = tn;
        live = nlive;
        W0 = live ? sg.s[t.s0].W : NULL;
        W1 = live ? sg.s[t.s1].W : NULL;
        if (live && j == 0) early = kgrl_gemv_early_load<MAXN>(sg, io, t, n0 + n, BF);
    }
}
// sg and io by value (read in place: __grid_constant__).
// Register caps (ptxas -v, sm_90): at 64 (8 blocks an SM) the N <= 8 kernel spilled ~400 bytes in its
// loop; at 4 blocks an SM it takes 124 registers and spills nothing. The N = 1 kernel fits 64 (70
// bytes spilled); at 10 or 12 blocks an SM (48 or 40 registers) it spilled 240-500 bytes.
// Each multi-row entry point comes twice: M = 8 for 2..8 rows, and kgrl_k_gemv16* for 9..16 (the
// host's kgrl__gemv_launch), so that a weight chunk serves up to 16 rows of x. ptxas -v, sm_90, the
// 16-row twins: 128 registers and 8 bytes spilled (kgrl_k_gemv16), 124 (_loop; 96 before its staging
// took 2 rows of 4 chunks at once, kgrl_gemv_stage, 111 before x went chunk-major, kgrl_gemv_cs), 128
// and 8 bytes spilled (_copy; 116 before chunk-major), 64 (_mma)
template <int M, bool NORM, class V>
__device__ __forceinline__ void kgrl_gemv_dtype(const kgrl_gemv_segs& sg, const kgrl_gemv_io& io) {
    if (io.bf) kgrl_gemv_run<1, M, NORM, V>(sg, io);
    else kgrl_gemv_run<0, M, NORM, V>(sg, io);
}
template <int M>
__device__ __forceinline__ void kgrl_gemv_main(const kgrl_gemv_segs& sg, const kgrl_gemv_io& io) {
    if (io.staged) {
        if (io.bf && io.norm_w) kgrl_gemv_run<1, M, true, kgrl_gemv_staged>(sg, io);
        else if (io.bf) kgrl_gemv_run<1, M, false, kgrl_gemv_staged>(sg, io);
        else if (io.norm_w) kgrl_gemv_run<0, M, true, kgrl_gemv_staged>(sg, io);
        else kgrl_gemv_run<0, M, false, kgrl_gemv_staged>(sg, io);
    } else if (io.bf) kgrl_gemv_run<1, M, true>(sg, io);   // unstaged: the norm's launches (the host sends
    else kgrl_gemv_run<0, M, true>(sg, io);                   // plain ones to kgrl_k_gemv_copy or _stream)
}
extern "C" __global__ void __launch_bounds__(32 * KGRL_GEMV_WARPS, 4)
kgrl_k_gemv(const __grid_constant__ kgrl_gemv_segs sg, const __grid_constant__ kgrl_gemv_io io) {
    kgrl_gemv_main<8>(sg, io);
}
extern "C" __global__ void __launch_bounds__(32 * KGRL_GEMV_WARPS, 4)
kgrl_k_gemv16(const __grid_constant__ kgrl_gemv_segs sg, const __grid_constant__ kgrl_gemv_io io) {
    kgrl_gemv_main<16>(sg, io);
}
// 2..8 rows of the norm (gate/up, q/k/v) in launches of more than one wave: x staged once a block, the
// block looping over units (io.staged 2; the host: kgrl__gemv). An entry point of its own: inside
// kgrl_k_gemv the loop's instantiations took that kernel from 122 to 128 registers and its staged 0.5B
// gate/up from 20.8 to 21.4 us at 8 rows (H100, forty-third session). Rounds of 2 loads a lane, the
// next one ahead (AHEAD; 116 registers, no spills): gate/up at 8 rows 0.5B 16.66 / 16.58 against 17.69 /
// 17.61 us with rounds of 4 and none ahead, 1.5B 38.9 / 38.9 against 40.3 / 40.1; rounds of 4 with the
// next ahead spilled 16 bytes and took 19.8 at 0.5B (H100, forty-fourth session)
extern "C" __global__ void __launch_bounds__(32 * KGRL_GEMV_WARPS, 4)
kgrl_k_gemv_loop(const __grid_constant__ kgrl_gemv_segs sg, const __grid_constant__ kgrl_gemv_io io) {
    kgrl_gemv_dtype<8, true, kgrl_gemv_looping>(sg, io);
}
extern "C" __global__ void __launch_bounds__(32 * KGRL_GEMV_WARPS, 4)
kgrl_k_gemv16_loop(const __grid_constant__ kgrl_gemv_segs sg, const __grid_constant__ kgrl_gemv_io io) {
    kgrl_gemv_dtype<16, true, kgrl_gemv_looping>(sg, io);
}
// 2..8 rows of plain launches left to it (the fp32 LM head; the bf16 one until kgrl_k_gemv_mma and
// down until kgrl_k_gemv_copy, the figures below from then): each round's weight loads go out before
// the round before's arithmetic (kgrl_gemv_dot's AHEAD), in flight during it.
// 116 registers, 4 blocks an SM as kgrl_k_gemv. H100, 8 rows, against 9ebb14f (AHEAD off, these
// launches in kgrl_k_gemv) in the same call: LM head 0.5B 178.3 / 177.2 against 195.2 / 195.2 us, 1.5B
// 286.3 against 318.6; down 11.57 / 11.54 against 11.94 / 11.89, 36.2 against 37.6; batch-8 decode 0.5B
// 5379 / 5354 against 5239 / 5227 tok/s, 1.5B 2308 against 2255 (forty-third session)
extern "C" __global__ void __launch_bounds__(32 * KGRL_GEMV_WARPS, 4)
kgrl_k_gemv_stream(const __grid_constant__ kgrl_gemv_segs sg, const __grid_constant__ kgrl_gemv_io io) {
    kgrl_gemv_dtype<8, false, kgrl_gemv_streaming>(sg, io);
}
// 2..8 rows of plain launches whose units fit one block an SM (o, down; the host: kgrl__gemv): each block
// copies x, as it is, into shared memory (COPY) and takes blockDim.x / 32 / S units, with each round's
// weight loads ahead of the round before's arithmetic (AHEAD). Read through L1 by every unit instead,
// x's chunks were 76% of the streamed 8-row down's stalls at 0.5B (ncu, H100, forty-third session).
// 104 registers (ptxas -v, sm_90), no spills. H100, 8 rows, against the variants in the same calls:
// looping over units (LOOP, 128 registers) down 0.5B 9.8 against 7.5 us, 1.5B 21.9 against 16.6; 8
// loads a lane a round (UT 8, 128 registers) 8.7 and 18.7 (forty-fourth session).
extern "C" __global__ void __launch_bounds__(32 * KGRL_GEMV_COPY_WARPS, 1)
kgrl_k_gemv_copy(const __grid_constant__ kgrl_gemv_segs sg, const __grid_constant__ kgrl_gemv_io io) {
    kgrl_gemv_dtype<8, false, kgrl_gemv_copying>(sg, io);
}
extern "C" __global__ void __launch_bounds__(32 * KGRL_GEMV_COPY_WARPS, 1)
kgrl_k_gemv16_copy(const __grid_constant__ kgrl_gemv_segs sg, const __grid_constant__ kgrl_gemv_io io) {
    kgrl_gemv_dtype<16, false, kgrl_gemv_copying>(sg, io);
}
// A tile's two weight rows of this lane (pointers at the lane's first chunk): rows r0 + g and r0 + g +
// 8 of W (r0 = 16 tile), or with GLU row r0 + g of gate (W) and of up (W2) (r0 = 8 tile); a row past
// OC: the last row, loaded and not stored
template <bool GLU>
__device__ __forceinline__ void kgrl_gemv_mma_rows(const uint4** ra, const uint4** rb, const uint4* W, const uint4* W2, int tile, int g,
                                                   int OC, int nch) {
    if (GLU) {
        *ra = W + (u64)min(tile * 8 + g, OC - 1) * nch;
        *rb = W2 + (u64)min(tile * 8 + g, OC - 1) * nch;
    } else {
        *ra = W + (u64)min(tile * 16 + g, OC - 1) * nch;
        *rb = W + (u64)min(tile * 16 + g + 8, OC - 1) * nch;
    }
}
// The 16-byte row stride of x staged for the fragments (kgrl_gemv_mma_stage): 4 past a multiple of 8,
// so a quarter warp's loads (rows g, g + 1, chunks t = 0..3 each) fall on distinct banks
__device__ __forceinline__ int kgrl_gemv_mma_xst(int nch) { return nch + (12 - nch % 8) % 8; }
// x's N rows (bf16) normalized into shared memory as kgrl_k_rmsnorm_fwd stores them, w * bf16(x * r)
// rounded to bf16, r = 1 / rms from the row's sum of squares: each chunk's in element order (sq, N
// nch floats, held where xs goes: every thread has read them, behind a barrier, before any writes xs),
// a row's chunks lane l over l, l + 32, ... in order, the lanes in a butterfly. The block's
// threads take the N nch chunks together, so all rows cost one round trip a pass. Neither sum depends
// on N. (A warp a row: the 1.5B gate/up at one row 26.4 us; all threads on a row at a time: 24.2, and
// the 16-row step 2.93 ms; this form, with the tiles a slot balanced: 21.4 us, 2.55 ms; H100,
// fifty-first session.)
__device__ void kgrl_gemv_mma_stage(uint4* xs, const kgrl_gemv_io& io, int xst) {
    __shared__ float rr[KGRL_GEMV_MMA_MAX_ROWS];
    float* sq = (float*)xs;
    int w = threadIdx.x >> 5, lane = threadIdx.x & 31, nw = blockDim.x >> 5, nch = io.K / 8, items = io.N * nch;
    const uint4 *x = (const uint4*)io.x, *gw = (const uint4*)io.norm_w;
#pragma unroll 4
    for (int i = threadIdx.x; i < items; i += blockDim.x) {
        float v[8], ss = 0.0f;
        kgrl_unpack16<1>(x[i], v);
#pragma unroll
        for (int e = 0; e < 8; e++) ss = fmaf(v[e], v[e], ss);
        sq[i] = ss;
    }
    __syncthreads();
    for (int n = w; n < io.N; n += nw) {
        float ss = 0.0f;
        for (int c = lane; c < nch; c += 32) ss += sq[n * nch + c];
        for (int off = 16; off > 0; off >>= 1) ss += __shfl_xor_sync(0xffffffffu, ss, off);   // every lane the same sum
        if (lane == 0) rr[n] = kgrl_rmsnorm_rstd(ss, io.K, io.eps);
    }
    __syncthreads();
#pragma unroll 4
    for (int i = threadIdx.x; i < items; i += blockDim.x) {
        int n = i / nch, c = i - n * nch;
        float v[8], gv[8], r = rr[n];
        kgrl_unpack16<1>(x[i], v);
        kgrl_unpack16<1>(gw[c], gv);
        unsigned int p[4];
#pragma unroll
        for (int j = 0; j < 4; j++)
            p[j] = (unsigned int)kgrl_f2bf(kgrl_rmsnorm_value(v[2 * j], r, gv[2 * j], 1)) |
                   ((unsigned int)kgrl_f2bf(kgrl_rmsnorm_value(v[2 * j + 1], r, gv[2 * j + 1], 1)) << 16);
        xs[(u64)n * xst + c] = make_uint4(p[0], p[1], p[2], p[3]);
    }
    __syncthreads();
}
// The bf16 decode GEMVs on tensor cores (the host, kgrl__gemv_mma), at every N for the launches they
// take (1..64 rows a launch, the host cutting the rest), so that a row's bits still do not depend on N.
// A tile is 16 rows of W against the N rows of x as the 8 columns of mma.m16n8k16 (bf16 products,
// fp32 sums; columns N..7 zero; 9..16, ..32, ..64 rows: COLS 2, 4, 8 tiles of 8 columns), and P warps
// share a tile, part p taking the p-th share of its steps of 32 k. Lane 4 g + t of a part loads 16
// bytes of its two rows at k = 32 s + 8 t, and x row g's 16 bytes at the same k: the fragments' k
// index is a permutation of those bytes' (A and B permuted alike), so every load is a plain 16-byte
// load and no shuffle moves data. A step is two mmas
// into the part's accumulator, steps in order; the tile's first warp adds the parts in part order. So
// a sum's order is fixed, and column n of an mma reads x row n alone: a row's bits do not depend on N.
// They are the tensor cores' sums, not kgrl_gemv_run's fmaf chain, so they differ from the other
// GEMV kernels' (within bf16 rounding: test_gemv).
// Each lane keeps KGRL_GEMV_MMA_ROUND steps (4 loads of 16 bytes) in flight and loads the next tile's
// first round before the parts are added; a block's warps take tiles blockIdx.x * SLOTS + w / P, +
// SLOTS gridDim.x, ... Three uses:
//   - the LM head (PC = KGRL_GEMV_MMA_PARTS, blocks of KGRL_GEMV_MMA_WARPS, one wave looping over the
//     tiles: 9496 at Qwen2.5's vocabulary, ~9 a pair of warps);
//   - a plain launch past KGRL__GEMV_MMA_BYTES (the 1.5B down: PC 0, io.S parts, one tile a block), its
//     bias and residual read before the wait, a LoRA term added to the sums before the rounding;
//   - GLU: gate/up of RMSNorm(x) past KGRL__GEMV_MMA_BYTES with the swiglu. A tile is 8 rows of gate (A
//     rows 0..7) and the same 8 rows of up (8..15), so a lane holds both halves of h = silu(gate) * up
//     for its columns; x is normalized into shared memory once a block (kgrl_gemv_mma_stage), where the
//     other launches read x from global memory; gate's and up's LoRA terms added as in the plain launch.
// With LoRA (io.xa_late) the launch follows its A launch and waits for it only before the stores.
// H100, LM head against kgrl_k_gemv1 / kgrl_k_gemv_stream (main at 64f1a21) in the same calls (forty-fifth
// session), us: 8 rows 0.5B 98.5 against 178.2 (cuBLAS 100.2), 1.5B 162.8 against 286.4 (cuBLAS
// 167.6); one row 0.5B 99.1 against 95.6, 1.5B 160.8 against 172.8. Batch-8 decode 0.5B 6415 against
// 6039 tok/s, 1.5B 3084 against 2938; the batch-1 step 0.6467 against 0.6448 ms a token (0.5B), 1.5705
// against 1.5673. Tried in those calls: a tile a warp (the warps' last tiles a tail: 101-106 us at 8
// rows, the batch-1 step +30 us); rounds of 4 steps (96.1 us at 8 rows, but the batch-1 step +15 us)
// or 1 (117.9); the trigger right after the wait (step +2-4 us) or no loads before the wait (+4).
#define KGRL_GEMV_MMA_WARPS 8   // warps per block: the host's KGRL__GEMV_MMA_WARPS
#define KGRL_GEMV_MMA_PARTS 4   // warps a tile: the host's KGRL__GEMV_MMA_PARTS
#define KGRL_GEMV_MMA_ROUND 2   // steps of 32 k a lane keeps in flight
#define KGRL_GEMV_GLU_WARPS 16  // warps per block of the GLU launches: the host's KGRL__GEMV_GLU_WARPS
__device__ __forceinline__ void kgrl_mma_bf16(float* d, unsigned a0, unsigned a1, unsigned a2, unsigned a3, unsigned b0, unsigned b1) {
#if __CUDA_ARCH__ >= 800
    asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
#endif
}
// the round of U steps from step s0 of rows ra and rb (pointers at the lane's chunk of the part's
// first step); past the part's last step its chunk again (unused), so the loads go out together
template <int U>
__device__ __forceinline__ void kgrl_gemv_mma_load(uint4* wa, uint4* wb, const uint4* ra, const uint4* rb, int s0, int steps) {
#pragma unroll
    for (int i = 0; i < U; i++) {
        int c = 4 * min(s0 + i, steps - 1);
        wa[i] = __ldcs(ra + c);
        wb[i] = __ldcs(rb + c);
    }
}
// y + scale * xa[n, :] . lb[o, :], the LoRA term of output o of x row n, r in order (one lane an
// output: no sum of lanes, so its bits do not depend on N either)
__device__ __forceinline__ float kgrl_gemv_mma_lora(float y, const kgrl_gemv_seg& g, const kgrl_gemv_io& io, int n, int o) {
    if (!g.lb) return y;
    float l = 0.0f;
    for (int r = 0; r < io.R; r++) l = fmaf(kgrl_ld(g.xa, (u64)n * io.R + r, 1), kgrl_ld(g.lb, (u64)o * io.R + r, 1), l);
    return fmaf(io.scale, l, y);
}
// Lane (g, t)'s outputs of a tile: d[k] is row g (k < 2; GLU: gate) or g + 8 (k >= 2; GLU: up) of
// W x, column 2 t + (k & 1) of the tile's 8. EPI: the bias, the LoRA term and the residual (early,
// read before the wait; NULL: read here), each as kgrl_gemv_finish adds them; the LM head has none
template <bool GLU, bool EPI>
__device__ __forceinline__ void kgrl_gemv_mma_store(const kgrl_gemv_segs& sg, const kgrl_gemv_io& io, const float* d, const float* early,
                                                    int tile, int g, int n0) {
    const kgrl_gemv_seg& seg = sg.s[0];
    int OC = seg.OC;
    if constexpr (GLU) {
        int o = tile * 8 + g;
#pragma unroll
        for (int j = 0; j < 2; j++) {
            int n = n0 + j;
            if (n >= io.N || o >= OC) continue;
            float yg = d[j], yu = d[2 + j];
            if (seg.bias) yg += kgrl_ld(seg.bias, o, 1);
            if (sg.s[1].bias) yu += kgrl_ld(sg.s[1].bias, o, 1);
            yg = kgrl_gemv_mma_lora(yg, seg, io, n, o);
            yu = kgrl_gemv_mma_lora(yu, sg.s[1], io, n, o);
            float gt = kgrl_round(yg, 1), up = kgrl_round(yu, 1);   // as kgrl_gemv_finish's swiglu
            kgrl_st(seg.out, (u64)n * OC + o, kgrl_round(gt / (1.0f + expf(-gt)), 1) * up, 1);
        }
    } else {
#pragma unroll
        for (int k = 0; k < 4; k++) {
            int n = n0 + (k & 1), o = tile * 16 + g + (k >> 1) * 8;
            if (n >= io.N || o >= OC) continue;
            float y = d[k];
            if (EPI && seg.bias) y += kgrl_ld(seg.bias, o, 1);
            if (EPI) y = kgrl_gemv_mma_lora(y, seg, io, n, o);
            if (EPI && io.resid) y = kgrl_round(y, 1) + (early ? early[k] : kgrl_ld(io.resid, (u64)n * OC + o, 1));
            kgrl_st(seg.out, (u64)n * OC + o, y, 1);
        }
    }
}
// COLS tiles of 8 columns: x's rows 0..7, with COLS 2, 4 or 8 rows 8..15, ..31 or ..63 as the next
// tiles' columns, each against the same loads of W (a column reads its row of x alone, so its bits are
// those of COLS 1).
// PC: the parts a tile (0: io.S, one tile a block); WB: the most warps a block.
template <int COLS, int WB, int PC, bool GLU>
__device__ __forceinline__ void kgrl_gemv_mma_run(const kgrl_gemv_segs& sg, const kgrl_gemv_io& io) {
    // the part sums a column tile at a time past 2 (COLS 4: 32 warps' parts of 4 tiles would pass the
    // 48 KiB of static shared memory, and the GLU's 16 warps' its second block an SM)
    const int U = KGRL_GEMV_MMA_ROUND, P = PC > 0 ? PC : io.S, SLOTS = PC > 0 ? WB / P : 1, PCOLS = COLS == 2 ? 2 : 1;
    __shared__ float4 parts[WB][PCOLS][32];
    extern __shared__ uint4 kgrl_mma_xs[];   // GLU: (8 COLS, xst) 16-byte chunks of the normalized x
    const kgrl_gemv_seg& seg = sg.s[0];
    int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3, OC = seg.OC, w = threadIdx.x >> 5, part = w % P;
    int nch = io.K / 8, steps = io.K / 32, tiles = (OC + (GLU ? 7 : 15)) / (GLU ? 8 : 16), stride = gridDim.x * SLOTS;
    int per = (steps + P - 1) / P, sb = part * per, ns = min(steps, sb + per) - sb;   // this part's steps
    int base = blockIdx.x * SLOTS, tile = base + w / P;   // the block's first tile, this warp's
    const uint4 *W = (const uint4*)seg.W + t + 4 * sb, *W2 = GLU ? (const uint4*)sg.s[1].W + t + 4 * sb : W;
    const uint4 *ra, *rb;
    kgrl_gemv_mma_rows<GLU>(&ra, &rb, W, W2, tile, g, OC, nch);
    uint4 wa[U], wb[U];
    if (tile < tiles && ns > 0) kgrl_gemv_mma_load<U>(wa, wb, ra, rb, 0, ns);
    // a plain launch's residual (written launches ago) for its one tile, read before the wait; at COLS
    // 4 in the stores (its 16 registers would spill the 1024-thread wide kernel's 64: 132 bytes, ptxas)
    constexpr int EARLY = COLS <= 2 ? COLS : 0;
    float early[EARLY > 0 ? EARLY : 1][4];
#pragma unroll
    for (int c = 0; c < EARLY; c++)
#pragma unroll
        for (int k = 0; k < 4; k++) {
            int n = 8 * c + 2 * t + (k & 1), o = tile * 16 + g + (k >> 1) * 8;
            early[c][k] = PC == 0 && !GLU && io.resid && n < io.N && o < OC && tile < tiles ? kgrl_ld(io.resid, (u64)n * OC + o, 1) : 0.0f;
        }
    if (!io.xa_late) kgrl_dep_wait();   // x is the kernel before's (xa_late: older; the wait is before the stores)
    if (PC == 0 || GLU) kgrl_dep_launch();   // a layer's launch: as kgrl_gemv_run, at the wait
    int xst = kgrl_gemv_mma_xst(nch);
    if (GLU) kgrl_gemv_mma_stage(kgrl_mma_xs, io, xst);
    // x row 8 c + g, column g of tile c, at x0 + xoff[c] (32-bit offsets: 64-bit pointers a tile spilled
    // the 1024-thread wide kernel at COLS 4, ptxas)
    const uint4* x0 = (GLU ? kgrl_mma_xs : (const uint4*)io.x) + t + 4 * sb;
    unsigned xoff[COLS];
    bool xlive[COLS];
#pragma unroll
    for (int c = 0; c < COLS; c++) {
        xoff[c] = GLU ? (unsigned)((8 * c + g) * xst) : (unsigned)(min(8 * c + g, io.N - 1) * nch);
        xlive[c] = 8 * c + g < io.N;
    }
    for (; base < tiles; base += stride, tile += stride) {   // the block's warps together (the part sums)
        float d[COLS][4];
#pragma unroll
        for (int c = 0; c < COLS; c++) d[c][0] = d[c][1] = d[c][2] = d[c][3] = 0.0f;
        for (int s0 = 0; s0 < ns && tile < tiles; s0 += U) {
#pragma unroll
            for (int i = 0; i < U; i++) {
                if (s0 + i >= ns) break;
#pragma unroll
                for (int c = 0; c < COLS; c++) {
                    uint4 xv = xlive[c] ? x0[xoff[c] + 4 * (s0 + i)] : make_uint4(0u, 0u, 0u, 0u);
                    kgrl_mma_bf16(d[c], wa[i].x, wb[i].x, wa[i].y, wb[i].y, xv.x, xv.y);
                    kgrl_mma_bf16(d[c], wa[i].z, wb[i].z, wa[i].w, wb[i].w, xv.z, xv.w);
                }
            }
            if (s0 + U < ns) kgrl_gemv_mma_load<U>(wa, wb, ra, rb, s0 + U, ns);
        }
        int next = tile + stride;   // the next tile's first round, in flight during the part sums
        kgrl_gemv_mma_rows<GLU>(&ra, &rb, W, W2, next, g, OC, nch);
        if (next < tiles && ns > 0) kgrl_gemv_mma_load<U>(wa, wb, ra, rb, 0, ns);
#pragma unroll
        for (int c0 = 0; c0 < COLS; c0 += PCOLS) {
#pragma unroll
            for (int c = 0; c < PCOLS; c++) parts[w][c][lane] = make_float4(d[c0 + c][0], d[c0 + c][1], d[c0 + c][2], d[c0 + c][3]);
            __syncthreads();
            if (part == 0)
                for (int q = 1; q < P; q++)
#pragma unroll
                    for (int c = 0; c < PCOLS; c++) {
                        float4 v = parts[w + q][c][lane];
                        d[c0 + c][0] += v.x; d[c0 + c][1] += v.y; d[c0 + c][2] += v.z; d[c0 + c][3] += v.w;
                    }
            __syncthreads();
        }
        if (io.xa_late) kgrl_dep_wait();   // the LoRA A launch's xa, read in the stores
        if (part == 0 && tile < tiles)
#pragma unroll
            for (int c = 0; c < COLS; c++) kgrl_gemv_mma_store<GLU, PC == 0>(sg, io, d[c], EARLY ? early[c] : NULL, tile, g, 8 * c + 2 * t);
    }
    if (PC > 0 && !GLU) kgrl_dep_launch();   // the LM head: after the loop; right after the wait the step took 2-4 us longer (above)
}
extern "C" __global__ void __launch_bounds__(32 * KGRL_GEMV_MMA_WARPS, 4)   // the host's KGRL__GEMV_MMA_BLOCKS
kgrl_k_gemv_mma(const __grid_constant__ kgrl_gemv_segs sg, const __grid_constant__ kgrl_gemv_io io) {
    kgrl_gemv_mma_run<1, KGRL_GEMV_MMA_WARPS, KGRL_GEMV_MMA_PARTS, false>(sg, io);
}
extern "C" __global__ void __launch_bounds__(32 * KGRL_GEMV_MMA_WARPS, 4)
kgrl_k_gemv16_mma(const __grid_constant__ kgrl_gemv_segs sg, const __grid_constant__ kgrl_gemv_io io) {
    kgrl_gemv_mma_run<2, KGRL_GEMV_MMA_WARPS, KGRL_GEMV_MMA_PARTS, false>(sg, io);
}
extern "C" __global__ void __launch_bounds__(32 * KGRL_GEMV_MMA_WARPS, 2)   // at 4 an SM it spilled 72 bytes (ptxas)
kgrl_k_gemv32_mma(const __grid_constant__ kgrl_gemv_segs sg, const __grid_constant__ kgrl_gemv_io io) {
    kgrl_gemv_mma_run<4, KGRL_GEMV_MMA_WARPS, KGRL_GEMV_MMA_PARTS, false>(sg, io);
}
extern "C" __global__ void __launch_bounds__(32 * KGRL_GEMV_MMA_WARPS, 2)
kgrl_k_gemv64_mma(const __grid_constant__ kgrl_gemv_segs sg, const __grid_constant__ kgrl_gemv_io io) {
    kgrl_gemv_mma_run<8, KGRL_GEMV_MMA_WARPS, KGRL_GEMV_MMA_PARTS, false>(sg, io);
}
// a plain launch past KGRL__GEMV_MMA_BYTES: io.S parts (at most 32) of one tile a block; none at COLS 8
// (1024 threads leave 64 registers a thread, which COLS 4 already fills)
extern "C" __global__ void __launch_bounds__(1024, 1)
kgrl_k_gemv_mma_wide(const __grid_constant__ kgrl_gemv_segs sg, const __grid_constant__ kgrl_gemv_io io) {
    kgrl_gemv_mma_run<1, 32, 0, false>(sg, io);
}
extern "C" __global__ void __launch_bounds__(1024, 1)
kgrl_k_gemv16_mma_wide(const __grid_constant__ kgrl_gemv_segs sg, const __grid_constant__ kgrl_gemv_io io) {
    kgrl_gemv_mma_run<2, 32, 0, false>(sg, io);
}
extern "C" __global__ void __launch_bounds__(1024, 1)
kgrl_k_gemv32_mma_wide(const __grid_constant__ kgrl_gemv_segs sg, const __grid_constant__ kgrl_gemv_io io) {
    kgrl_gemv_mma_run<4, 32, 0, false>(sg, io);
}
// gate/up of the norm with the swiglu past KGRL__GEMV_MMA_BYTES: KGRL_GEMV_MMA_PARTS parts a tile, blocks
// of KGRL_GEMV_GLU_WARPS looping over the tiles
extern "C" __global__ void __launch_bounds__(32 * KGRL_GEMV_GLU_WARPS, 2)
kgrl_k_gemv_mma_glu(const __grid_constant__ kgrl_gemv_segs sg, const __grid_constant__ kgrl_gemv_io io) {
    kgrl_gemv_mma_run<1, KGRL_GEMV_GLU_WARPS, KGRL_GEMV_MMA_PARTS, true>(sg, io);
}
extern "C" __global__ void __launch_bounds__(32 * KGRL_GEMV_GLU_WARPS, 2)
kgrl_k_gemv16_mma_glu(const __grid_constant__ kgrl_gemv_segs sg, const __grid_constant__ kgrl_gemv_io io) {
    kgrl_gemv_mma_run<2, KGRL_GEMV_GLU_WARPS, KGRL_GEMV_MMA_PARTS, true>(sg, io);
}
extern "C" __global__ void __launch_bounds__(32 * KGRL_GEMV_GLU_WARPS, 2)
kgrl_k_gemv32_mma_glu(const __grid_constant__ kgrl_gemv_segs sg, const __grid_constant__ kgrl_gemv_io io) {
    kgrl_gemv_mma_run<4, KGRL_GEMV_GLU_WARPS, KGRL_GEMV_MMA_PARTS, true>(sg, io);
}
extern "C" __global__ void __launch_bounds__(32 * KGRL_GEMV_GLU_WARPS, 1)   // its 64 rows of x fill the SM's shared memory
kgrl_k_gemv64_mma_glu(const __grid_constant__ kgrl_gemv_segs sg, const __grid_constant__ kgrl_gemv_io io) {
    kgrl_gemv_mma_run<8, KGRL_GEMV_GLU_WARPS, KGRL_GEMV_MMA_PARTS, true>(sg, io);
}
extern "C" __global__ void __launch_bounds__(32 * KGRL_GEMV_WARPS, 8)
kgrl_k_gemv1(const __grid_constant__ kgrl_gemv_segs sg, const __grid_constant__ kgrl_gemv_io io) {
    if (io.bf) kgrl_gemv_run<1, 1, false>(sg, io);
    else kgrl_gemv_run<0, 1, false>(sg, io);
}
// N = 1 with the norm (io.norm_w): 4 weight loads in flight fit 10 blocks an SM (48 registers, 62 bytes
// spilled), so the 0.5B gate/up launch's 1216 blocks run in one wave of 1320 on 132 SMs (at 8 blocks
// an SM, 1056 resident, the last blocks started ~6 us after the first: trace, H100). Scratch probe of
// the graph-launched batch-1 step, H100, against 8 blocks an SM in the same call: 0.5B 777.3 / 777.8
// -> 759.9 / 758.3 us, 1.5B 1650.0 -> 1627.0 us.
extern "C" __global__ void __launch_bounds__(32 * KGRL_GEMV_WARPS, 10)
kgrl_k_gemv1_norm(const __grid_constant__ kgrl_gemv_segs sg, const __grid_constant__ kgrl_gemv_io io) {
    if (io.bf) kgrl_gemv_run<1, 1, true>(sg, io);
    else kgrl_gemv_run<0, 1, true>(sg, io);
}

// ---------------------------------------------------------------------------------------------
// RoPE on rows of (NH, HS). Row n = (b, i) with b = n / T, i = n % T reads input row b*inT + in0 + i
// and writes output row b*outT + out0 + i (so k goes straight into its KV cache slots).
// grid N, block 128. bwd != 0: the transpose (rotate by -angle) accumulated into out.
extern "C" __global__ void kgrl_k_rope(void* out, const void* inp, const int* pos, const float* inv_freq, int N, int T,
                                       int inT, int in0, int outT, int out0, int NH, int HS, int bwd, int bf) {
    kgrl_dep_wait();
    kgrl_dep_launch();
    int n = blockIdx.x;
    if (n >= N) return;
    int b = n / T, i = n % T, half = HS / 2;
    u64 ib = ((u64)b * inT + in0 + i) * NH * HS, ob = ((u64)b * outT + out0 + i) * NH * HS;
    for (int j = threadIdx.x; j < NH * half; j += blockDim.x) {
        int h = j / half, f = j % half;
        float ang = (float)pos[n] * inv_freq[f];   // fp32 product as transformers
        float cs = cosf(ang), sn = sinf(ang);
        u64 a = ib + (u64)h * HS + f, o = ob + (u64)h * HS + f;
        float x1 = kgrl_ld(inp, a, bf), x2 = kgrl_ld(inp, a + half, bf);
        if (!bwd) {
            kgrl_st(out, o, x1 * cs - x2 * sn, bf);
            kgrl_st(out, o + half, x2 * cs + x1 * sn, bf);
        } else {
            kgrl_st(out, o, kgrl_ld(out, o, bf) + x1 * cs + x2 * sn, bf);
            kgrl_st(out, o + half, kgrl_ld(out, o + half, bf) + x2 * cs - x1 * sn, bf);
        }
    }
}

// The forward's RoPE of one layer in one launch: q rotated into q_out (N, NH, HS); k rotated and v
// copied into their KV-cache slots (B, Tk, KVH, HS), row n = (b, i) into slot t0 + i. The same
// arithmetic as kgrl_k_rope, so results do not change. t0p != NULL: t0 = *t0p (the device-driven
// decode step, whose slot moves on the device). grid N, block 128.
extern "C" __global__ void kgrl_k_rope_qkv(void* q_out, const void* q, void* k_cache, const void* k, void* v_cache,
                                           const void* v, const int* pos, const float* inv_freq, const int* t0p, int N,
                                           int T, int Tk, int t0, int NH, int KVH, int HS, int bf) {
    kgrl_dep_wait();
    kgrl_dep_launch();
    int n = blockIdx.x;
    if (n >= N) return;
    if (t0p) t0 = *t0p;
    int b = n / T, i = n % T, half = HS / 2;
    u64 qb = (u64)n * NH * HS, kb = (u64)n * KVH * HS, cb = ((u64)b * Tk + t0 + i) * KVH * HS;
    for (int j = threadIdx.x; j < (NH + KVH) * half; j += blockDim.x) {
        int h = j / half, f = j % half;
        float ang = (float)pos[n] * inv_freq[f];   // fp32 product as transformers
        float cs = cosf(ang), sn = sinf(ang);
        const void* in = h < NH ? q : k;
        void* out = h < NH ? q_out : k_cache;
        u64 a = h < NH ? qb + (u64)h * HS + f : kb + (u64)(h - NH) * HS + f;
        u64 o = h < NH ? a : cb + (u64)(h - NH) * HS + f;
        float x1 = kgrl_ld(in, a, bf), x2 = kgrl_ld(in, a + half, bf);
        kgrl_st(out, o, x1 * cs - x2 * sn, bf);
        kgrl_st(out, o + half, x2 * cs + x1 * sn, bf);
    }
    for (int j = threadIdx.x; j < KVH * HS; j += blockDim.x) kgrl_st(v_cache, cb + j, kgrl_ld(v, kb + j, bf), bf);
}

// ---------------------------------------------------------------------------------------------
// Attention (causal, GQA, key mask), flash-style: one block per (query i, head h, batch b), each
// warp walks slots s = start[b] + warp, + nw, ... with an online softmax; lanes own d = lane + 32j.
// Warps combine at the end in warp order. q (B, Tq, NH, HS); k, v (B, Tk, KVH, HS) slot buffers;
// query i sits in slot t0 + i; start (B): each row's first real slot (NULL: 0). out (B, Tq, NH, HS);
// lse (B, NH, Tq) fp32 logsumexp of the scaled scores (-inf for a padding query, whose out is 0).
// HS <= 256. t0p != NULL: t0 = *t0p (device-driven decode).
#define KGRL_ATT_WARPS 4
#define KGRL_HS_MAX 256
extern "C" __global__ void kgrl_k_attention_fwd(void* out, float* lse, const void* q, const void* k, const void* v,
                                                const int* kmask, const int* start, const int* t0p, int B, int Tq, int Tk,
                                                int t0, int NH, int KVH, int HS, int bf) {
    kgrl_dep_wait();
    kgrl_dep_launch();
    __shared__ float sm[KGRL_ATT_WARPS], sl[KGRL_ATT_WARPS], sacc[KGRL_ATT_WARPS][KGRL_HS_MAX];
    int i = blockIdx.x, h = blockIdx.y, b = blockIdx.z;
    if (t0p) t0 = *t0p;
    int w = threadIdx.x >> 5, lane = threadIdx.x & 31, kh = h / (NH / KVH), slot = t0 + i;
    int nj = (HS + 31) / 32;
    u64 qo = (((u64)b * Tq + i) * NH + h) * HS;
    float scale = 1.0f / sqrtf((float)HS);
    bool real = kmask[(u64)b * Tk + slot] != 0;
    float qv[8], acc[8];
    for (int j = 0; j < nj; j++) { int d = lane + 32 * j; qv[j] = d < HS ? kgrl_ld(q, qo + d, bf) : 0.0f; acc[j] = 0.0f; }
    float m = -INFINITY, l = 0.0f;
    // warp w takes the slots start + w, start + w + KGRL_ATT_WARPS, ...: counted from the row's first
    // real slot, so left padding (a shorter prompt beside a longer one) moves no slot to another warp
    int s0 = start ? start[b] : 0;
    for (int s = s0 + w; real && s <= slot; s += KGRL_ATT_WARPS) {
        if (!kmask[(u64)b * Tk + s]) continue;
        u64 ko = (((u64)b * Tk + s) * KVH + kh) * HS;
        float dot = 0.0f;
        for (int j = 0; j < nj; j++) { int d = lane + 32 * j; if (d < HS) dot += qv[j] * kgrl_ld(k, ko + d, bf); }
        for (int o = 16; o > 0; o >>= 1) dot += __shfl_xor_sync(0xffffffffu, dot, o);
        float sc = dot * scale, mn = fmaxf(m, sc);
        float corr = expf(m - mn), p = expf(sc - mn);   // m = -inf at first: corr = 0
        l = l * corr + p;
        for (int j = 0; j < nj; j++) { int d = lane + 32 * j; acc[j] = acc[j] * corr + (d < HS ? p * kgrl_ld(v, ko + d, bf) : 0.0f); }
        m = mn;
    }
    if (lane == 0) { sm[w] = m; sl[w] = l; }
    for (int j = 0; j < nj; j++) { int d = lane + 32 * j; if (d < HS) sacc[w][d] = acc[j]; }
    __syncthreads();
    if (w != 0) return;
    float M = -INFINITY;
    for (int x = 0; x < KGRL_ATT_WARPS; x++) M = fmaxf(M, sm[x]);
    float L = 0.0f;
    for (int x = 0; x < KGRL_ATT_WARPS; x++) if (sm[x] != -INFINITY) L += sl[x] * expf(sm[x] - M);
    for (int j = 0; j < nj; j++) {
        int d = lane + 32 * j;
        if (d >= HS) continue;
        float y = 0.0f;
        for (int x = 0; x < KGRL_ATT_WARPS; x++) if (sm[x] != -INFINITY) y += sacc[x][d] * expf(sm[x] - M);
        kgrl_st(out, qo + d, real && L > 0.0f ? y / L : 0.0f, bf);
    }
    if (lane == 0 && lse) lse[((u64)b * NH + h) * Tq + i] = (real && L > 0.0f) ? M + logf(L) : -INFINITY;
}

// Split-KV decode attention (one query per row, Tq = 1; "flash-decoding"), one launch. A walk over
// the slots gives each warp a chain of dependent loads (~0.5 ms a layer at a 2k-token cache), so the
// slots start[b]..t0 (start: the row's first real slot, NULL: 0) are cut into chunks of CH (the host's
// kgrl__att_chunk: CH <= 256 slots and 32 KiB of stored keys) and block (chunk, h, b) loads its
// chunk's keys and values into shared memory with every load in flight at once (a decode step's cache was last read a step ago, so it comes from DRAM: one
// round trip, not one per slot), scores one slot per thread, and sums p * v with threads over (slot
// group, dim). A chunk's partial (its max score m, sum of exp(score - m), unnormalized output) goes to
// part (B, NH, nchunk, 2 + HS) fp32; the last chunk block of (b, h) to finish (count (B, NH), 0 before
// the launch, reset by that block) combines the partials in chunk order, so the bits do not depend on
// which block finishes last. With one chunk the block combines its own partial without the counter
// (the same bits as through it): chunks are as long as the registers allow (256 slots of a bf16 head
// of 64) because that fence, counter and second pass were ~3 us of the 0.5B step's ~7.3 us attention
// a layer at 4 chunks of 64 (~190 slots; fourteenth-session trace). out (B, 1, NH, HS), lse (B, NH, 1)
// as kgrl_k_attention_fwd (0 and -inf for a padding query). Chunks past t0 return at once: the grid
// covers the plan's Tk, so a captured graph serves every step. grid (nchunk, NH, B), block
// KGRL_ATT_DEC_THREADS, dynamic shared memory (the host's kgrl__attention_decode): the chunk's keys and
// values in the storage dtype, CH rows of kgrl_att_row(HS) elements each, and at least the combine's
// 2 * nchunk floats (nchunk <= 2048).
#define KGRL_ATT_DEC_THREADS 256   // >= CH: one slot per thread when scoring
// A chunk of n rows (HS elements, slot s at row0 + s * KVH) of k and v goes into sk and sv in the
// storage dtype, rows SR = kgrl_att_row(HS, bf) elements apart (an odd number of 4-byte words: a thread
// per slot reads them without bank conflicts), in 16-byte pieces (per = HS * es / 16 a row) that load
// into registers first, so the kernel issues them around its wait.
#define KGRL_ATT_DEC_U 8   // 16-byte pieces a thread: a chunk's tot <= 32 KiB / 16 = 2048 = U * 256
__device__ __forceinline__ int kgrl_att_row(int HS, int bf) { return HS + (bf ? 2 : 1); }
// Pieces [i0, i1) of a chunk's keys and values (rows row0, row0 + KVH, ... of k and v; per pieces a
// row) into registers: piece i = threadIdx.x + u * blockDim.x goes to kr[u] and vr[u]
__device__ __forceinline__ void kgrl_att_chunk_load(uint4* kr, uint4* vr, const void* k, const void* v, u64 row0, int KVH,
                                                    int per, int i0, int i1) {
#pragma unroll
    for (int u = 0; u < KGRL_ATT_DEC_U; u++) {
        int i = threadIdx.x + u * KGRL_ATT_DEC_THREADS;
        if (i < i0 || i >= i1) continue;
        u64 off = (row0 + (u64)(i / per) * KVH) * per + i % per;
        kr[u] = ((const uint4*)k)[off];
        vr[u] = ((const uint4*)v)[off];
    }
}
// The loaded pieces [i0, i1) into the shared rows sk, sv, as 4-byte words (a piece starts at a word:
// HS * es is a multiple of 16, so SR is even in bf16)
__device__ __forceinline__ void kgrl_att_chunk_store(void* sk, void* sv, const uint4* kr, const uint4* vr, int per, int i0,
                                                     int i1, int HS, int bf) {
    int es = bf ? 2 : 4, E = 16 / es, SR = kgrl_att_row(HS, bf);
#pragma unroll
    for (int u = 0; u < KGRL_ATT_DEC_U; u++) {
        int i = threadIdx.x + u * KGRL_ATT_DEC_THREADS;
        if (i < i0 || i >= i1) continue;
        int at = ((i / per) * SR + (i % per) * E) * es / 4;   // in words
        unsigned int* wk = (unsigned int*)sk + at;
        unsigned int* wv = (unsigned int*)sv + at;
        wk[0] = kr[u].x; wk[1] = kr[u].y; wk[2] = kr[u].z; wk[3] = kr[u].w;
        wv[0] = vr[u].x; wv[1] = vr[u].y; wv[2] = vr[u].z; wv[3] = vr[u].w;
    }
}
// Rows not in 16-byte pieces (no model in the kit has such a head): element loads of the n rows
__device__ __forceinline__ void kgrl_att_chunk_elems(void* sk, void* sv, const void* k, const void* v, u64 row0, int KVH,
                                                     int n, int HS, int bf) {
    int SR = kgrl_att_row(HS, bf);
    for (int i = threadIdx.x; i < n * HS; i += blockDim.x) {
        u64 off = (row0 + (u64)(i / HS) * KVH) * HS + i % HS;
        kgrl_st(sk, (i / HS) * SR + i % HS, kgrl_ld(k, off, bf), bf);   // a bf16 value goes through a float exactly
        kgrl_st(sv, (i / HS) * SR + i % HS, kgrl_ld(v, off, bf), bf);
    }
}
// Combines the nlive partials pp of (b, h) in chunk order into out and lse (the last block's threads;
// sm: shared scratch of 2 * nlive floats). The chunks' m and l come in with their loads in flight
// together, then each output dimension's nlive sums 8 at a time (loaded one at a time, the combine
// took ~3.5 us of the 0.5B step's 8.8 us attention a layer: the trace of 86af170).
__device__ __forceinline__ void kgrl_att_combine(void* out, float* lse, const float* pp, int nlive, bool real, u64 qo,
                                                 float* lo, int HS, int bf, float* sm) {
    float* se = sm + nlive;   // exp(m_c - M), 0 for a chunk with no real slot
    for (int c = threadIdx.x; c < nlive; c += blockDim.x) { sm[c] = __ldcg(pp + (u64)c * (2 + HS)); se[c] = __ldcg(pp + (u64)c * (2 + HS) + 1); }
    __syncthreads();
    float M = -INFINITY, L = 0.0f;
    for (int c = 0; c < nlive; c++) M = fmaxf(M, sm[c]);
    for (int c = 0; c < nlive; c++) L += sm[c] != -INFINITY ? se[c] * expf(sm[c] - M) : 0.0f;
    __syncthreads();   // every thread has read sm and se
    for (int c = threadIdx.x; c < nlive; c += blockDim.x) se[c] = sm[c] != -INFINITY ? expf(sm[c] - M) : 0.0f;
    __syncthreads();
    for (int d = threadIdx.x; d < HS; d += blockDim.x) {
        float y = 0.0f;
#pragma unroll 8
        for (int c = 0; c < nlive; c++) {
            float pc = __ldcg(pp + (u64)c * (2 + HS) + 2 + d);
            y += se[c] != 0.0f ? pc * se[c] : 0.0f;
        }
        kgrl_st(out, qo + d, real && L > 0.0f ? y / L : 0.0f, bf);
    }
    if (threadIdx.x == 0 && lo) *lo = (real && L > 0.0f) ? M + logf(L) : -INFINITY;
}
static_assert(KGRL_HS_MAX <= KGRL_ATT_DEC_THREADS, "a thread loads one element of the query");
// The kernel's body for one storage dtype and, where HSC > 0, one head size (HSC; else hs), with the
// block size the constant KGRL_ATT_DEC_THREADS: the piece index math (i / per, i % per) and the loops
// over HS then compile to shifts and fixed trip counts. Taken one at a time on the 0.5B decode_split
// node (H100): the dtype, with the chunk's stores before the wait and the load order after it, 4.23 ->
// 3.83 us (twenty-ninth session); HS 64 at compile time 3.84 -> 2.44 us, the batch-1 step 0.677 ->
// 0.669 ms a token (medians of five pairs, three rounds each against the earlier kernel in one call,
// thirtieth session)
// The bodies' static shared memory, one block of it for all eight (4.1 KB): declared in each body, it
// was 16.5 KB for four bodies and 33 KB for eight, and the 1.5B batch-1 step took 1.662 / 1.667 ms
// with 33 KB against 1.578 / 1.574 with 16.5 (a26c62d) and 1.557 / 1.553 with this (0.5B: 0.6539 /
// 0.6485 against 0.6478 / 0.6467; H100, same calls, forty-seventh session)
struct kgrl_att_shared {
    float sq[KGRL_HS_MAX], sp[KGRL_ATT_DEC_THREADS], sacc[2 * KGRL_ATT_DEC_THREADS], sh[KGRL_ATT_DEC_THREADS / 32];
};
template <int bf, int HSC, bool START>
__device__ __forceinline__ void kgrl_att_decode_run(kgrl_att_shared& S, void* out, float* lse, float* part, unsigned int* count,
                                                    const void* q, const void* k, const void* v, const int* kmask,
                                                    const int* start, const int* t0p, int Tk, int t0, int NH, int KVH, int hs,
                                                    int CH) {
    const int HS = HSC > 0 ? HSC : hs;
    extern __shared__ float kgrl_att_dsm[];
    float *sq = S.sq, *sp = S.sp, *sacc = S.sacc, *sh = S.sh;
    int es = bf ? 2 : 4, SR = kgrl_att_row(HS, bf);
    void *sk = kgrl_att_dsm, *sv = (char*)kgrl_att_dsm + (u64)CH * SR * es;   // (CH, SR) each, the storage dtype
    int c = blockIdx.x, h = blockIdx.y, b = blockIdx.z, t = threadIdx.x, nchunk = gridDim.x;
    // Before the wait: the slot and the key mask (kgrl_k_decode_advance or the host wrote them kernels
    // ago) and the keys and values of the slots before the query's (earlier steps wrote them), into
    // shared memory: the chunk's DRAM round trip and its stores overlap the q/k/v launch. The query
    // and its own slot's key and value come from that launch, after the wait. (Loaded after it, the
    // chunk took ~2.5 us of the 0.5B step's ~8.3 us attention a layer: marked trace, H100, thirteenth
    // session.)
    // chunks are counted from the row's first real slot (start), so a left-padded row's slots fall
    // into the chunks and threads they take in the row without padding: the same sums, bit for bit
    if (t0p) t0 = *t0p;
    int first = START ? start[b] : 0, s0 = first + c * CH;
    if (s0 > t0) return;   // past the query: neither read nor counted
    int n = min(CH, t0 + 1 - s0), nlive = (t0 - first) / CH + 1, kh = h / (NH / KVH);
    bool scored = t < n && kmask[(u64)b * Tk + s0 + t] != 0, real = kmask[(u64)b * Tk + t0] != 0;
    int per = HS * es / 16, tot = n * per, before = (t0 + 1 - s0 <= CH ? n - 1 : n) * per;
    bool pieces = (HS * es) % 16 == 0;
    u64 row0 = ((u64)b * Tk + s0) * KVH + kh;
    uint4 kr[KGRL_ATT_DEC_U], vr[KGRL_ATT_DEC_U];
    if (pieces) {
        kgrl_att_chunk_load(kr, vr, k, v, row0, KVH, per, 0, before);
        kgrl_att_chunk_store(sk, sv, kr, vr, per, 0, before, HS, bf);
    }
    kgrl_dep_wait();
    // the query's element and the new slot's pieces in flight together before a shared store waits on
    // either (in the earlier order's PTX a thread holding both issued the slot's loads only after the
    // query's had landed: two L2 round trips after the wait)
    u64 qo = ((u64)b * NH + h) * HS;
    float qd = t < HS ? kgrl_ld(q, qo + t, bf) : 0.0f;   // HS <= KGRL_HS_MAX <= the block's threads
    if (pieces) kgrl_att_chunk_load(kr, vr, k, v, row0, KVH, per, before, tot);
    if (t < HS) sq[t] = qd;
    if (pieces) kgrl_att_chunk_store(sk, sv, kr, vr, per, before, tot, HS, bf);
    else kgrl_att_chunk_elems(sk, sv, k, v, row0, KVH, n, HS, bf);
    __syncthreads();
    // The next launch (o) starts only now, so its weight loads do not queue ahead of the query's and the
    // new slot's: 0.5B batch-1 step 0.6478 / 0.6464 / 0.6470 against 0.6524 / 0.6506 / 0.6525 ms a token
    // with the trigger at the wait (three interleaved rounds, H100, thirty-ninth session); after p * v
    // instead, 0.6556-0.6566
    kgrl_dep_launch();
    float sc = -INFINITY;
    if (scored) {
        float dot = 0.0f;
        for (int d = 0; d < HS; d++) dot += sq[d] * kgrl_ld(sk, t * SR + d, bf);
        sc = dot * (1.0f / sqrtf((float)HS));
    }
    float m = kgrl_block_max(sc, sh);
    float p = sc == -INFINITY ? 0.0f : expf(sc - m);   // a masked slot (or a chunk all masked) adds 0
    sp[t] = p;
    float l = kgrl_block_sum(p, sh);                   // syncs: sp is complete
    // p * v: G slot groups of HS dimensions (G * HS <= 2 * 256 since HS <= 256); a masked slot's v may
    // hold anything (NaN): selected away, not multiplied by 0
    int G = KGRL_ATT_DEC_THREADS / HS > 0 ? KGRL_ATT_DEC_THREADS / HS : 1, g = t / HS;
    if (g < G)
        for (int d = t % HS; d < HS; d += KGRL_ATT_DEC_THREADS) {
            float acc = 0.0f;
            for (int j = g; j < n; j += G) {
                float pj = sp[j], vj = kgrl_ld(sv, j * SR + d, bf);
                acc += pj != 0.0f ? pj * vj : 0.0f;
            }
            sacc[g * HS + d] = acc;
        }
    __syncthreads();
    float* lo = lse ? lse + (u64)b * NH + h : NULL;
    float* pp = part + ((u64)b * NH + h) * nchunk * (2 + HS);
    float* mine = pp + (u64)c * (2 + HS);
    for (int d = t; d < HS; d += blockDim.x) {
        float y = 0.0f;
        for (int x = 0; x < G; x++) y += sacc[x * HS + d];
        // the only chunk finishes here: what the combine computes with M = m and L = l, bit for bit
        if (nlive == 1) kgrl_st(out, qo + d, real && l > 0.0f ? y / l : 0.0f, bf);
        else mine[2 + d] = y;
    }
    if (nlive == 1) {
        if (t == 0 && lo) *lo = (real && l > 0.0f) ? m + logf(l) : -INFINITY;
        return;
    }
    if (t == 0) { mine[0] = m; mine[1] = l; }
    if (!kgrl_last_block(count + (u64)b * NH + h, (unsigned)nlive)) return;
    kgrl_att_combine(out, lse, pp, nlive, real, qo, lo, HS, bf, kgrl_att_dsm);
    if (t == 0) count[(u64)b * NH + h] = 0u;   // ready for the next launch
}
template <bool START>
__device__ __forceinline__ void kgrl_att_decode_bodies(kgrl_att_shared& S, void* out, float* lse, float* part,
                                                       unsigned int* count, const void* q, const void* k, const void* v,
                                                       const int* kmask, const int* start, const int* t0p, int Tk, int t0,
                                                       int NH, int KVH, int HS, int CH, int bf) {
    if (bf && HS == 64) kgrl_att_decode_run<1, 64, START>(S, out, lse, part, count, q, k, v, kmask, start, t0p, Tk, t0, NH, KVH, HS, CH);
    else if (bf && HS == 128) kgrl_att_decode_run<1, 128, START>(S, out, lse, part, count, q, k, v, kmask, start, t0p, Tk, t0, NH, KVH, HS, CH);
    else if (bf) kgrl_att_decode_run<1, 0, START>(S, out, lse, part, count, q, k, v, kmask, start, t0p, Tk, t0, NH, KVH, HS, CH);
    else kgrl_att_decode_run<0, 0, START>(S, out, lse, part, count, q, k, v, kmask, start, t0p, Tk, t0, NH, KVH, HS, CH);
}
// 1 block an SM asked of ptxas (a one-body kernel at its default kept 80 registers and spilled 32
// bytes); with the eight bodies 123 registers, no spills, and 4.1 KB of static shared memory (one
// kgrl_att_shared) beside at most ~68 KB of dynamic (ptxas -v, sm_90)
extern "C" __global__ void __launch_bounds__(KGRL_ATT_DEC_THREADS, 1)
kgrl_k_attention_decode(void* out, float* lse, float* part, unsigned int* count, const void* q, const void* k,
                        const void* v, const int* kmask, const int* start, const int* t0p, int Tk, int t0, int NH, int KVH,
                        int HS, int CH, int bf) {
    // the head sizes of the Qwen2.5 models the kit benchmarks (0.5B: 64, 1.5B: 128) in bf16, the decode
    // dtype; every other size and fp32 (the tests' mode) through the general bodies
    // start (some row left-padded) in bodies of their own: read inside the one body, it took the 8-row
    // node from 2.80 to 3.15 us and the 0.5B batch-64 step from 1.92 to 2.19 ms with start NULL (H100,
    // forty-seventh session)
    __shared__ kgrl_att_shared S;
    if (start) kgrl_att_decode_bodies<true>(S, out, lse, part, count, q, k, v, kmask, start, t0p, Tk, t0, NH, KVH, HS, CH, bf);
    else kgrl_att_decode_bodies<false>(S, out, lse, part, count, q, k, v, kmask, start, t0p, Tk, t0, NH, KVH, HS, CH, bf);
}

// D (B, NH, Tq) = sum_d dout * out (= sum_s p_s dp_s), fp32. grid (Tq, NH, B), block 32.
extern "C" __global__ void kgrl_k_attention_bwd_pre(float* D, const void* dout, const void* out, int Tq, int NH, int HS, int bf) {
    kgrl_dep_wait();
    int i = blockIdx.x, h = blockIdx.y, b = blockIdx.z, lane = threadIdx.x;
    u64 o = (((u64)b * Tq + i) * NH + h) * HS;
    float s = 0.0f;
    for (int d = lane; d < HS; d += 32) s += kgrl_ld(dout, o + d, bf) * kgrl_ld(out, o + d, bf);
    for (int x = 16; x > 0; x >>= 1) s += __shfl_xor_sync(0xffffffffu, s, x);
    if (lane == 0) D[((u64)b * NH + h) * Tq + i] = s;
}
// ---------------------------------------------------------------------------------------------
// Attention of a training forward / backward (t0 = 0) on cuBLAS's batched GEMMs: one (T, T) score
// matrix per (row b, head h) in fp32, the softmax and its backward as the row kernels below. The
// walks above spend ~90% of a 0.5B LoRA step (exp04, H100: ~460 of 509 ms) on CUDA-core dot
// products; the GEMMs run them on tensor cores. Like torch's flash attention, P and dS are rounded to
// the storage dtype before their GEMMs.
// Pointer arrays of one batched GEMM: entry i = b * NH + h of each operand, by layout kind:
//   0 (B, T, NH, HS) q rows   1 (B, Tk, KVH, HS) kv slots (head h / rep)   2 (B, NH, T, T)   3 (B, NH, T, HS)
__device__ u64 kgrl_att_off(int kind, int b, int h, int NH, int KVH, int T, int Tk, int HS) {
    if (kind == 0) return ((u64)b * T * NH + h) * HS;
    if (kind == 1) return ((u64)b * Tk * KVH + h / (NH / KVH)) * HS;
    if (kind == 2) return ((u64)b * NH + h) * T * T;
    return ((u64)b * NH + h) * T * HS;
}
extern "C" __global__ void kgrl_k_attention_ptrs(void** pa, void** pb, void** pc, char* a, int ka, int ea, char* bp, int kb,
                                                 int eb, char* c, int kc, int ec, int B, int NH, int KVH, int T, int Tk,
                                                 int HS) {
    kgrl_dep_wait();
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= B * NH) return;
    int b = i / NH, h = i % NH;
    pa[i] = a + kgrl_att_off(ka, b, h, NH, KVH, T, Tk, HS) * ea;
    pb[i] = bp + kgrl_att_off(kb, b, h, NH, KVH, T, Tk, HS) * eb;
    pc[i] = c + kgrl_att_off(kc, b, h, NH, KVH, T, Tk, HS) * ec;
}
// Row i of (b, h): S (B, NH, T, T) fp32 dot products q_i . k_j -> P (B, NH, T, T) storage dtype, the
// causal, slot-masked softmax of S * scale (0 where j > i or slot j is padding; a padding query's row
// is 0 and its lse -inf); lse (B, NH, T). grid (T, NH, B), block 256.
extern "C" __global__ void kgrl_k_attention_softmax_fwd(void* P, float* lse, const float* S, const int* kmask, int T,
                                                        int Tk, int NH, int HS, int bf) {
    kgrl_dep_wait();
    __shared__ float sh[32];
    int i = blockIdx.x, h = blockIdx.y, b = blockIdx.z;
    u64 row = (((u64)b * NH + h) * T + i) * T;
    float scale = 1.0f / sqrtf((float)HS);
    bool real = kmask[(u64)b * Tk + i] != 0;
    float m = -INFINITY;
    for (int j = threadIdx.x; real && j <= i; j += blockDim.x)
        if (kmask[(u64)b * Tk + j]) m = fmaxf(m, S[row + j] * scale);
    m = kgrl_block_max(m, sh);
    float sum = 0.0f;
    for (int j = threadIdx.x; real && j <= i; j += blockDim.x)
        if (kmask[(u64)b * Tk + j]) sum += expf(S[row + j] * scale - m);
    sum = kgrl_block_sum(sum, sh);
    for (int j = threadIdx.x; j < T; j += blockDim.x) {
        bool on = real && j <= i && kmask[(u64)b * Tk + j];
        kgrl_st(P, row + j, on ? expf(S[row + j] * scale - m) / sum : 0.0f, bf);
    }
    if (threadIdx.x == 0) lse[((u64)b * NH + h) * T + i] = real ? m + logf(sum) : -INFINITY;
}
// The backward of that row: P = exp(S * scale - lse) (recomputed) and dS = P * (dP - D_i) * scale, both
// in the storage dtype for the dQ, dK, dV GEMMs. dP (B, NH, T, T) fp32 = dout_i . v_j; D (B, NH, T).
extern "C" __global__ void kgrl_k_attention_softmax_bwd(void* P, void* dS, const float* S, const float* dP,
                                                        const float* lse, const float* D, const int* kmask, int T,
                                                        int Tk, int NH, int HS, int bf) {
    kgrl_dep_wait();
    int i = blockIdx.x, h = blockIdx.y, b = blockIdx.z;
    u64 row = (((u64)b * NH + h) * T + i) * T, ri = ((u64)b * NH + h) * T + i;
    float scale = 1.0f / sqrtf((float)HS), L = lse[ri], Di = D[ri];
    bool real = kmask[(u64)b * Tk + i] != 0 && L != -INFINITY;
    for (int j = threadIdx.x; j < T; j += blockDim.x) {
        bool on = real && j <= i && kmask[(u64)b * Tk + j];
        float p = on ? expf(S[row + j] * scale - L) : 0.0f;
        kgrl_st(P, row + j, p, bf);
        kgrl_st(dS, row + j, on ? p * (dP[row + j] - Di) * scale : 0.0f, bf);
    }
}
// dk, dv (B, Tk, KVH, HS) += the per-query-head gradients dKh, dVh (B, NH, T, HS) fp32 summed over the
// rep heads of each kv head (in head order), slots s < T. Grid-stride over B * T * KVH * HS.
extern "C" __global__ void kgrl_k_attention_dkv_sum(void* dk, void* dv, const float* dKh, const float* dVh, int B, int T,
                                                    int Tk, int NH, int KVH, int HS, int bf) {
    kgrl_dep_wait();
    u64 n = (u64)B * T * KVH * HS;
    int rep = NH / KVH;
    for (u64 x = blockIdx.x * (u64)blockDim.x + threadIdx.x; x < n; x += (u64)gridDim.x * blockDim.x) {
        int d = (int)(x % HS);
        u64 t = x / HS;
        int kh = (int)(t % KVH); t /= KVH;
        int s = (int)(t % T), b = (int)(t / T);
        float a = 0.0f, c = 0.0f;
        for (int r = 0; r < rep; r++) {
            u64 o = (((u64)b * NH + kh * rep + r) * T + s) * HS + d;
            a += dKh[o]; c += dVh[o];
        }
        u64 o = (((u64)b * Tk + s) * KVH + kh) * HS + d;
        kgrl_st(dk, o, kgrl_ld(dk, o, bf) + a, bf);
        kgrl_st(dv, o, kgrl_ld(dv, o, bf) + c, bf);
    }
}

// ---------------------------------------------------------------------------------------------
// log-probabilities: lp (N), lse (N) fp32; logits (N, V). grid N, block 1024. Double sums as the CPU.
extern "C" __global__ void kgrl_k_logprobs_fwd(float* lp, float* lse, const void* logits, const int* targets,
                                               float inv_t, int N, int V, int bf) {
    kgrl_dep_wait();
    __shared__ float sh[32];
    __shared__ double shd[32];
    int n = blockIdx.x;
    if (n >= N) return;
    u64 base = (u64)n * V;
    float mx = -INFINITY;
    for (int i = threadIdx.x; i < V; i += blockDim.x) mx = fmaxf(mx, kgrl_ld(logits, base + i, bf) * inv_t);
    mx = kgrl_block_max(mx, sh);
    double s = 0.0;
    for (int i = threadIdx.x; i < V; i += blockDim.x) s += exp((double)(kgrl_ld(logits, base + i, bf) * inv_t - mx));
    s = kgrl_block_sum_d(s, shd);
    if (threadIdx.x == 0) {
        float l = mx + (float)log(s);
        lse[n] = l;
        lp[n] = kgrl_ld(logits, base + targets[n], bf) * inv_t - l;
    }
}
// dlogits (N, V) += dlp[n] * (onehot(target) - softmax(logits * inv_t)) * inv_t; rows with dlp 0 untouched
extern "C" __global__ void kgrl_k_logprobs_bwd(void* dlogits, const float* dlp, const void* logits, const float* lse,
                                               const int* targets, float inv_t, int N, int V, int bf) {
    kgrl_dep_wait();
    int n = blockIdx.x;
    if (n >= N) return;
    float g = dlp[n];
    if (g == 0.0f) return;
    u64 base = (u64)n * V;
    int t = targets[n];
    for (int i = threadIdx.x; i < V; i += blockDim.x) {
        float d = -g * inv_t * expf(kgrl_ld(logits, base + i, bf) * inv_t - lse[n]);
        if (i == t) d += g * inv_t;
        kgrl_st(dlogits, base + i, kgrl_ld(dlogits, base + i, bf) + d, bf);
    }
}

// ---------------------------------------------------------------------------------------------
// AdamW (torch single-tensor), the CPU reference's arithmetic step for step: fp32 p, g, m, v;
// decay = 1 - lr*wd, step_size = lr / (1 - b1^step), bc2_sqrt = sqrt(1 - b2^step), from the host.
extern "C" __global__ void kgrl_k_adamw(float* p, const float* g, float* m, float* v, u64 n, float b1, float b2,
                                        float eps, float decay, float step_size, float bc2_sqrt) {
    kgrl_dep_wait();
    for (u64 i = blockIdx.x * (u64)blockDim.x + threadIdx.x; i < n; i += (u64)gridDim.x * blockDim.x) {
        float x = p[i] * decay;
        float mi = m[i] + (g[i] - m[i]) * (1.0f - b1);   // exp_avg.lerp_(grad, 1 - beta1)
        float vi = v[i] * b2 + (1.0f - b2) * g[i] * g[i];
        m[i] = mi; v[i] = vi;
        float denom = sqrtf(vi) / bc2_sqrt + eps;
        p[i] = x - step_size * mi / denom;
    }
}
// partial[block] = sum of squares of g over a grid-stride slice (the host adds the partials in double)
extern "C" __global__ void kgrl_k_sumsq(double* partial, const float* g, u64 n) {
    kgrl_dep_wait();
    __shared__ double shd[32];
    double s = 0.0;
    for (u64 i = blockIdx.x * (u64)blockDim.x + threadIdx.x; i < n; i += (u64)gridDim.x * blockDim.x) s += (double)g[i] * g[i];
    s = kgrl_block_sum_d(s, shd);
    if (threadIdx.x == 0) partial[blockIdx.x] = s;
}
extern "C" __global__ void kgrl_k_scale(float* g, float s, u64 n) {
    kgrl_dep_wait();
    for (u64 i = blockIdx.x * (u64)blockDim.x + threadIdx.x; i < n; i += (u64)gridDim.x * blockDim.x) g[i] *= s;
}

// ---------------------------------------------------------------------------------------------
// Sampling (src/15_sampling.h has the CPU reference, kgrl_sample_row, with the same steps).
// One block of 1024 threads per sequence; logits row rows[s] of (., V); temperature > 0 (greedy rows
// go to kgrl_k_sample_greedy below, src/15_sampling.h kgrl__gsample_launch). The filter thresholds
// are found by bisection over the order-preserving integer image of the floats, so they are exact.
__device__ __forceinline__ unsigned int kgrl_fkey(float f) {
    unsigned int u = __float_as_uint(f);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}
#define KGRL_SAMPLE_THREADS 1024
#define KGRL_SAMPLE_UNROLL 8
// v[u] = logit i + u * stride of the row at base, -inf past V: the loads issued together
__device__ __forceinline__ void kgrl_sample_load(float* v, const void* logits, u64 base, int i, int stride, int V, int bf) {
#pragma unroll
    for (int u = 0; u < KGRL_SAMPLE_UNROLL; u++) {
        int j = i + u * stride;
        v[u] = j < V ? kgrl_ld(logits, base + j, bf) : -INFINITY;
    }
}
// x / T - max / T rounded twice, never fused into an FMA: the CPU reference (kgrl_sample_row) computes
// the same two roundings, so both keep the same tokens at a filter's boundary
__device__ __forceinline__ float kgrl_scaled(float x, float inv_t, float smx) { return __fsub_rn(__fmul_rn(x, inv_t), smx); }
// A row's result: out_tok/out_lp/out_raw_lp (S) on the device, which the next step's advance kernel
// reads, and, when ring != NULL, slot step & 1 of the host's pinned, mapped ring (2, 3, S: tok, lp,
// raw as 4-byte words), which the host reads after the step's event without a copy on the stream
__device__ __forceinline__ void kgrl_sample_out(int* out_tok, float* out_lp, float* out_raw_lp, char* ring, int step, int S, int sq,
                                                int tok, float lp, float raw) {
    out_tok[sq] = tok; out_lp[sq] = lp; out_raw_lp[sq] = raw;
    if (!ring) return;
    char* h = ring + (u64)(step & 1) * 12 * S;
    ((int*)h)[sq] = tok;
    ((float*)(h + 4 * (u64)S))[sq] = lp;
    ((float*)(h + 8 * (u64)S))[sq] = raw;
}
extern "C" __global__ void kgrl_k_sample(int* out_tok, float* out_lp, float* out_raw_lp, const void* logits, const int* rows,
                                         const u64* streams, const int* steps, const int* active, u64 seed, float temperature,
                                         int top_k, float top_p, float min_p, int V, int bf, char* ring) {
    kgrl_dep_wait();
    kgrl_dep_launch();
    __shared__ float sh[32];
    __shared__ double shd[32];
    __shared__ double chunk[KGRL_SAMPLE_THREADS];
    int sq = blockIdx.x, tid = threadIdx.x;
    if (!active[sq]) return;
    u64 base = (u64)rows[sq] * V;
    // raw distribution: max and logsumexp at temperature 1. One block
    // streams the whole row, so each thread loads KGRL_SAMPLE_UNROLL of its entries at once and uses
    // them in its usual order (one load at a time, the greedy sampler took ~80 us of a token at V =
    // 151936 on an H100, exp04 decode_split)
    float mx = -INFINITY;
    for (int i = tid; i < V; i += KGRL_SAMPLE_UNROLL * blockDim.x) {
        float v[KGRL_SAMPLE_UNROLL];
        kgrl_sample_load(v, logits, base, i, blockDim.x, V, bf);
#pragma unroll
        for (int u = 0; u < KGRL_SAMPLE_UNROLL; u++) mx = fmaxf(mx, v[u]);   // -inf past V
    }
    mx = kgrl_block_max(mx, sh);
    // float exponentials summed in double, as the CPU (a double exp costs ~50 FP64 instructions)
    double se = 0.0;
    for (int i = tid; i < V; i += KGRL_SAMPLE_UNROLL * blockDim.x) {
        float v[KGRL_SAMPLE_UNROLL];
        kgrl_sample_load(v, logits, base, i, blockDim.x, V, bf);
#pragma unroll
        for (int u = 0; u < KGRL_SAMPLE_UNROLL; u++) if (i + u * (int)blockDim.x < V) se += (double)expf(v[u] - mx);
    }
    se = kgrl_block_sum_d(se, shd);
    float raw_lse = mx + (float)log(se);
    float inv_t = 1.0f / temperature, smx = __fmul_rn(mx, inv_t);
    // top-k: the largest key K with count(key >= K) >= top_k
    unsigned int kmin = 0;
    if (top_k > 0 && top_k < V) {
        unsigned int lo = 0, hi = 0xffffffffu;
        while (lo < hi) {
            unsigned int mid = (unsigned int)(lo + ((u64)hi - lo + 1) / 2);   // 64-bit: hi - lo + 1 can be 2^32
            float c = 0.0f;
            for (int i = tid; i < V; i += blockDim.x) c += kgrl_fkey(kgrl_ld(logits, base + i, bf)) >= mid ? 1.0f : 0.0f;
            c = kgrl_block_sum(c, sh);
            if (c >= (float)top_k) lo = mid; else hi = mid - 1;
        }
        kmin = lo;
    }
    // kept: key >= kmin and e = exp(x/T - max/T) >= min_p (min-p relative to the top probability)
    // top-p: the largest key K with mass(kept, key >= K) >= top_p * mass(kept)
    if (top_p > 0.0f && top_p < 1.0f) {
        double tot = 0.0;
        for (int i = tid; i < V; i += blockDim.x) {
            float x = kgrl_ld(logits, base + i, bf), e = expf(kgrl_scaled(x, inv_t, smx));
            if (kgrl_fkey(x) >= kmin) tot += e;
        }
        tot = kgrl_block_sum_d(tot, shd);
        unsigned int lo = kmin, hi = 0xffffffffu;
        while (lo < hi) {
            unsigned int mid = (unsigned int)(lo + ((u64)hi - lo + 1) / 2);   // 64-bit: hi - lo + 1 can be 2^32
            double m = 0.0;
            for (int i = tid; i < V; i += blockDim.x) {
                float x = kgrl_ld(logits, base + i, bf);
                if (kgrl_fkey(x) >= mid) m += expf(kgrl_scaled(x, inv_t, smx));
            }
            m = kgrl_block_sum_d(m, shd);
            if (m >= (double)top_p * tot) lo = mid; else hi = mid - 1;
        }
        kmin = lo;
    }
    // Z over the kept tokens, each thread's contiguous chunk in token order
    int per = (V + blockDim.x - 1) / blockDim.x, c0 = tid * per, c1 = min(V, c0 + per);
    double cs = 0.0;
    for (int i = c0; i < c1; i++) {
        float x = kgrl_ld(logits, base + i, bf), e = expf(kgrl_scaled(x, inv_t, smx));
        if (kgrl_fkey(x) >= kmin && e >= min_p) cs += e;
    }
    chunk[tid] = cs;
    __syncthreads();
    if (tid == 0) {
        double z = 0.0;
        for (int t = 0; t < (int)blockDim.x; t++) z += chunk[t];
        double target = (double)kgrl_uniform_at_dev(seed, streams[sq], (u64)steps[sq]) * z, run = 0.0;
        int tok = -1, last = -1;
        for (int t = 0; t < (int)blockDim.x && tok < 0; t++) {
            if (run + chunk[t] <= target) { run += chunk[t]; continue; }
            int a = t * per, e1 = min(V, a + per);
            for (int i = a; i < e1; i++) {
                float x = kgrl_ld(logits, base + i, bf), e = expf(kgrl_scaled(x, inv_t, smx));
                if (!(kgrl_fkey(x) >= kmin && e >= min_p)) continue;
                last = i;
                run += e;
                if (run > target) { tok = i; break; }
            }
        }
        if (tok < 0) {   // rounding put the target past the end: the last kept token
            for (int i = V - 1; i >= 0 && last < 0; i--) {
                float x = kgrl_ld(logits, base + i, bf);
                if (kgrl_fkey(x) >= kmin && expf(kgrl_scaled(x, inv_t, smx)) >= min_p) last = i;
            }
            tok = last;
        }
        float x = kgrl_ld(logits, base + tok, bf);
        kgrl_sample_out(out_tok, out_lp, out_raw_lp, ring, steps[sq], gridDim.x, sq, tok, (float)((double)kgrl_scaled(x, inv_t, smx) - log(z)),
                        x - raw_lse);
    }
}

// Greedy sampling over many blocks: one block streaming a row of V = 151936 three times (kgrl_k_sample's
// former greedy branch) took 45 us a token on an H100 (exp04 decode_split), when the whole step
// should take ~500. Here block b of row sq reduces its slice of the row to (max, lowest index of the max,
// sum of exp(x - max) as float exps summed in double) and the last block of the row to finish (a
// counter, reset by it for the next step) combines the slices in a fixed order: the token is the
// same as kgrl_sample_row's (the lowest index of the maximum), the raw logprob differs from a single
// sum by rounding. part (S, gridDim.x), count (S) zero before the first launch. grid (nblk, S), block 256.
struct kgrl_greedy_part { double s; float m; int i; };
#define KGRL_GREEDY_THREADS 256
extern "C" __global__ void kgrl_k_sample_greedy(int* out_tok, float* out_lp, float* out_raw_lp, const void* logits,
                                                const int* rows, const int* active, kgrl_greedy_part* part,
                                                unsigned int* count, int V, int bf, const int* steps, char* ring) {
    kgrl_dep_wait();
    kgrl_dep_launch();
    __shared__ float sh[32];
    __shared__ double shd[32];
    int sq = blockIdx.y, b = blockIdx.x, nb = gridDim.x, tid = threadIdx.x;
    if (!active[sq]) return;
    u64 base = (u64)rows[sq] * V;
    int per = (V + nb - 1) / nb, i0 = b * per, i1 = min(V, i0 + per);
    float mx = -INFINITY;
    for (int i = i0 + tid; i < i1; i += KGRL_SAMPLE_UNROLL * blockDim.x) {
        float v[KGRL_SAMPLE_UNROLL];
        kgrl_sample_load(v, logits, base, i, blockDim.x, i1, bf);   // -inf past the slice
#pragma unroll
        for (int u = 0; u < KGRL_SAMPLE_UNROLL; u++) mx = fmaxf(mx, v[u]);
    }
    mx = kgrl_block_max(mx, sh);
    double se = 0.0;
    int am = V;
    for (int i = i0 + tid; i < i1; i += KGRL_SAMPLE_UNROLL * blockDim.x) {
        float v[KGRL_SAMPLE_UNROLL];
        kgrl_sample_load(v, logits, base, i, blockDim.x, i1, bf);
#pragma unroll
        for (int u = 0; u < KGRL_SAMPLE_UNROLL; u++) {
            int j = i + u * (int)blockDim.x;
            if (j >= i1) continue;
            se += (double)expf(v[u] - mx);
            if (v[u] == mx && j < am) am = j;
        }
    }
    se = kgrl_block_sum_d(se, shd);
    float amf = kgrl_block_max(-(float)am, sh);   // block max of -index = smallest index (exact below 2^24)
    if (tid == 0) part[(u64)sq * nb + b] = {se, mx, (int)(-amf)};
    if (!kgrl_last_block(&count[sq], (unsigned)nb) || tid >= 32) return;
    const kgrl_greedy_part* pp = part + (u64)sq * nb;
    float M = -INFINITY;
    int t = V;
    // L2 reads (__ldcg): another block wrote the slices; this SM's L1 may hold a line of an earlier step
    for (int k = tid; k < nb; k += 32) M = fmaxf(M, __ldcg(&pp[k].m));
    for (int off = 16; off > 0; off >>= 1) M = fmaxf(M, __shfl_xor_sync(0xffffffffu, M, off));
    double Z = 0.0;
    for (int k = tid; k < nb; k += 32) {   // lane-strided in slice order, then a butterfly: a fixed order
        float m = __ldcg(&pp[k].m);
        int i = __ldcg(&pp[k].i);
        if (m == -INFINITY) continue;
        Z += __ldcg(&pp[k].s) * (double)expf(m - M);
        if (m == M && i < t) t = i;
    }
    for (int off = 16; off > 0; off >>= 1) {
        Z += __shfl_xor_sync(0xffffffffu, Z, off);
        t = min(t, __shfl_xor_sync(0xffffffffu, t, off));
    }
    if (tid == 0) {
        kgrl_sample_out(out_tok, out_lp, out_raw_lp, ring, steps[sq], gridDim.y, sq, t, 0.0f, kgrl_ld(logits, base + t, bf) - (M + (float)log(Z)));
        count[sq] = 0;   // ready for the next step
    }
}

// One decode step's inputs, on the device (kgrl_gpu_sample's graph: no host data per step). Before
// step t >= 1: sequence s stays live while it was live and its last token tok[s] is no stop id; the
// new token goes to slot *slot + 1 with the row's next position, as kgrl_gpu_model_decode would with
// tokens (0 for a finished row) and mask = live. rows/steps: the sampler's logits row and step.
// One block: every thread reads *slot before thread 0 moves it.
extern "C" __global__ void kgrl_k_decode_advance(int* tokens, int* pos, int* kmask, int* next_pos, int* slot, int* active,
                                                 int* rows, int* steps, const int* tok, const int* stop_ids, int n_stop,
                                                 int S, int Tk) {
    kgrl_dep_wait();
    kgrl_dep_launch();
    int t0 = *slot + 1;
    for (int s = threadIdx.x; s < S; s += blockDim.x) {
        int live = active[s];
        for (int j = 0; j < n_stop; j++) if (tok[s] == stop_ids[j]) live = 0;
        active[s] = live;
        tokens[s] = live ? tok[s] : 0;
        kmask[(u64)s * Tk + t0] = live;
        pos[s] = next_pos[s];
        next_pos[s] += live;
        rows[s] = s;
        steps[s] += 1;
    }
    __syncthreads();
    if (threadIdx.x == 0) *slot = t0;
}
