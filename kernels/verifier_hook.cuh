// The verifier's entry hook (src/23_verifier.h, kgrl__vf_checked_src): the smoke and correctness
// builds of a candidate put a call to kgrl__entry_hook() at the opening brace of every kernel it
// defines. Timed builds do not have it.
//
// Why inside the kernel: shared memory a kernel never wrote holds whatever the SM ran before. A
// poison kernel launched before the candidate was not enough: on a fresh machine another worker's
// context can run on the SMs between the two (an uninitialised-read candidate passed there, 3 of 3
// first runs on an H100). Here nothing can run between the poison and the kernel's own code.
//
// The window: the block's shared memory is [aggr - total, aggr) in the shared address space; the
// driver's reserved area lies below it (measured on an H100: reserved [0, 288), cap 1024, static
// variables from 1024, aggr = total + 1024). Before sm_90 there is no %aggr_smem_size; the reserved
// capacity is where user shared memory starts on sm_80-sm_89, and nothing is reserved before sm_80.

extern "C" {
__device__ unsigned int kgrl__hook_poison_word;         // set by the verifier after each module load
__device__ unsigned long long kgrl__hook_blocks;        // blocks that ran the hook (0 at load)
}

static __device__ __forceinline__ void kgrl__entry_hook(void) {
    unsigned int total, lo = 0, word = kgrl__hook_poison_word;
    asm volatile("mov.u32 %0, %%total_smem_size;" : "=r"(total));
#if __CUDA_ARCH__ >= 900
    unsigned int aggr;
    asm volatile("mov.u32 %0, %%aggr_smem_size;" : "=r"(aggr));
    lo = aggr - total;
#elif __CUDA_ARCH__ >= 800
    asm volatile("mov.u32 %0, %%reserved_smem_offset_cap;" : "=r"(lo));
#endif
    unsigned int nthreads = blockDim.x * blockDim.y * blockDim.z;
    unsigned int tid = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
    for (unsigned int a = lo + 4 * tid; a + 4 <= lo + total; a += 4 * nthreads)
        asm volatile("st.shared.u32 [%0], %1;" ::"r"(a), "r"(word) : "memory");
    if (tid == 0) atomicAdd(&kgrl__hook_blocks, 1ull);
    __syncthreads();
}
