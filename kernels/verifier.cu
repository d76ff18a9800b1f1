// The verifier's own device code (src/23_verifier.h).

// Poison the shared memory of every SM: each block fills all of its dynamic shared memory with a
// 32-bit pattern. Shared memory keeps its contents between kernels in practice, so a candidate
// that reads shared memory it never wrote reads the poison (NaN / huge) instead of zeros that
// would hide the bug. Volatile stores: the block's shared memory dies with the block, so plain
// stores could be removed as dead.
extern "C" __global__ void kgrl_poison_smem(unsigned int pattern, unsigned int nwords) {
    extern __shared__ unsigned int kgrl_smem[];
    volatile unsigned int* s = kgrl_smem;
    for (unsigned int i = threadIdx.x; i < nwords; i += blockDim.x) s[i] = pattern;
}
