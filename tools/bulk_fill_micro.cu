// tools/bulk_fill_micro.cu — how fast the SMs fill shared memory from DRAM, one launch at a time: each
// block copies its own slice (KB kilobytes) of a 1 GiB buffer into shared memory, by cp.async.bulk in
// `pieces` copies (mode 0), by 16-byte loads and shared stores (mode 1) or by cp.async.cg (mode 2),
// then exits. Launches run back to back without programmatic launch, each on fresh bytes; the figure
// is the best of 5 passes over the buffer. Standalone CUDA (no kgrl.h).
//
//   nvcc -O2 -arch=sm_90 -o bulk_fill_micro tools/bulk_fill_micro.cu && ./bulk_fill_micro
//
// Why: the forty-sixth session held the 0.5B gate/up's 132 KB an SM in shared memory (kgrl_k_gemv_held,
// scratch, not kept) and its node took 11.1 us against 6.5 for kgrl_k_gemv1_norm. This says the fill
// alone is most of that. Measured (H100 80GB HBM3, 132 SMs, forty-sixth session), us a launch of 17.8 MB:
//   mode 0, 132 KB a block, 1 / 4 / 8 / 32 / 64 pieces: 9.04 / 9.03 / 9.03 / 9.31 / 9.74 (1975 GB/s at best)
//   mode 1, 512 / 1024 threads: 9.04 / 8.98;  mode 2, 512 / 1024 threads: 8.81 / 8.83 (2025 GB/s)
//   mode 0 with 66 KB x 2 blocks an SM: 8.94-9.08; 33 KB x 4: 9.06-9.09; 16 KB x 8: 8.89 (17.3 MB)
// So every way to fill shared memory moves ~2 TB/s in a launch of this size (5.9 us of bytes at 3 TB/s
// plus ~3 us of start and tail), and the bulk copies are no faster than plain loads.
#include <cstdio>
#include <cstdint>
#include <cuda_runtime.h>
#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { printf("%s: %s\n", #x, cudaGetErrorString(e_)); return 1; } } while (0)
__device__ __forceinline__ void mbar_init(unsigned long long* bar, unsigned count) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" ::"r"((unsigned)__cvta_generic_to_shared(bar)), "r"(count) : "memory");
}
__device__ __forceinline__ void mbar_expect(unsigned long long* bar, unsigned bytes) {
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"((unsigned)__cvta_generic_to_shared(bar)), "r"(bytes) : "memory");
}
__device__ __forceinline__ void mbar_wait(unsigned long long* bar, unsigned parity) {
    unsigned a = (unsigned)__cvta_generic_to_shared(bar), done = 0;
    while (!done)
        asm volatile("{ .reg .pred p; mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2; selp.u32 %0, 1, 0, p; }" : "=r"(done) : "r"(a), "r"(parity) : "memory");
}
__device__ __forceinline__ void bulk(void* dst, const void* src, unsigned bytes, unsigned long long* bar) {
    asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];"
                 ::"r"((unsigned)__cvta_generic_to_shared(dst)), "l"(src), "r"(bytes), "r"((unsigned)__cvta_generic_to_shared(bar)) : "memory");
}
extern __shared__ uint4 sm[];
// mode 0: bulk copies, `pieces` of them; mode 1: ld.global -> st.shared; mode 2: cp.async.cg 16 B
__global__ void fill(const uint4* src, unsigned bytes, int pieces, int mode, float* sink) {
    __shared__ unsigned long long bars[64];
    const uint4* s = src + (size_t)blockIdx.x * (bytes / 16);
    if (mode == 0) {
        if (threadIdx.x == 0) {
            for (int p = 0; p < pieces; p++) mbar_init(&bars[p], 1);
            asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
            unsigned per = bytes / pieces;
            for (int p = 0; p < pieces; p++) { mbar_expect(&bars[p], per); bulk(sm + p * (per / 16), s + p * (per / 16), per, &bars[p]); }
        }
        __syncthreads();
        for (int p = 0; p < pieces; p++) mbar_wait(&bars[p], 0);
    } else if (mode == 1) {
        int n = bytes / 16;
        for (int i = threadIdx.x; i < n; i += 4 * blockDim.x) {
            uint4 v[4];
            for (int k = 0; k < 4; k++) v[k] = i + k * blockDim.x < n ? __ldcs(s + i + k * blockDim.x) : make_uint4(0, 0, 0, 0);
            for (int k = 0; k < 4; k++) if (i + k * blockDim.x < n) sm[i + k * blockDim.x] = v[k];
        }
        __syncthreads();
    } else {
        int n = bytes / 16;
        for (int i = threadIdx.x; i < n; i += blockDim.x) {
            unsigned to = (unsigned)__cvta_generic_to_shared(sm + i);
            asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(to), "l"(s + i) : "memory");
        }
        asm volatile("cp.async.wait_all;" ::: "memory");
        __syncthreads();
    }
    if (threadIdx.x == 0 && sm[blockIdx.x % 64].x == 12345u) sink[blockIdx.x] = 1.0f;   // keep the copies
}
int main() {
    int sms; CK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
    size_t total = (size_t)1 << 30;   // 1 GiB source, rotated so each launch reads fresh DRAM
    uint4* src; float* sink;
    CK(cudaMalloc(&src, total)); CK(cudaMemset(src, 1, total)); CK(cudaMalloc(&sink, 4096 * 4));
    CK(cudaFuncSetAttribute(fill, cudaFuncAttributeMaxDynamicSharedMemorySize, 200 * 1024));
    CK(cudaFuncSetAttribute(fill, cudaFuncAttributePreferredSharedMemoryCarveout, 100));
    cudaEvent_t a, b; cudaEventCreate(&a); cudaEventCreate(&b);
    struct { unsigned kb; int per_sm, pieces, mode, threads; } cs[] = {
        {132, 1, 1, 0, 512}, {132, 1, 4, 0, 512}, {132, 1, 8, 0, 512}, {132, 1, 32, 0, 512}, {132, 1, 64, 0, 512},
        {132, 1, 0, 1, 512}, {132, 1, 0, 1, 1024}, {132, 1, 0, 2, 512}, {132, 1, 0, 2, 1024},
        {66, 2, 4, 0, 256}, {66, 2, 16, 0, 256}, {33, 4, 4, 0, 256}, {33, 4, 8, 0, 256}, {16, 8, 4, 0, 128}};
    for (auto& c : cs) {
        unsigned bytes = c.kb * 1024;
        int blocks = sms * c.per_sm;
        size_t per_launch = (size_t)bytes * blocks;
        int nl = (int)(total / per_launch);
        for (int w = 0; w < 3; w++) fill<<<blocks, c.threads, bytes>>>(src, bytes, c.pieces, c.mode, sink);
        CK(cudaDeviceSynchronize());
        float best = 1e30f;
        for (int rep = 0; rep < 5; rep++) {
            cudaEventRecord(a);
            for (int l = 0; l < nl; l++) fill<<<blocks, c.threads, bytes>>>(src + l * (per_launch / 16), bytes, c.pieces, c.mode, sink);
            cudaEventRecord(b); CK(cudaEventSynchronize(b));
            float ms; cudaEventElapsedTime(&ms, a, b); if (ms < best) best = ms;
        }
        double us = 1e3 * best / nl;
        printf("kb %3u x %d/SM pieces %2d mode %d threads %4d: %7.2f us a launch of %.1f MB, %7.1f GB/s\n", c.kb, c.per_sm, c.pieces,
               c.mode, c.threads, us, per_launch / 1e6, per_launch / us / 1e3);
    }
    return 0;
}
