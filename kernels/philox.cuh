// Philox4x32-10 on the GPU: the same pure function of (key, stream, index) as src/01_rng.h, so the
// device and the host draw identical numbers. Included at the top of kernels that need randomness.
#ifndef KGRL_PHILOX_CUH
#define KGRL_PHILOX_CUH
struct kgrl_u32x4_dev { unsigned int v[4]; };

__device__ __forceinline__ kgrl_u32x4_dev kgrl_philox4x32_10_dev(unsigned int c0, unsigned int c1, unsigned int c2,
                                                                unsigned int c3, unsigned int k0, unsigned int k1) {
    const unsigned int M0 = 0xD2511F53u, M1 = 0xCD9E8D57u, W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
    #pragma unroll
    for (int round = 0; round < 10; round++) {
        unsigned int hi0 = __umulhi(M0, c0), lo0 = M0 * c0;
        unsigned int hi1 = __umulhi(M1, c2), lo1 = M1 * c2;
        unsigned int n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
        c0 = n0; c1 = n1; c2 = n2; c3 = n3;
        k0 += W0; k1 += W1;
    }
    kgrl_u32x4_dev r;
    r.v[0] = c0; r.v[1] = c1; r.v[2] = c2; r.v[3] = c3;
    return r;
}

__device__ __forceinline__ kgrl_u32x4_dev kgrl_philox_block_dev(unsigned long long key, unsigned long long stream,
                                                               unsigned long long block) {
    return kgrl_philox4x32_10_dev((unsigned int)block, (unsigned int)(block >> 32), (unsigned int)stream,
                                  (unsigned int)(stream >> 32), (unsigned int)key, (unsigned int)(key >> 32));
}

__device__ __forceinline__ unsigned int kgrl_u32_at_dev(unsigned long long key, unsigned long long stream, unsigned long long index) {
    return kgrl_philox_block_dev(key, stream, index >> 2).v[index & 3];
}

__device__ __forceinline__ float kgrl_uniform_at_dev(unsigned long long key, unsigned long long stream, unsigned long long index) {
    return (float)(kgrl_u32_at_dev(key, stream, index) >> 8) * (1.0f / 16777216.0f);
}

// Box-Muller in double, rounded once, exactly as the CPU does it.
__device__ __forceinline__ float kgrl_normal_at_dev(unsigned long long key, unsigned long long stream, unsigned long long index) {
    kgrl_u32x4_dev b = kgrl_philox_block_dev(key, stream, index);
    double u1 = ((double)(b.v[0] >> 8) + 1.0) * (1.0 / 16777216.0);
    double u2 = (double)(b.v[1] >> 8) * (1.0 / 16777216.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}
#endif
