// tools/chain_micro.cu — what a launch boundary costs in the 0.5B batch-1 decode chain, against a
// dependency inside one launch. Standalone CUDA (no kgrl.h), 0.5B shapes (Qwen2.5-0.5B: C 896, F 4864,
// 14 heads, 2 KV heads, head size 64), 24 layers of distinct random bf16 weights, one new token over
// T - 1 cached slots. A layer is the engine's five dependent steps: q/k/v of the norm, attention,
// o + residual, gate/up of the norm + swiglu, down + residual; each GEMV a row a warp, its weights in
// registers before its dependency, as the engine's fused GEMVs do.
//
//   nvcc -O3 -arch=sm_90 -std=c++17 -o chain_micro tools/chain_micro.cu && ./chain_micro [rounds]
//
// Variants (one CUDA graph a step each, replayed; us a layer = us a step / 24):
//   A0  five launches a layer, each waiting for the whole launch before it (no programmatic launch)
//   A   five launches a layer with programmatic launch: the engine's structure today
//   B   two launches a layer: [q/k/v | attention | o] and [gate/up | down]
//   C   one launch a layer: [q/k/v | attention | o | gate/up | down]
//   D, E, F  four launches a layer, one pair merged: [attention | o], [q/k/v | attention], [gate/up | down]
//   G   A without the attention launch (wrong outputs, timing only): what that launch is worth here, to
//       set against the engine's 6.3 us a layer (twenty-fourth session), so the micro can be trusted
//   K   four launches: [q/k/v | attention | o | MLP]: the MLP's block b owns h entries [38 b, 38 b + 38),
//       copies its gate, up and W_down^T rows to shared memory (bulk copies) before its wait, and adds
//       its partial of down into 64-bit fixed-point sums that the next q/k/v launch reads (no down
//       launch); K2: o triggers the MLP before its own wait; K3: the attention triggers o so too;
//       K4: K2 with the MLP's last block finishing the sum (the q/k/v launch reads x as in A);
//       K5: K2 with each slice copied in 16 pieces (more copies in flight)
//   H, I, J  four launches: no attention launch; each o block computes every head's attention itself
//       (tensor cores, both KV groups' cached slots copied to shared memory before its wait), then its
//       rows of o. 8, 16 or 32 warps a block (112, 56 or 28 blocks). `./chain_micro 3 carve` asks every
//       kernel for the largest shared-memory carveout.
//   Q   four launches, no q/k/v launch: down's blocks add their rows' share of the next layer's q/k/v
//       (partial sums over their rows of x, W_qkv transposed) and the attention sums the 112 partials
//       of its head (kQ_down, kQ_att; layer 0's partials from kQ_p0)
//   R   A without the q/k/v launch (timing only): what Q can gain at most
// In B and C a block takes a ticket (an atomic, in the order blocks start) that picks its role and
// unit, so a block only ever waits for blocks with lower tickets, which have started: no deadlock
// whatever the residency. A consumer's thread 0 spins on its producers' counter (acquire); a
// producer block counts itself done after its stores (barrier, fence, atomic), as cooperative
// groups' grid barrier does. Every variant computes every value with the same code and order, so
// their outputs are equal bit for bit; layer 0 is also checked against a CPU double loop.
//
// Why: the engine's batch-1 step at 0.5B costs ~23.5 us a layer against ~10 us of weight bytes
// (NOTES.md, twenty-fourth to thirtieth sessions). Leaving the attention launch out altogether took
// 0.676 -> 0.524 ms a token; every try at moving its work into another launch lost. Merged launches
// with counters were never measured without early triggers; this micro does that before building it.
//
// Measured (H100 80GB HBM3, thirty-second session, ./chain_micro 3, best us a layer; layer 0 against
// the CPU 1.41e-07, outputs of A0..F equal bit for bit):
//   A0 31.05   A 30.27   B 36.77   C 34.57   D 43.06   E 45.01   F 31.02   G 21.46
// The rule set before the run was to build B into the engine only if it came >= 4 us a layer under A;
// it came 6.5 us over, and every merged variant loses to A, so the engine keeps its five launches.
// The micro is slower than the engine (A 30.3 against ~23.3 us; the attention launch is worth 8.8
// here against 6.3 there), which does not change the order.
// Thirty-third session, same GPU, the attention folded into o (best of 3 rounds, us a layer; layer 0
// against the CPU 1.42e-04 for H, I, J: the query and p in bf16 for the mma):
//   A 30.10   G 21.41   H 27.84   I 26.65   J 26.20;   with `carve`: A 30.65, G 22.66, H 26.54, I 27.33, J 27.45
// J recovers 3.9 of the 8.7 us the attention launch costs here; the folded o block costs 4.8 us more
// than the plain o (J against G). Not built into the engine (NOTES.md, thirty-third session).
// Thirty-fifth session, same GPU, the MLP in one launch split by h index (K, K2, K3, K4; two runs of
// ./chain_micro 3, best us a layer; layer 0 against the CPU 1.25e-07, after 24 layers against A0
// 5.67e-07, K..K4 equal bit for bit):
//   A 30.25 / 30.22   K 30.37 / 30.22   K2 24.13 / 24.07   K3 29.92 / 29.93   K4 28.11 (one run)
//   a third run: A 30.27, K2 24.15, K5 (K2 with each slice in 16 bulk copies) 24.26; kK5_mlp alone 18.9-19.1 us
// So the split MLP by itself (K) equals A; it gains only where its blocks start early and stream
// their weights while o runs (K2: 6.1 us a layer). Nsight Compute on one launch alone (caches
// flushed): kK_mlp 19.1 us at 41% of DRAM bandwidth, against kA_gu 10.7 + kA_down 8.5. The engine
// build of it (branch wip/mlp-split) ran the 0.5B step slower (NOTES.md, thirty-fifth session).
// Forty-sixth session, same GPU, q/k/v as down's partials (./chain_micro 3 twice, best us a layer;
// Q's layer 0 against the CPU 1.41e-07, after 24 layers against A0 3.49e-07):
//   A 29.96 / 29.94   G 21.30 / 21.28   Q 26.05 / 26.06   R 26.10 / 26.10
//   (after the attention's staging and body became att_stage and attend, shared by A and Q: A 29.59, Q 26.08, R 25.72)
// (Q was 28.21 while each thread summed its partials one load at a time.) So the partials cost
// nothing here: Q gains all that removing the q/k/v launch gains, 3.9 us a layer. In the engine
// that launch is worth less: the 0.5B step without it (layers 1-23, timing only) took 0.6029 ms a
// token against 0.6485, 2.0 us a layer, 54.6% of the roofline at most (NOTES.md, forty-sixth session).
#include <cuda_runtime.h>
#include <cuda_bf16.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e_)); exit(1); } } while (0)

typedef __nv_bfloat16 bf16;
constexpr int C = 896, F = 4864, NH = 14, KVH = 2, HS = 64, QD = NH * HS, KD = KVH * HS, L = 24, T = 160;
constexpr int THREADS = 256, WARPS = THREADS / 32;
constexpr int QKV_ROWS = QD + 2 * KD;
constexpr int QKV_BLOCKS = QKV_ROWS / WARPS, O_BLOCKS = C / WARPS, GU_BLOCKS = F / WARPS, DOWN_BLOCKS = C / WARPS;
constexpr int QKV_PER_GROUP = QKV_BLOCKS / KVH;   // each block's 8 rows lie in one head, so in one KV group
constexpr float EPS = 1e-6f;
// counters a layer: q/k/v done per group (2), attention done, o done, gate/up done, tickets of launch 1 and 2
enum { CNT_QKV = 0, CNT_ATT = 2, CNT_O = 3, CNT_GU = 4, CNT_TICKET1 = 5, CNT_TICKET2 = 6, CNT_N = 8 };
// shared memory: the staged input (up to F floats) or the attention's chunk, plus the small arrays
constexpr int ATT_CHUNK_BYTES = 2 * (T - 1) * HS * 2;
constexpr int SMEM_GEMV = (F + 32) * 4;   // the staged input, then 32 floats for block reductions
constexpr int SMEM_ATT = ATT_CHUNK_BYTES + (3 * HS + T + 4 * HS + 32) * 4;   // q, new k, new v, scores, partial sums, reductions
constexpr int SMEM_MAX = SMEM_ATT > SMEM_GEMV ? SMEM_ATT : SMEM_GEMV;
static_assert(SMEM_MAX <= 48 * 1024, "no opt-in needed");
static_assert(T <= THREADS, "a thread a slot");

struct P {
    const bf16 *wqkv, *wo, *wg, *wu, *wd;   // (L, QKV_ROWS, C), (L, C, C), (L, F, C) x2, (L, C, F)
    bf16 *kc, *vc;                          // (L, KVH, T, HS)
    float *xs;                              // (L + 1, C): the residual stream into each layer
    float *q, *atty, *mid, *h;              // (L, QD), (L, QD), (L, C), (L, F)
    int *cnt;                               // (L, CNT_N)
    const bf16* wdt;                        // (L, F, C): W_down transposed, for K's split by h index
    unsigned long long* acc;                // (L, C): K's down partials summed in 2^-32 fixed point
    const bf16* wqkvt;                      // (L, C, QKV_ROWS): W_qkv transposed, for Q's partials
    float *qp, *ssp;                        // (L, DOWN_BLOCKS, QKV_ROWS), (L, DOWN_BLOCKS): Q's q/k/v partials
};

__device__ __forceinline__ void dep_prev() { asm volatile("griddepcontrol.wait;" ::: "memory"); }
__device__ __forceinline__ void trigger() { asm volatile("griddepcontrol.launch_dependents;" ::: "memory"); }
__device__ __forceinline__ int ld_acquire(const int* p) {
    int v;
    asm volatile("ld.acquire.gpu.global.s32 %0, [%1];" : "=r"(v) : "l"(p) : "memory");
    return v;
}
// the producers of this block's input are earlier blocks of this launch: wait for `target` of them
__device__ __forceinline__ void wait_count(const int* c, int target) {
    if (threadIdx.x == 0) {
        while (ld_acquire(c) < target) {}
        __threadfence();
    }
    __syncthreads();
}
// this block's stores are done: count it (after every thread's stores)
__device__ __forceinline__ void signal(int* c) {
    __syncthreads();
    if (threadIdx.x == 0) { __threadfence(); atomicAdd(c, 1); }
}
// the dependency of a role: the launch before (A, or a role first in its launch), or, COUNT, the
// blocks before it in this launch (after the launch before, whose outputs it may read as well)
template <bool COUNT>
__device__ __forceinline__ void depend(const int* c, int target) {
    dep_prev();
    if (COUNT) wait_count(c, target);
    trigger();
}

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}
// the block's sum (MAX: max) of v, every thread; red holds 32 floats
template <bool MAX>
__device__ float block_reduce(float v, float* red) {
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
    v = MAX ? warp_max(v) : warp_sum(v);
    __syncthreads();
    if (lane == 0) red[w] = v;
    __syncthreads();
    float r = red[0];
    for (int i = 1; i < WARPS; i++) r = MAX ? fmaxf(r, red[i]) : r + red[i];
    return r;
}

// src (n floats, written by another block or launch: read through L2) into xs, times 1 / rms when NORM
template <bool NORM>
__device__ void stage(const float* src, float* xs, int n, float* red) {
    float ss = 0.0f;
    for (int i = threadIdx.x; i < n; i += THREADS) {
        float v = __ldcg(src + i);
        xs[i] = v;
        ss += v * v;
    }
    if (NORM) {
        float r = rsqrtf(block_reduce<false>(ss, red) / (float)n + EPS);
        for (int i = threadIdx.x; i < n; i += THREADS) xs[i] *= r;
    }
    __syncthreads();
}

// A row of K bf16 weights in 16-byte chunks: chunk c = lane + 32 j. PRE chunks a lane load before the
// dependency; the rest after it, four at a time.
template <int K, int PRE>
__device__ __forceinline__ void row_pre(uint4 (&w)[PRE], const bf16* row) {
    int lane = threadIdx.x & 31;
#pragma unroll
    for (int j = 0; j < PRE; j++) {
        int c = lane + 32 * j;
        w[j] = c * 8 < K ? __ldg((const uint4*)(row + c * 8)) : make_uint4(0, 0, 0, 0);
    }
}
__device__ __forceinline__ float dot8(uint4 w, const float* x, float acc) {
    const __nv_bfloat162* h = (const __nv_bfloat162*)&w;
#pragma unroll
    for (int e = 0; e < 4; e++) {
        float2 f = __bfloat1622float2(h[e]);
        acc = fmaf(f.x, x[2 * e], acc);
        acc = fmaf(f.y, x[2 * e + 1], acc);
    }
    return acc;
}
// w: the PRE chunks row_pre loaded (none when PRE is 0)
template <int K, int PRE>
__device__ __forceinline__ float row_dot(const uint4* w, const bf16* row, const float* xs) {
    constexpr int NJ = (K / 8 + 31) / 32;
    int lane = threadIdx.x & 31;
    float acc = 0.0f;
#pragma unroll
    for (int j = 0; j < PRE; j++) {
        int c = lane + 32 * j;
        if (c * 8 < K) acc = dot8(w[j], xs + c * 8, acc);
    }
#pragma unroll
    for (int j0 = PRE; j0 < NJ; j0 += 4) {
        uint4 r[4];
#pragma unroll
        for (int i = 0; i < 4; i++) {
            int c = lane + 32 * (j0 + i);
            r[i] = j0 + i < NJ && c * 8 < K ? __ldg((const uint4*)(row + c * 8)) : make_uint4(0, 0, 0, 0);
        }
#pragma unroll
        for (int i = 0; i < 4; i++) {
            int c = lane + 32 * (j0 + i);
            if (j0 + i < NJ && c * 8 < K) acc = dot8(r[i], xs + c * 8, acc);
        }
    }
    return warp_sum(acc);
}

// ---- the roles: unit u of layer l; COUNT: the producers are earlier blocks of this launch; SIGNAL:
// the consumers are later blocks of this launch
__device__ __forceinline__ int qkv_group(int u) {
    int r = u * WARPS;
    return r < QD ? (r / HS) / (NH / KVH) : r < QD + KD ? (r - QD) / HS : (r - QD - KD) / HS;
}
// q/k/v row r's output: q, or the new slot of the key or value cache
__device__ __forceinline__ void store_qkv(const P& p, int l, int r, float y) {
    if (r < QD) p.q[(size_t)l * QD + r] = y;
    else {
        int k = r < QD + KD ? r - QD : r - QD - KD;
        bf16* cache = r < QD + KD ? p.kc : p.vc;
        cache[(((size_t)l * KVH + k / HS) * T + T - 1) * HS + k % HS] = __float2bfloat16(y);
    }
}
template <bool SIGNAL>
__device__ void role_qkv(const P& p, int l, int u, float* sm) {
    int w = threadIdx.x >> 5, lane = threadIdx.x & 31, r = u * WARPS + w;
    const bf16* row = p.wqkv + ((size_t)l * QKV_ROWS + r) * C;
    uint4 wr[4];
    row_pre<C, 4>(wr, row);
    depend<false>(nullptr, 0);   // x: the launch before
    stage<true>(p.xs + (size_t)l * C, sm, C, sm + C);
    float y = row_dot<C, 4>(wr, row, sm);
    if (lane == 0) store_qkv(p, l, r, y);
    if (SIGNAL) signal(p.cnt + l * CNT_N + CNT_QKV + qkv_group(u));
}
// the attention's shared memory (sm): the chunk's keys and values, the query, the new key and value,
// the scores, p * v's partial sums and the reductions' floats
struct AttSmem {
    bf16 *ks, *vs;
    float *qs, *kn, *vn, *ps, *part, *red;
};
__device__ __forceinline__ AttSmem att_smem(float* sm) {
    AttSmem a;
    a.ks = (bf16*)sm;
    a.vs = a.ks + (T - 1) * HS;
    a.qs = (float*)(a.vs + (T - 1) * HS); a.kn = a.qs + HS; a.vn = a.kn + HS; a.ps = a.vn + HS; a.part = a.ps + T; a.red = a.part + 4 * HS;
    return a;
}
// the cached slots (earlier steps wrote them) into shared memory, before the dependency
__device__ __forceinline__ void att_stage(const bf16* kg, const bf16* vg, bf16* ks, bf16* vs) {
    for (int i = threadIdx.x; i < (T - 1) * HS / 8; i += THREADS) {
        ((uint4*)ks)[i] = __ldg((const uint4*)kg + i);
        ((uint4*)vs)[i] = __ldg((const uint4*)vg + i);
    }
}
// head h's output from the staged slots, the query and the new key and value in shared memory
__device__ __forceinline__ void attend(const P& p, int l, int h, float* sm) {
    AttSmem a = att_smem(sm);
    const bf16 *ks = a.ks, *vs = a.vs;
    const float *qs = a.qs, *kn = a.kn, *vn = a.vn;
    float *ps = a.ps, *part = a.part, *red = a.red;
    int tid = threadIdx.x;
    float s = -INFINITY;
    if (tid < T) {
        s = 0.0f;
        for (int d = 0; d < HS; d++) s = fmaf(qs[d], tid < T - 1 ? __bfloat162float(ks[tid * HS + d]) : kn[d], s);
        s *= 0.125f;   // 1 / sqrt(HS)
    }
    float m = block_reduce<true>(s, red);
    float e = tid < T ? expf(s - m) : 0.0f;
    float z = block_reduce<false>(e, red);
    if (tid < T) ps[tid] = e;
    __syncthreads();
    int d = tid % HS, k = tid / HS;
    float acc = 0.0f;
    for (int t = k; t < T; t += 4) acc = fmaf(ps[t], t < T - 1 ? __bfloat162float(vs[t * HS + d]) : vn[d], acc);
    part[k * HS + d] = acc;
    __syncthreads();
    if (tid < HS) p.atty[(size_t)l * QD + h * HS + tid] = (part[tid] + part[HS + tid] + part[2 * HS + tid] + part[3 * HS + tid]) / z;
}
template <bool COUNT, bool SIGNAL>
__device__ void role_att(const P& p, int l, int h, float* sm) {
    int tid = threadIdx.x, g = h / (NH / KVH);
    AttSmem a = att_smem(sm);
    float *qs = a.qs, *kn = a.kn, *vn = a.vn;
    // the cached slots, written by earlier steps, before the dependency
    const bf16* kg = p.kc + ((size_t)l * KVH + g) * T * HS;
    const bf16* vg = p.vc + ((size_t)l * KVH + g) * T * HS;
    att_stage(kg, vg, a.ks, a.vs);
    depend<COUNT>(p.cnt + l * CNT_N + CNT_QKV + g, QKV_PER_GROUP);
    if (tid < HS) {
        qs[tid] = __ldcg(p.q + (size_t)l * QD + h * HS + tid);
        kn[tid] = __bfloat162float(__ldcg(kg + (T - 1) * HS + tid));
        vn[tid] = __bfloat162float(__ldcg(vg + (T - 1) * HS + tid));
    }
    __syncthreads();
    attend(p, l, h, sm);
    if (SIGNAL) signal(p.cnt + l * CNT_N + CNT_ATT);
}
// out[r] = resid[r] + W[r, :] . in, a row a warp: o (in: the attention's output) and down (in: the swiglu's)
template <int K, int PRE, bool COUNT, bool SIGNAL>
__device__ void role_resid(const bf16* W, const float* in, const float* resid, float* out, int u, float* sm, const int* wait_on,
                           int target, int* done) {
    int w = threadIdx.x >> 5, lane = threadIdx.x & 31, r = u * WARPS + w;
    const bf16* row = W + (size_t)r * K;
    uint4 wr[PRE];
    row_pre<K, PRE>(wr, row);
    depend<COUNT>(wait_on, target);
    stage<false>(in, sm, K, sm + K);
    float y = row_dot<K, PRE>(wr, row, sm);
    if (lane == 0) out[r] = __ldcg(resid + r) + y;
    if (SIGNAL) signal(done);
}
template <bool COUNT, bool SIGNAL>
__device__ void role_o(const P& p, int l, int u, float* sm) {
    int* c = p.cnt + l * CNT_N;
    role_resid<C, 4, COUNT, SIGNAL>(p.wo + (size_t)l * C * C, p.atty + (size_t)l * QD, p.xs + (size_t)l * C, p.mid + (size_t)l * C, u, sm,
                                    c + CNT_ATT, NH, c + CNT_O);
}
template <bool COUNT, bool SIGNAL>
__device__ void role_gu(const P& p, int l, int u, float* sm) {
    int w = threadIdx.x >> 5, lane = threadIdx.x & 31, j = u * WARPS + w;
    const bf16* rg = p.wg + ((size_t)l * F + j) * C;
    const bf16* ru = p.wu + ((size_t)l * F + j) * C;
    // the gate row before the dependency, the up row after it (the engine's gate/up launch holds one
    // round of loads a lane in registers before its wait, too)
    uint4 wg[4];
    row_pre<C, 4>(wg, rg);
    depend<COUNT>(p.cnt + l * CNT_N + CNT_O, O_BLOCKS);
    stage<true>(p.mid + (size_t)l * C, sm, C, sm + C);
    float gt = row_dot<C, 4>(wg, rg, sm), up = row_dot<C, 0>(nullptr, ru, sm);
    if (lane == 0) p.h[(size_t)l * F + j] = gt / (1.0f + expf(-gt)) * up;
    if (SIGNAL) signal(p.cnt + l * CNT_N + CNT_GU);
}
template <bool COUNT>
__device__ void role_down(const P& p, int l, int u, float* sm) {
    role_resid<F, 8, COUNT, false>(p.wd + (size_t)l * C * F, p.h + (size_t)l * F, p.mid + (size_t)l * C, p.xs + (size_t)(l + 1) * C, u, sm,
                                   p.cnt + l * CNT_N + CNT_GU, GU_BLOCKS, nullptr);
}

// ---- the kernels
extern __shared__ float4 smem_f4[];
__global__ void __launch_bounds__(THREADS) kA_qkv(P p, int l) { role_qkv<false>(p, l, blockIdx.x, (float*)smem_f4); }
__global__ void __launch_bounds__(THREADS) kA_att(P p, int l) { role_att<false, false>(p, l, blockIdx.x, (float*)smem_f4); }
__global__ void __launch_bounds__(THREADS) kA_o(P p, int l) { role_o<false, false>(p, l, blockIdx.x, (float*)smem_f4); }
__global__ void __launch_bounds__(THREADS) kA_gu(P p, int l) { role_gu<false, false>(p, l, blockIdx.x, (float*)smem_f4); }
__global__ void __launch_bounds__(THREADS) kA_down(P p, int l) { role_down<false>(p, l, blockIdx.x, (float*)smem_f4); }

__device__ __forceinline__ int ticket(int* c) {
    __shared__ int tk;
    if (threadIdx.x == 0) tk = atomicAdd(c, 1);
    __syncthreads();
    return tk;
}
// B, launch 1: [q/k/v | attention | o]
__global__ void __launch_bounds__(THREADS) kB1(P p, int l) {
    float* sm = (float*)smem_f4;
    int u = ticket(p.cnt + l * CNT_N + CNT_TICKET1);
    if (u < QKV_BLOCKS) role_qkv<true>(p, l, u, sm);
    else if ((u -= QKV_BLOCKS) < NH) role_att<true, true>(p, l, u, sm);
    else role_o<true, false>(p, l, u - NH, sm);
}
// B, launch 2: [gate/up | down]
__global__ void __launch_bounds__(THREADS) kB2(P p, int l) {
    float* sm = (float*)smem_f4;
    int u = ticket(p.cnt + l * CNT_N + CNT_TICKET2);
    if (u < GU_BLOCKS) role_gu<false, true>(p, l, u, sm);
    else role_down<true>(p, l, u - GU_BLOCKS, sm);
}
// D: [attention | o]; E: [q/k/v | attention]; F is A with kB2
__global__ void __launch_bounds__(THREADS) kD(P p, int l) {
    float* sm = (float*)smem_f4;
    int u = ticket(p.cnt + l * CNT_N + CNT_TICKET1);
    if (u < NH) role_att<false, true>(p, l, u, sm);
    else role_o<true, false>(p, l, u - NH, sm);
}
__global__ void __launch_bounds__(THREADS) kE(P p, int l) {
    float* sm = (float*)smem_f4;
    int u = ticket(p.cnt + l * CNT_N + CNT_TICKET1);
    if (u < QKV_BLOCKS) role_qkv<true>(p, l, u, sm);
    else role_att<true, false>(p, l, u - QKV_BLOCKS, sm);
}
// C: [q/k/v | attention | o | gate/up | down]
__global__ void __launch_bounds__(THREADS) kC(P p, int l) {
    float* sm = (float*)smem_f4;
    int u = ticket(p.cnt + l * CNT_N + CNT_TICKET1);
    if (u < QKV_BLOCKS) role_qkv<true>(p, l, u, sm);
    else if ((u -= QKV_BLOCKS) < NH) role_att<true, true>(p, l, u, sm);
    else if ((u -= NH) < O_BLOCKS) role_o<true, true>(p, l, u, sm);
    else if ((u -= O_BLOCKS) < GU_BLOCKS) role_gu<true, true>(p, l, u, sm);
    else role_down<true>(p, l, u - GU_BLOCKS, sm);
}

// ---- H, I, J: no attention launch. Every o block computes the attention of all heads itself, on
// tensor cores (mma m16n8k16, bf16 in, fp32 sums), with both groups' cached slots copied into shared
// memory (cp.async) before its dependency; then its rows of o from that output. H: 8 warps a block,
// 112 blocks; I: 16 warps, 56 blocks; J: 32 warps, 28 blocks (fewer blocks, fewer cache reads from
// L2). The query and p are rounded to bf16 for the mma, so they are checked against the CPU, not
// against A0 bit for bit.
constexpr int HPG = NH / KVH;             // heads a group: rows 0..6 of the mma's 16
constexpr int TP = (T + 15) / 16 * 16;    // slots padded to the mma's k
constexpr int KR = HS + 8;                // a shared key/value/query row, bf16: 144 bytes, so the
                                          // fragments' 32-bit reads and ldmatrix rows hit distinct banks
constexpr int PR = TP + 8;                // a row of p, bf16 (84 words: distinct banks too)
constexpr size_t FOLD_KV = (size_t)KVH * TP * KR * 2;                       // bytes of ks, and of vs
constexpr size_t SMEM_FOLD = 2 * FOLD_KV + (size_t)KVH * 16 * KR * 2 +      // ks, vs, the query
                             (size_t)NH * TP * 4 + (size_t)KVH * 16 * PR * 2 +   // scores, p
                             16 * 4 + (size_t)QD * 4;                            // 1 / z, the output
static_assert(QD == C, "the o GEMV reads the attention's output as its staged input");
static_assert(HPG <= 8, "a group's heads in the fragment rows 0..7");

__device__ __forceinline__ void cp_async16(void* dst, const void* src) {
    unsigned a = (unsigned)__cvta_generic_to_shared(dst);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(a), "l"(src) : "memory");
}
__device__ __forceinline__ void mma_bf16(float* c, uint32_t a0, uint32_t a2, uint32_t b0, uint32_t b1) {
    // rows 8..15 of A are zero (a1 = a3 = 0): a group's heads are rows 0..7
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a0), "r"(0u), "r"(a2), "r"(0u), "r"(b0), "r"(b1));
}
__device__ __forceinline__ uint32_t lds32(const bf16* p) { return *(const uint32_t*)p; }

template <int NW>
__global__ void __launch_bounds__(NW * 32) kH_o(P p, int l) {
    constexpr int NT = NW * 32;
    extern __shared__ float4 smem_h[];
    bf16* ks = (bf16*)smem_h;                    // (KVH, TP, KR)
    bf16* vs = ks + KVH * TP * KR;               // (KVH, TP, KR)
    bf16* qs = vs + KVH * TP * KR;               // (KVH, 16, KR): rows 0..HPG-1 the group's heads, the rest 0
    float* sc = (float*)(qs + KVH * 16 * KR);    // (NH, TP) scores
    bf16* ps = (bf16*)(sc + NH * TP);            // (KVH, 16, PR) exp(score - max), rows >= HPG 0
    float* rz = (float*)(ps + KVH * 16 * PR);    // (16) 1 / the sum of a head's p
    float* att = rz + 16;                        // (QD) the attention's output, fp32
    int tid = threadIdx.x, w = tid >> 5, lane = tid & 31, gid = lane >> 2, tig = lane & 3;
    int r = blockIdx.x * NW + w;
    const bf16* row = p.wo + ((size_t)l * C + r) * C;
    uint4 wr[4];
    row_pre<C, 4>(wr, row);
    // before the dependency: the cached slots (earlier steps wrote them), zeros in the padding
    const int per = HS * 2 / 16;                 // 16-byte pieces a row
    for (int i = tid; i < KVH * (T - 1) * per; i += NT) {
        int g = i / ((T - 1) * per), t = i / per % (T - 1), c = i % per;
        size_t src = (((size_t)l * KVH + g) * T + t) * HS + c * 8;
        cp_async16(ks + ((size_t)g * TP + t) * KR + c * 8, p.kc + src);
        cp_async16(vs + ((size_t)g * TP + t) * KR + c * 8, p.vc + src);
    }
    constexpr int NPAD = TP > T ? TP - T : 1;   // (1: a divisor; the loop is empty then)
    for (int i = tid; i < KVH * (TP - T) * KR; i += NT) {
        int g = i / (NPAD * KR), t = T + i / KR % NPAD, c = i % KR;
        ks[((size_t)g * TP + t) * KR + c] = vs[((size_t)g * TP + t) * KR + c] = __float2bfloat16(0.0f);
    }
    for (int i = tid; i < KVH * 16 * KR; i += NT) qs[i] = __float2bfloat16(0.0f);
    for (int i = tid; i < KVH * 16 * PR; i += NT) ps[i] = __float2bfloat16(0.0f);
    dep_prev();
    trigger();
    __syncthreads();   // the zeros are down before the query's rows go over them
    // after it: the new slot's key and value (both groups) and the query, from the q/k/v launch
    for (int i = tid; i < KVH * per; i += NT) {
        int g = i / per, c = i % per;
        size_t src = (((size_t)l * KVH + g) * T + T - 1) * HS + c * 8;
        *(uint4*)(ks + ((size_t)g * TP + T - 1) * KR + c * 8) = __ldcg((const uint4*)(p.kc + src));
        *(uint4*)(vs + ((size_t)g * TP + T - 1) * KR + c * 8) = __ldcg((const uint4*)(p.vc + src));
    }
    for (int i = tid; i < QD; i += NT) {
        int h = i / HS, d = i % HS;
        qs[((h / HPG) * 16 + h % HPG) * KR + d] = __float2bfloat16(__ldcg(p.q + (size_t)l * QD + i));
    }
    asm volatile("cp.async.wait_all;" ::: "memory");
    __syncthreads();
    // scores: a task is 8 slots of one group, its 7 heads (rows); c0, c1 = head gid, slots n0 + 2 tig + 0/1
    for (int task = w; task < KVH * (TP / 8); task += NW) {
        int g = task / (TP / 8), n0 = task % (TP / 8) * 8;
        const bf16* qg = qs + (size_t)g * 16 * KR + gid * KR + 2 * tig;
        const bf16* kg = ks + ((size_t)g * TP + n0 + gid) * KR + 2 * tig;
        float c[4] = {0.0f, 0.0f, 0.0f, 0.0f};
#pragma unroll
        for (int k0 = 0; k0 < HS; k0 += 16) mma_bf16(c, lds32(qg + k0), lds32(qg + k0 + 8), lds32(kg + k0), lds32(kg + k0 + 8));
        if (gid < HPG)
            for (int j = 0; j < 2; j++) {
                int t = n0 + 2 * tig + j;
                sc[(g * HPG + gid) * TP + t] = t < T ? c[j] * 0.125f : -INFINITY;   // 1 / sqrt(HS)
            }
    }
    __syncthreads();
    // softmax a head a warp: p rounded to bf16 for the mma, and z the sum of the rounded p
    for (int h = w; h < NH; h += NW) {
        float m = -INFINITY;
        for (int t = lane; t < T; t += 32) m = fmaxf(m, sc[h * TP + t]);
        m = warp_max(m);
        float z = 0.0f;
        for (int t = lane; t < T; t += 32) {
            bf16 e = __float2bfloat16(expf(sc[h * TP + t] - m));
            ps[((h / HPG) * 16 + h % HPG) * PR + t] = e;
            z += __bfloat162float(e);
        }
        z = warp_sum(z);
        if (lane == 0) rz[h] = 1.0f / z;
    }
    __syncthreads();
    // p . v: a task is 8 dims of one group; B from the slot-major values by ldmatrix.trans
    for (int task = w; task < KVH * (HS / 8); task += NW) {
        int g = task / (HS / 8), n0 = task % (HS / 8) * 8;
        const bf16* pg = ps + (size_t)g * 16 * PR + gid * PR + 2 * tig;
        const bf16* vrow = vs + ((size_t)g * TP + (lane & 15)) * KR + n0;   // lanes 0..15 name the 16 rows
        float c[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        for (int k0 = 0; k0 < TP; k0 += 16) {
            uint32_t b0, b1;
            unsigned a = (unsigned)__cvta_generic_to_shared(vrow + (size_t)k0 * KR);
            asm volatile("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {%0,%1}, [%2];" : "=r"(b0), "=r"(b1) : "r"(a));
            mma_bf16(c, lds32(pg + k0), lds32(pg + k0 + 8), b0, b1);
        }
        if (gid < HPG) {
            int h = g * HPG + gid;
            att[h * HS + n0 + 2 * tig] = c[0] * rz[h];
            att[h * HS + n0 + 2 * tig + 1] = c[1] * rz[h];
        }
    }
    __syncthreads();
    float y = row_dot<C, 4>(wr, row, att);
    if (lane == 0) p.mid[(size_t)l * C + r] = __ldcg(p.xs + (size_t)l * C + r) + y;
}

// ---- K, K2, K3, K5: the MLP in one launch, split by h index. Block b owns h entries [b KS, (b + 1) KS):
// its gate and up rows and the same columns of W_down (rows of W_down^T) are copied into shared memory
// by three bulk copies before its dependency, so the MLP's 26 MB stream while the launches before it
// run. After it: the norm of mid, the block's 2 KS dots, swiglu, then the block's partial of down
// (C outputs from KS inputs), added into acc[l] as 2^-32 fixed point: integer sums do not depend on
// the order the blocks arrive in, so the output repeats bit for bit. The next layer's q/k/v launch
// reads x = mid + acc, and its block 0 stores x for o's residual. o zeroes acc[l] before its wait
// (nothing reads acc[l] then: the step before is done). No down launch. K2: o triggers its
// dependents before its wait (the MLP's blocks start during the attention); K3: the attention does
// too (they start during q/k/v); K5: K2 with each slice in 16 bulk copies. (K4: below.)
constexpr int KB = 128, KS = F / KB;
static_assert(KS * KB == F, "h splits evenly");
constexpr uint32_t K_SLICE = (uint32_t)KS * C * 2;   // bytes of a block's gate (or up, or down^T) rows
constexpr int SMEM_SMALL = (C + 32) * 4;             // x staged, 32 floats for reductions
constexpr size_t SMEM_K = 3 * (size_t)K_SLICE + (C + KS + 32) * 4 + 16;
constexpr float FIX = 4294967296.0f, UNFIX = 1.0f / 4294967296.0f;   // 2^32: partials are O(1)

__device__ __forceinline__ uint32_t smem_u32(const void* p) { return (uint32_t)__cvta_generic_to_shared(p); }
__device__ __forceinline__ void bulk_load(void* dst, const void* src, uint32_t bytes, uint64_t* bar) {
    asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];" ::"r"(smem_u32(dst)), "l"(src),
                 "r"(bytes), "r"(smem_u32(bar))
                 : "memory");
}
__device__ __forceinline__ void bar_wait(uint64_t* bar) {
    uint32_t done = 0;
    while (!done)
        asm volatile("{ .reg .pred q; mbarrier.try_wait.parity.shared::cta.b64 q, [%1], 0; selp.u32 %0, 1, 0, q; }"
                     : "=r"(done)
                     : "r"(smem_u32(bar))
                     : "memory");
}
// a row of C bf16 weights in shared memory against xs, a warp
__device__ __forceinline__ float smem_row_dot(const bf16* row, const float* xs) {
    int lane = threadIdx.x & 31;
    float acc = 0.0f;
    for (int c = lane; c < C / 8; c += 32) acc = dot8(*(const uint4*)(row + c * 8), xs + c * 8, acc);
    return warp_sum(acc);
}
__global__ void __launch_bounds__(THREADS) kK_qkv(P p, int l) {
    float* sm = (float*)smem_f4;
    int w = threadIdx.x >> 5, lane = threadIdx.x & 31, r = blockIdx.x * WARPS + w;
    const bf16* row = p.wqkv + ((size_t)l * QKV_ROWS + r) * C;
    uint4 wr[4];
    row_pre<C, 4>(wr, row);
    depend<false>(nullptr, 0);
    float ss = 0.0f;
    for (int i = threadIdx.x; i < C; i += THREADS) {
        float v = l == 0 ? __ldcg(p.xs + i) : __ldcg(p.mid + (size_t)(l - 1) * C + i) + (float)(long long)__ldcg(p.acc + (size_t)(l - 1) * C + i) * UNFIX;
        if (l > 0 && blockIdx.x == 0) p.xs[(size_t)l * C + i] = v;
        sm[i] = v;
        ss += v * v;
    }
    float rr = rsqrtf(block_reduce<false>(ss, sm + C) / (float)C + EPS);
    for (int i = threadIdx.x; i < C; i += THREADS) sm[i] *= rr;
    __syncthreads();
    float y = row_dot<C, 4>(wr, row, sm);
    if (lane == 0) store_qkv(p, l, r, y);
}
template <bool EARLY>
__global__ void __launch_bounds__(THREADS) kK_att(P p, int l) {
    if (EARLY) trigger();
    role_att<false, false>(p, l, blockIdx.x, (float*)smem_f4);
}
template <bool EARLY>
__global__ void __launch_bounds__(THREADS) kK_o(P p, int l) {
    if (EARLY) trigger();
    for (int i = blockIdx.x * THREADS + threadIdx.x; i < C; i += O_BLOCKS * THREADS) p.acc[(size_t)l * C + i] = 0;
    role_o<false, false>(p, l, blockIdx.x, (float*)smem_f4);
}
template <bool FINISH, int PIECES = 1>
__device__ void mlp_split(const P& p, int l) {
    extern __shared__ float4 smem_k[];
    bf16* wg = (bf16*)smem_k;    // (KS, C)
    bf16* wu = wg + KS * C;      // (KS, C)
    bf16* wd = wu + KS * C;      // (KS, C): rows of W_down^T
    float* xs = (float*)(wd + KS * C);
    float* hs = xs + C;          // (KS)
    float* red = hs + KS;        // (32)
    uint64_t* bar = (uint64_t*)(red + 32);   // [0]: gate and up, [1]: down
    int tid = threadIdx.x, w = tid >> 5, lane = tid & 31, j0 = blockIdx.x * KS;
    if (tid == 0) {
        asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;" ::"r"(smem_u32(bar)));
        asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;" ::"r"(smem_u32(bar + 1)));
        asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
        asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(smem_u32(bar)), "r"(2 * K_SLICE) : "memory");
        static_assert(K_SLICE % (16 * PIECES) == 0, "pieces of 16-byte multiples");
        constexpr uint32_t PB = K_SLICE / PIECES;
        for (int i = 0; i < PIECES; i++) {   // K5: the slices in pieces, interleaved, so more copies are in flight
            bulk_load((char*)wg + i * PB, (const char*)(p.wg + ((size_t)l * F + j0) * C) + i * PB, PB, bar);
            bulk_load((char*)wu + i * PB, (const char*)(p.wu + ((size_t)l * F + j0) * C) + i * PB, PB, bar);
        }
        asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(smem_u32(bar + 1)), "r"(K_SLICE) : "memory");
        for (int i = 0; i < PIECES; i++) bulk_load((char*)wd + i * PB, (const char*)(p.wdt + ((size_t)l * F + j0) * C) + i * PB, PB, bar + 1);
    }
    depend<false>(nullptr, 0);   // mid: the o launch
    stage<true>(p.mid + (size_t)l * C, xs, C, red);   // ends with a barrier: every thread sees the mbarriers' init
    bar_wait(bar);
    for (int j = w; j < KS; j += WARPS) {
        float gt = smem_row_dot(wg + (size_t)j * C, xs), up = smem_row_dot(wu + (size_t)j * C, xs);
        if (lane == 0) hs[j] = gt / (1.0f + expf(-gt)) * up;
    }
    __syncthreads();
    bar_wait(bar + 1);
    for (int o = tid; o < C; o += THREADS) {
        float a = 0.0f;
        for (int j = 0; j < KS; j++) a = fmaf(__bfloat162float(wd[(size_t)j * C + o]), hs[j], a);
        atomicAdd(p.acc + (size_t)(FINISH ? 0 : l) * C + o, (unsigned long long)__float2ll_rn(a * FIX));
    }
    if (!FINISH) return;
    __shared__ int last;
    __syncthreads();
    if (tid == 0) {
        __threadfence();
        last = atomicAdd(p.cnt + l * CNT_N + CNT_GU, 1) == KB - 1;
    }
    __syncthreads();
    if (!last) return;
    __threadfence();
    for (int o = tid; o < C; o += THREADS) {
        unsigned long long v = __ldcg(p.acc + o);
        p.xs[(size_t)(l + 1) * C + o] = __ldcg(p.mid + (size_t)l * C + o) + (float)(long long)v * UNFIX;
        p.acc[o] = 0;
    }
}
__global__ void __launch_bounds__(THREADS) kK_mlp(P p, int l) { mlp_split<false>(p, l); }
// K4: K2 with the sum finished inside the MLP launch: each block counts itself done after its adds
// (fence, atomic); the last block reads acc, stores x = mid + acc for the next layer and zeroes acc
// and the count for the next use. The q/k/v launch is A's (it reads x as it is).
__global__ void __launch_bounds__(THREADS) kK4_o(P p, int l) {
    trigger();
    role_o<false, false>(p, l, blockIdx.x, (float*)smem_f4);
}
__global__ void __launch_bounds__(THREADS) kK4_mlp(P p, int l) { mlp_split<true>(p, l); }
__global__ void __launch_bounds__(THREADS) kK5_mlp(P p, int l) { mlp_split<false, 16>(p, l); }
// ---- Q: no q/k/v launch. Down's block b, once its WARPS rows of x (the next layer's input) are
// summed, adds their share of the next layer's q/k/v: partial[o] = sum over its rows r of
// W_qkv[o, r] x[r] (W_qkv transposed, its rows loaded before the dependency), and its share of
// x . x; the attention's block sums the 112 partials of its head's q and its group's k and v in a
// fixed order, takes 1 / rms from the summed squares, and writes the new key and value into the
// cache itself. So a layer is four launches: [attention] [o] [gate/up] [down + partials]. Layer 0's
// partials come from a launch of their own (kQ_p0). The sums' order differs from A's, so Q is
// checked against the CPU and against A0 after 24 layers, as H-J.
constexpr int QP_THREADS = QKV_ROWS / 8;   // a thread 8 outputs of the partial (144 of a block's 256)
static_assert(QKV_ROWS % 8 == 0 && QP_THREADS <= THREADS, "a thread 8 consecutive outputs");
// the partial of block u's rows x (WARPS values, shared) for layer l's q/k/v, from wt loaded earlier
__device__ __forceinline__ void qkv_partial(const P& p, int l, int u, const uint4 (&wt)[WARPS], const float* x) {
    int t = threadIdx.x;
    if (t < QP_THREADS) {
        float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
#pragma unroll
        for (int w = 0; w < WARPS; w++) {
            const __nv_bfloat162* h = (const __nv_bfloat162*)&wt[w];
#pragma unroll
            for (int e = 0; e < 4; e++) {
                float2 f = __bfloat1622float2(h[e]);
                acc[2 * e] = fmaf(f.x, x[w], acc[2 * e]);
                acc[2 * e + 1] = fmaf(f.y, x[w], acc[2 * e + 1]);
            }
        }
        float4* dst = (float4*)(p.qp + ((size_t)l * DOWN_BLOCKS + u) * QKV_ROWS) + 2 * t;
        dst[0] = make_float4(acc[0], acc[1], acc[2], acc[3]);
        dst[1] = make_float4(acc[4], acc[5], acc[6], acc[7]);
    }
    if (t == 0) {
        float ss = 0.0f;
        for (int w = 0; w < WARPS; w++) ss = fmaf(x[w], x[w], ss);
        p.ssp[(size_t)l * DOWN_BLOCKS + u] = ss;
    }
}
__device__ __forceinline__ void qkv_partial_pre(const P& p, int l, int u, uint4 (&wt)[WARPS]) {
    int t = threadIdx.x;
#pragma unroll
    for (int w = 0; w < WARPS; w++)
        wt[w] = t < QP_THREADS ? __ldg((const uint4*)(p.wqkvt + ((size_t)l * C + u * WARPS + w) * QKV_ROWS) + t) : make_uint4(0, 0, 0, 0);
}
// layer 0's partials from x0 (the launch before the first attention)
__global__ void __launch_bounds__(THREADS) kQ_p0(P p, int l) {
    __shared__ float xr[WARPS];
    uint4 wt[WARPS];
    qkv_partial_pre(p, 0, blockIdx.x, wt);
    dep_prev();
    trigger();
    if (threadIdx.x < WARPS) xr[threadIdx.x] = __ldcg(p.xs + blockIdx.x * WARPS + threadIdx.x);
    __syncthreads();
    qkv_partial(p, 0, blockIdx.x, wt, xr);
}
// down of layer l (as role_resid), then the partials of layer l + 1's q/k/v
__global__ void __launch_bounds__(THREADS) kQ_down(P p, int l) {
    float* sm = (float*)smem_f4;
    __shared__ float xr[WARPS];
    int u = blockIdx.x, w = threadIdx.x >> 5, lane = threadIdx.x & 31, r = u * WARPS + w;
    const bf16* row = p.wd + (size_t)l * C * F + (size_t)r * F;
    uint4 wr[8], wt[WARPS];
    row_pre<F, 8>(wr, row);
    bool next = l + 1 < L;
    if (next) qkv_partial_pre(p, l + 1, u, wt);
    dep_prev();
    trigger();
    stage<false>(p.h + (size_t)l * F, sm, F, sm + F);
    float y = row_dot<F, 8>(wr, row, sm);
    if (lane == 0) {
        float x = __ldcg(p.mid + (size_t)l * C + r) + y;
        p.xs[(size_t)(l + 1) * C + r] = x;
        xr[w] = x;
    }
    __syncthreads();
    if (next) qkv_partial(p, l + 1, u, wt, xr);
}
// the attention of head h with its q, new key and new value from the partials
constexpr int QA_COLS = 3 * HS / 4;           // float4 columns a head reads: q, k, v
constexpr int QA_PARTS = THREADS / QA_COLS;   // threads a column, each over blocks j, j + QA_PARTS, ...
__global__ void __launch_bounds__(THREADS) kQ_att(P p, int l) {
    float* sm = (float*)smem_f4;
    int h = blockIdx.x, tid = threadIdx.x, g = h / (NH / KVH);
    AttSmem a = att_smem(sm);
    float *qs = a.qs, *kn = a.kn, *vn = a.vn;
    __shared__ float4 sums[QA_PARTS][QA_COLS];
    __shared__ float rs;
    bf16* kg = p.kc + ((size_t)l * KVH + g) * T * HS;
    bf16* vg = p.vc + ((size_t)l * KVH + g) * T * HS;
    att_stage(kg, vg, a.ks, a.vs);
    dep_prev();   // the partials: the down launch before (kQ_p0 at layer 0)
    trigger();
    const float* qp = p.qp + (size_t)l * DOWN_BLOCKS * QKV_ROWS;
    int col = tid % QA_COLS, j = tid / QA_COLS;
    if (j < QA_PARTS) {
        // column col: q (h's 64), k, v (g's 64 each), 4 outputs a column
        int o = col < HS / 4 ? h * HS + 4 * col : col < HS / 2 ? QD + g * HS + 4 * (col - HS / 4) : QD + KD + g * HS + 4 * (col - HS / 2);
        // every load in flight before the first add (QP_UNROLL: the most blocks a thread sums)
        constexpr int QP_UNROLL = (DOWN_BLOCKS + QA_PARTS - 1) / QA_PARTS;
        float4 v[QP_UNROLL];
#pragma unroll
        for (int i = 0; i < QP_UNROLL; i++) {
            int b = j + i * QA_PARTS;
            v[i] = b < DOWN_BLOCKS ? __ldcg((const float4*)(qp + (size_t)b * QKV_ROWS + o)) : make_float4(0, 0, 0, 0);
        }
        float4 a = v[0];
#pragma unroll
        for (int i = 1; i < QP_UNROLL; i++) { a.x += v[i].x; a.y += v[i].y; a.z += v[i].z; a.w += v[i].w; }
        sums[j][col] = a;
    }
    if (tid >= 224) {   // the last warp: x . x from the blocks' squares
        float sv[(DOWN_BLOCKS + 31) / 32], ss = 0.0f;
#pragma unroll
        for (int i = 0; i < (DOWN_BLOCKS + 31) / 32; i++) {
            int b = tid - 224 + 32 * i;
            sv[i] = b < DOWN_BLOCKS ? __ldcg(p.ssp + (size_t)l * DOWN_BLOCKS + b) : 0.0f;
        }
#pragma unroll
        for (int i = 0; i < (DOWN_BLOCKS + 31) / 32; i++) ss += sv[i];
        ss = warp_sum(ss);
        if (tid == 224) rs = rsqrtf(ss / (float)C + EPS);
    }
    __syncthreads();
    if (tid < 3 * HS) {
        int c = tid / 4, e = tid % 4;
        float y = 0.0f;
        for (int jj = 0; jj < QA_PARTS; jj++) y += ((const float*)&sums[jj][c])[e];
        y *= rs;
        if (tid < HS) qs[tid] = y;
        else {
            bf16 b = __float2bfloat16(y);
            int d = tid % HS;
            if (tid < 2 * HS) { kn[d] = __bfloat162float(b); if (h % (NH / KVH) == 0) kg[(T - 1) * HS + d] = b; }
            else { vn[d] = __bfloat162float(b); if (h % (NH / KVH) == 0) vg[(T - 1) * HS + d] = b; }
        }
    }
    __syncthreads();
    attend(p, l, h, sm);
}
__global__ void k_transpose(const bf16* w, bf16* wt, int rows, int cols) {   // per layer: (rows, cols) -> (cols, rows)
    size_t n = (size_t)L * rows * cols;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
        size_t l = i / ((size_t)rows * cols), rc = i % ((size_t)rows * cols);
        int r = (int)(rc / cols), c = (int)(rc % cols);
        wt[l * rows * cols + (size_t)c * rows + r] = w[i];
    }
}

__global__ void k_fill(bf16* w, size_t n, uint32_t seed, float scale) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
        uint32_t x = (uint32_t)i * 2654435761u ^ seed;
        x ^= x >> 15; x *= 2246822519u; x ^= x >> 13; x *= 3266489917u; x ^= x >> 16;
        w[i] = __float2bfloat16(((float)(x & 0xffffff) / 16777216.0f - 0.5f) * 2.0f * scale);
    }
}

// ---- host
static void launch(void (*k)(P, int), int grid, int smem, bool pdl, cudaStream_t st, const P& p, int l, int threads = THREADS) {
    cudaLaunchConfig_t cfg = {};
    cfg.gridDim = dim3(grid); cfg.blockDim = dim3(threads); cfg.dynamicSmemBytes = smem; cfg.stream = st;
    cudaLaunchAttribute at[1];
    at[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
    at[0].val.programmaticStreamSerializationAllowed = pdl ? 1 : 0;
    cfg.attrs = at; cfg.numAttrs = 1;
    CK(cudaLaunchKernelEx(&cfg, k, p, l));
}
enum { V_A0, V_A, V_B, V_C, V_D, V_E, V_F, V_G, V_H, V_I, V_J, V_K, V_K2, V_K3, V_K4, V_K5, V_Q, V_R, V_N };
// the warps a block of a folded o launch (H, I, J), 0 for the other variants
static int fold_warps(int v) { return v == V_H ? 8 : v == V_I ? 16 : v == V_J ? 32 : 0; }
static void (*fold_kernel(int nw))(P, int) { return nw == 8 ? kH_o<8> : nw == 16 ? kH_o<16> : kH_o<32>; }
static const char* vname[V_N] = {"A0 five launches, no programmatic launch", "A  five launches (the engine today)",
                                  "B  two launches: [qkv|att|o] [gate/up|down]", "C  one launch a layer",
                                  "D  four launches: [att|o] merged", "E  four launches: [qkv|att] merged",
                                  "F  four launches: [gate/up|down] merged", "G  A without the attention (timing only)",
                                  "H  four launches: attention folded into o, 8 warps", "I  four launches: attention folded into o, 16 warps",
                                  "J  four launches: attention folded into o, 32 warps",
                                  "K  four launches: gate/up + split down in one", "K2 K, o triggering before its wait",
                                  "K3 K2, the attention triggering before its wait",
                                  "K4 K2, the sum finished by the MLP's last block",
                                  "K5 K2, the MLP's copies in 16 pieces each",
                                  "Q  four launches: q/k/v as down's partials", "R  A without the q/k/v (timing only)"};
// one step: the counters zeroed, then 24 layers (the first launch after the memset is a plain one)
static void step(int v, cudaStream_t st, const P& p) {
    CK(cudaMemsetAsync(p.cnt, 0, sizeof(int) * L * CNT_N, st));
    for (int l = 0; l < L; l++) {
        if (v == V_Q) {
            if (l == 0) launch(kQ_p0, DOWN_BLOCKS, 0, false, st, p, l);
            launch(kQ_att, NH, SMEM_ATT, true, st, p, l);
            launch(kA_o, O_BLOCKS, SMEM_GEMV, true, st, p, l);
            launch(kA_gu, GU_BLOCKS, SMEM_GEMV, true, st, p, l);
            launch(kQ_down, DOWN_BLOCKS, SMEM_GEMV, true, st, p, l);
        } else if (v == V_R) {
            if (l == 0) launch(kA_qkv, QKV_BLOCKS, SMEM_GEMV, false, st, p, l);   // layer 0's q for the rest to reuse
            launch(kA_att, NH, SMEM_ATT, l > 0, st, p, l);
            launch(kA_o, O_BLOCKS, SMEM_GEMV, true, st, p, l);
            launch(kA_gu, GU_BLOCKS, SMEM_GEMV, true, st, p, l);
            launch(kA_down, DOWN_BLOCKS, SMEM_GEMV, true, st, p, l);
        } else if (v == V_K4) {
            launch(kA_qkv, QKV_BLOCKS, SMEM_SMALL, l > 0, st, p, l);
            launch(kA_att, NH, SMEM_ATT, true, st, p, l);
            launch(kK4_o, O_BLOCKS, SMEM_SMALL, true, st, p, l);
            launch(kK4_mlp, KB, (int)SMEM_K, true, st, p, l);
        } else if (v >= V_K) {
            launch(kK_qkv, QKV_BLOCKS, SMEM_SMALL, l > 0, st, p, l);
            launch(v == V_K3 ? kK_att<true> : kK_att<false>, NH, SMEM_ATT, true, st, p, l);
            launch(v != V_K ? kK_o<true> : kK_o<false>, O_BLOCKS, SMEM_SMALL, true, st, p, l);
            launch(v == V_K5 ? kK5_mlp : kK_mlp, KB, (int)SMEM_K, true, st, p, l);
        } else if (v != V_B && v != V_C) {
            bool pdl = v != V_A0;
            int nw = fold_warps(v);
            if (v == V_E) launch(kE, QKV_BLOCKS + NH, SMEM_MAX, l > 0, st, p, l);
            else launch(kA_qkv, QKV_BLOCKS, SMEM_GEMV, pdl && l > 0, st, p, l);
            if (v == V_D) launch(kD, NH + O_BLOCKS, SMEM_MAX, pdl, st, p, l);
            if (v != V_D && v != V_E && v != V_G && !nw) launch(kA_att, NH, SMEM_ATT, pdl, st, p, l);
            if (nw) launch(fold_kernel(nw), C / nw, (int)SMEM_FOLD, pdl, st, p, l, nw * 32);
            else if (v != V_D) launch(kA_o, O_BLOCKS, SMEM_GEMV, pdl, st, p, l);
            if (v == V_F) launch(kB2, GU_BLOCKS + DOWN_BLOCKS, SMEM_GEMV, pdl, st, p, l);
            else {
                launch(kA_gu, GU_BLOCKS, SMEM_GEMV, pdl, st, p, l);
                launch(kA_down, DOWN_BLOCKS, SMEM_GEMV, pdl, st, p, l);
            }
        } else if (v == V_B) {
            launch(kB1, QKV_BLOCKS + NH + O_BLOCKS, SMEM_MAX, l > 0, st, p, l);
            launch(kB2, GU_BLOCKS + DOWN_BLOCKS, SMEM_GEMV, true, st, p, l);
        } else {
            launch(kC, QKV_BLOCKS + NH + O_BLOCKS + GU_BLOCKS + DOWN_BLOCKS, SMEM_MAX, l > 0, st, p, l);
        }
    }
}

static float bf2f(bf16 b) { return __bfloat162float(b); }
static float round_bf(float x) { return __bfloat162float(__float2bfloat16(x)); }
static void d2h(void* h, const void* d, size_t n) { CK(cudaMemcpy(h, d, n, cudaMemcpyDeviceToHost)); }
static double* normed(const float* x, int n) {
    double ss = 0;
    for (int i = 0; i < n; i++) ss += (double)x[i] * x[i];
    double r = 1.0 / sqrt(ss / n + EPS);
    double* y = (double*)malloc(sizeof(double) * n);
    for (int i = 0; i < n; i++) y[i] = x[i] * r;
    return y;
}
static double row_dot_h(const bf16* w, const double* x, int K) {
    double s = 0;
    for (int k = 0; k < K; k++) s += (double)bf2f(w[k]) * x[k];
    return s;
}
// layer 0 on the CPU in double (the new key and value rounded to bf16 as the cache stores them);
// returns max |gpu - cpu| / max |cpu| of the layer's output
static double check_layer0(const P& p) {
    size_t nq = (size_t)QKV_ROWS * C, no = (size_t)C * C, ng = (size_t)F * C, nc = (size_t)KVH * T * HS;
    bf16 *wq = (bf16*)malloc(nq * 2), *wo = (bf16*)malloc(no * 2), *wg = (bf16*)malloc(ng * 2), *wu = (bf16*)malloc(ng * 2),
         *wd = (bf16*)malloc(ng * 2), *kc = (bf16*)malloc(nc * 2), *vc = (bf16*)malloc(nc * 2);
    d2h(wq, p.wqkv, nq * 2); d2h(wo, p.wo, no * 2); d2h(wg, p.wg, ng * 2); d2h(wu, p.wu, ng * 2); d2h(wd, p.wd, ng * 2);
    d2h(kc, p.kc, nc * 2); d2h(vc, p.vc, nc * 2);
    float x[C], out[C];
    d2h(x, p.xs, sizeof x); d2h(out, p.xs + C, sizeof out);
    double* xn = normed(x, C);
    static double q[QD], kn[KD], vn[KD], att[QD];
    float mid[C];
    for (int r = 0; r < QKV_ROWS; r++) {
        double y = row_dot_h(wq + (size_t)r * C, xn, C);
        if (r < QD) q[r] = (float)y;
        else if (r < QD + KD) kn[r - QD] = round_bf((float)y);
        else vn[r - QD - KD] = round_bf((float)y);
    }
    for (int h = 0; h < NH; h++) {
        int g = h / (NH / KVH);
        double s[T], m = -INFINITY, z = 0;
        for (int t = 0; t < T; t++) {
            s[t] = 0;
            for (int d = 0; d < HS; d++) s[t] += q[h * HS + d] * (t < T - 1 ? bf2f(kc[((size_t)g * T + t) * HS + d]) : kn[g * HS + d]);
            s[t] *= 0.125;
            if (s[t] > m) m = s[t];
        }
        for (int t = 0; t < T; t++) { s[t] = exp(s[t] - m); z += s[t]; }
        for (int d = 0; d < HS; d++) {
            double a = 0;
            for (int t = 0; t < T; t++) a += s[t] * (t < T - 1 ? bf2f(vc[((size_t)g * T + t) * HS + d]) : vn[g * HS + d]);
            att[h * HS + d] = (float)(a / z);
        }
    }
    for (int r = 0; r < C; r++) mid[r] = (float)(x[r] + row_dot_h(wo + (size_t)r * C, att, C));
    double* mn = normed(mid, C);
    double* hh = (double*)malloc(sizeof(double) * F);
    for (int j = 0; j < F; j++) {
        double gt = row_dot_h(wg + (size_t)j * C, mn, C), up = row_dot_h(wu + (size_t)j * C, mn, C);
        hh[j] = gt / (1.0 + exp(-gt)) * up;
    }
    double worst = 0, big = 0;
    for (int r = 0; r < C; r++) {
        double ref = mid[r] + row_dot_h(wd + (size_t)r * F, hh, F);
        worst = fmax(worst, fabs(out[r] - ref));
        big = fmax(big, fabs(ref));
    }
    free(wq); free(wo); free(wg); free(wu); free(wd); free(kc); free(vc); free(xn); free(mn); free(hh);
    return worst / big;
}

int main(int argc, char** argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 3, reps = 100;
    cudaDeviceProp prop;
    CK(cudaGetDeviceProperties(&prop, 0));
    printf("chain_micro on %s: 0.5B shapes, %d layers, %d slots; us a layer (a step / %d), %d graph replays a figure\n", prop.name, L, T, L, reps);
    P p;
    size_t nq = (size_t)L * QKV_ROWS * C, no = (size_t)L * C * C, ng = (size_t)L * F * C, nc = (size_t)L * KVH * T * HS;
    bf16 *wqkv, *wo, *wg, *wu, *wd, *kc, *vc;
    CK(cudaMalloc(&wqkv, nq * 2)); CK(cudaMalloc(&wo, no * 2)); CK(cudaMalloc(&wg, ng * 2)); CK(cudaMalloc(&wu, ng * 2));
    CK(cudaMalloc(&wd, ng * 2)); CK(cudaMalloc(&kc, nc * 2)); CK(cudaMalloc(&vc, nc * 2));
    // weights ~ U(-1, 1) / sqrt(K) keep every layer's activations O(1)
    k_fill<<<1024, 256>>>(wqkv, nq, 1, 1.0f / sqrtf((float)C));
    k_fill<<<1024, 256>>>(wo, no, 2, 1.0f / sqrtf((float)C));
    k_fill<<<1024, 256>>>(wg, ng, 3, 1.0f / sqrtf((float)C));
    k_fill<<<1024, 256>>>(wu, ng, 4, 1.0f / sqrtf((float)C));
    k_fill<<<1024, 256>>>(wd, ng, 5, 1.0f / sqrtf((float)F));
    k_fill<<<1024, 256>>>(kc, nc, 6, 1.0f);
    k_fill<<<1024, 256>>>(vc, nc, 7, 1.0f);
    CK(cudaGetLastError());
    p.wqkv = wqkv; p.wo = wo; p.wg = wg; p.wu = wu; p.wd = wd; p.kc = kc; p.vc = vc;
    CK(cudaMalloc(&p.xs, sizeof(float) * (L + 1) * C)); CK(cudaMalloc(&p.q, sizeof(float) * L * QD));
    CK(cudaMalloc(&p.atty, sizeof(float) * L * QD)); CK(cudaMalloc(&p.mid, sizeof(float) * L * C));
    CK(cudaMalloc(&p.h, sizeof(float) * L * F)); CK(cudaMalloc(&p.cnt, sizeof(int) * L * CNT_N));
    bf16* wdt;
    CK(cudaMalloc(&wdt, ng * 2)); CK(cudaMalloc(&p.acc, sizeof(unsigned long long) * L * C));
    k_transpose<<<1024, 256>>>(wd, wdt, C, F);
    CK(cudaGetLastError());
    p.wdt = wdt;
    bf16* wqkvt;
    CK(cudaMalloc(&wqkvt, nq * 2));
    k_transpose<<<1024, 256>>>(wqkv, wqkvt, QKV_ROWS, C);
    CK(cudaGetLastError());
    p.wqkvt = wqkvt;
    CK(cudaMalloc(&p.qp, sizeof(float) * L * DOWN_BLOCKS * QKV_ROWS)); CK(cudaMalloc(&p.ssp, sizeof(float) * L * DOWN_BLOCKS));
    float x0[C];
    for (int i = 0; i < C; i++) x0[i] = sinf(0.37f * i) + 0.1f;
    CK(cudaMemcpy(p.xs, x0, sizeof x0, cudaMemcpyHostToDevice));
    cudaStream_t st;
    CK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
    for (int v = V_H; v <= V_J; v++)
        CK(cudaFuncSetAttribute(fold_kernel(fold_warps(v)), cudaFuncAttributeMaxDynamicSharedMemorySize, (int)SMEM_FOLD));
    // `carve` as the second argument: every kernel asks for the largest shared-memory carveout, so no
    // SM has to drain to reconfigure between a GEMV and a folded o block
    if (argc > 2 && !strcmp(argv[2], "carve")) {
        void (*all[])(P, int) = {kA_qkv, kA_att, kA_o, kA_gu, kA_down, kB1, kB2, kD, kE, kC, kH_o<8>, kH_o<16>, kH_o<32>};
        for (auto k : all) CK(cudaFuncSetAttribute(k, cudaFuncAttributePreferredSharedMemoryCarveout, 100));
        printf("every kernel: carveout 100%%\n");
    }
    printf("H, I, J: %zu bytes of shared memory a block\n", SMEM_FOLD);
    CK(cudaFuncSetAttribute(kK_mlp, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)SMEM_K));
    CK(cudaFuncSetAttribute(kK4_mlp, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)SMEM_K));
    CK(cudaFuncSetAttribute(kK5_mlp, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)SMEM_K));
    {   // K's launches ask for the largest carveout, so the MLP's blocks (SMEM_K) fit beside the others
        void (*kk[])(P, int) = {kK_qkv, kK_att<false>, kK_att<true>, kK_o<false>, kK_o<true>, kK_mlp, kK4_o, kK4_mlp, kK5_mlp};
        for (auto k : kk) CK(cudaFuncSetAttribute(k, cudaFuncAttributePreferredSharedMemoryCarveout, 100));
        printf("K: %zu bytes of shared memory an MLP block, %d blocks of %d h entries\n", SMEM_K, KB, KS);
    }
    cudaGraphExec_t ex[V_N];
    for (int v = 0; v < V_N; v++) {
        cudaGraph_t g;
        CK(cudaStreamBeginCapture(st, cudaStreamCaptureModeThreadLocal));
        step(v, st, p);
        CK(cudaStreamEndCapture(st, &g));
        CK(cudaGraphInstantiate(&ex[v], g, 0));
        CK(cudaGraphDestroy(g));
    }
    // max |last - want| / max |want| over the C values of a last layer's output
    auto last_rel = [](const float* last, const float* want) {
        double worst = 0, big = 0;
        for (int i = 0; i < C; i++) { worst = fmax(worst, fabs(last[i] - want[i])); big = fmax(big, fabs(want[i])); }
        return worst / big;
    };
    // every variant's output equals A0's bit for bit (the new slot's key and value are rewritten
    // with the same values every step, so the steps repeat)
    static float ref[(L + 1) * C], out[(L + 1) * C];
    bool same = true;
    for (int v = 0; v < V_G; v++) {
        CK(cudaMemset(p.xs + C, 0, sizeof(float) * L * C));
        CK(cudaGraphLaunch(ex[v], st));
        CK(cudaStreamSynchronize(st));
        d2h(v == 0 ? ref : out, p.xs, sizeof ref);
        if (v == 0) {
            double rel = check_layer0(p);
            // fp32 sums against double: ~1e-6 of the layer's scale; a new key or value one bf16 step
            // apart (2^-8) moves a few scores: 1e-3 bounds both
            printf("layer 0 against the CPU (double): max |diff| / max |ref| = %.2e %s\n", rel, rel < 1e-3 ? "ok" : "MISMATCH");
            same = same && rel < 1e-3;
        } else if (memcmp(ref, out, sizeof ref)) {
            int i = 0;
            while (ref[i] == out[i]) i++;
            printf("%s: output differs from A0 at layer %d element %d: %.9g vs %.9g\n", vname[v], i / C - 1, i % C, out[i], ref[i]);
            same = false;
        }
    }
    // H, I, J round the query and p to bf16 (2^-9 relative each, averaged over a sum), and Q sums q/k/v
    // in another order (the partials): layer 0 against the CPU to the same 1e-3, and the last layer's
    // output against A0's
    const int loose[] = {V_H, V_I, V_J, V_Q};
    for (int v : loose) {
        CK(cudaMemset(p.xs + C, 0, sizeof(float) * L * C));
        CK(cudaGraphLaunch(ex[v], st));
        CK(cudaStreamSynchronize(st));
        d2h(out, p.xs, sizeof out);
        double rel = check_layer0(p);
        printf("%s: layer 0 against the CPU %.2e %s; after %d layers against A0 %.2e\n", vname[v], rel, rel < 1e-3 ? "ok" : "MISMATCH", L,
               last_rel(out + L * C, ref + L * C));
        same = same && rel < 1e-3;
    }
    // K..K5: fixed-point sums of the down partials (each partial rounded to 2^-32): against A0 after
    // 24 layers like H-J, and equal to each other bit for bit (integer sums). K4 stores the last x
    // itself; the others leave it as mid + acc of the last layer
    static float kfirst[C];
    for (int v = V_K; v <= V_K5; v++) {
        CK(cudaMemset(p.xs + C, 0, sizeof(float) * L * C));
        if (v == V_K4) CK(cudaMemset(p.acc, 0, sizeof(unsigned long long) * C));   // its one sum buffer
        CK(cudaGraphLaunch(ex[v], st));
        CK(cudaStreamSynchronize(st));
        float last[C];
        if (v == V_K4) d2h(last, p.xs + (size_t)L * C, sizeof last);
        else {
            static float mid[C];
            static unsigned long long acc[C];
            d2h(mid, p.mid + (size_t)(L - 1) * C, sizeof mid);
            d2h(acc, p.acc + (size_t)(L - 1) * C, sizeof acc);
            for (int i = 0; i < C; i++) last[i] = mid[i] + (float)(long long)acc[i] * UNFIX;
        }
        double rel = check_layer0(p);
        bool eq = v == V_K || !memcmp(kfirst, last, sizeof last);
        if (v == V_K) memcpy(kfirst, last, sizeof last);
        printf("%s: layer 0 against the CPU %.2e %s; after %d layers against A0 %.2e; equal to K: %s\n", vname[v], rel,
               rel < 1e-3 ? "ok" : "MISMATCH", L, last_rel(last, ref + L * C), eq ? "yes" : "NO");
        same = same && rel < 1e-3 && eq;
    }
    printf("every check above passed: %s; x after %d layers: %.4f %.4f %.4f\n", same ? "yes" : "NO", L, ref[L * C], ref[L * C + 1], ref[L * C + 2]);
    cudaEvent_t e0, e1;
    CK(cudaEventCreate(&e0)); CK(cudaEventCreate(&e1));
    for (int v = 0; v < V_N; v++) for (int i = 0; i < 10; i++) CK(cudaGraphLaunch(ex[v], st));
    double best[V_N];
    for (int v = 0; v < V_N; v++) best[v] = 1e30;
    for (int r = 0; r < rounds; r++) {
        for (int v = 0; v < V_N; v++) {
            CK(cudaEventRecord(e0, st));
            for (int i = 0; i < reps; i++) CK(cudaGraphLaunch(ex[v], st));
            CK(cudaEventRecord(e1, st));
            CK(cudaEventSynchronize(e1));
            float ms;
            CK(cudaEventElapsedTime(&ms, e0, e1));
            double us = 1e3 * ms / reps / L;
            if (us < best[v]) best[v] = us;
            printf("round %d  %-46s %7.2f us a layer\n", r + 1, vname[v], us);
        }
    }
    // bytes a layer: the weights (the cache's 40 KB a group is noise)
    double bytes = 2.0 * ((double)QKV_ROWS * C + (double)C * C + 2.0 * F * C + (double)C * F);
    printf("a layer's weights: %.1f MB; best of %d rounds:\n", bytes / 1e6, rounds);
    for (int v = 0; v < V_N; v++) printf("  %-46s %7.2f us a layer (%.0f GB/s)\n", vname[v], best[v], bytes / best[v] / 1e3);
    return same ? 0 : 1;
}
