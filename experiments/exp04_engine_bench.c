// exp04_engine_bench — the GPU model engine's speed against PyTorch (DESIGN §5, §8): decode tokens/s
// at batch 1 and 64 against HF transformers `generate`, the fraction of the memory-bandwidth
// roofline that batch-1 decode reaches, LoRA training-step tokens/s against PyTorch + peft, and
// peak memory, on Qwen2.5-0.5B- and 1.5B-shaped random-init models (no download).
//
// Reproduces: the engine table of the report (decode and LoRA-step throughput, ratios to the
// comparators, roofline fraction, memory). The comparator side is tests/oracles/engine_comparator.py,
// run on the same GPU on the same model directories; it writes results/exp04_engine_comparator.csv.
//
// Build and run (GPU machine):
//   python3 tests/oracles/engine_comparator.py              # creates build/bench_models/* (bf16), times HF/peft
//   ./build.sh amalgamate && ./build.sh exp04_engine_bench && ./exp04_engine_bench
// Flags: --quick (0.5B only, 32 new tokens, 2 training steps), --seed S, --out PATH,
//   --model DIR (one model directory instead of the two defaults), --steps N, --new N, --prompt N.
// The model directories are build/bench_models/qwen2.5-0.5b-random and qwen2.5-1.5b-random; a missing
// one is created here (kgrl_model_init_random, saved in bf16; ~1-2 min of CPU) with a progress line.
// Expected time on one H100: ~3 min (quick: < 1 min), most of it loading the weights.
//
// Counting first (bf16, tied embeddings, so the (V, C) matrix is read once per token, as the LM head):
//   0.5B: 494M parameters = 0.99 GB; 1.5B: 1.54B = 3.09 GB. A batch-1 decode step must read all of
//   them plus the KV cache (L * 2 * KVH * HS * 2 bytes per cached token: 12 KiB (0.5B), 28 KiB (1.5B)).
//   H100 SXM HBM3 reads at ~3 TB/s, so the floors are ~0.33 ms and ~1.0 ms per token.
//   A LoRA step over B*T tokens costs ~2 * 2 * params * tokens flops (forward + input gradients; the
//   base weights get no gradient) plus attention: 0.5B, 4 x 1024 tokens: ~8.5 TFLOP, ~20 ms at a
//   realistic 450 TFLOP/s.
// Predictions (written before the first run). Batch-1 decode step, Qwen2.5 shapes (q/k/v bias, tied
// embeddings), no LoRA (+14 launches per layer with LoRA on all seven modules):
//   before the decode graph: 3 H2D + sync, embedding, 19 launches per layer (norm, q/k/v GEMMs and
//   their 3 bias adds, a v cudaMemcpy2D, 2 ropes, attention, o, add, norm, gate, up, swiglu, down,
//   add), final norm, gather, LM head, 3 H2D, sampler, 3 D2H + sync: 470 calls (0.5B, 24 layers),
//   546 (1.5B, 28 layers) at ~3-4 us each on the host: ~1.5-2 ms/token, launch-bound.
//   now (kgrl_gpu_sample): one CUDA graph of 5 + 12 per layer nodes (advance, embedding, first norm;
//   per layer q/k/v GEMMs with the bias epilogue, one rope + KV write, attention, o, add + norm,
//   gate, up, swiglu, down, add + norm; LM head, sampler): 293 (0.5B), 341 (1.5B); then one D2H
//   and one sync (~15 us). The host no longer limits the step; the GPU's serialized nodes do.
// H200 floors at 4.2 TB/s: 0.99 GB -> 0.24 ms (0.5B), 3.09 GB -> 0.74 ms (1.5B). Estimated node
// times: cuBLAS at N = 1 takes ~2.5-4.5 us for the < 5 MB q/k/v/o matrices and streams the 9-28 MB
// MLP ones at ~2-3 TB/s: 0.5B ~0.7 ms, 1.5B ~1.35 ms with the LM head; rope, 2 add + norm and swiglu
// ~2 us each: ~0.2 ms; attention runs one (query, head) block of 4 warps that walk the cache one
// slot per warp-iteration with dependent loads (~0.5-1 us each): at the ~190 mean slots of this
// benchmark ~25-50 us per layer, 0.6-1.2 ms (0.5B), 0.7-1.4 ms (1.5B), the largest term at 0.5B;
// sampler (one block over V = 151936, double sums) ~0.05 ms. So ~1.5-2 ms/token for 0.5B (12-16%
// of the floor) and ~2.3-3 ms for 1.5B (25-32%): the graph alone does not reach the 60% target.
// That needs split-KV decode attention (slots spread over many blocks: ~3 us per layer), q/k/v and
// gate/up each as one GEMM over weights concatenated at upload, a bf16 GEMV for N <= 8 that streams
// at >= 3 TB/s with the norms fused in, and a sampler split over V. HF generate is Python-bound at ~25-40 ms/token, so batch 1 is ~15x
// and batch 64 (~2.5 ms/step for kgrl vs ~40 ms for HF) ~15x (target 5x). The LoRA step at 4 x 1024:
// cuBLAS GEMMs ~25 ms, logits/elementwise ~15 ms, but the first attention kernels run on CUDA cores
// with a warp-shuffle dot product per (query, key) pair: ~29M warp iterations per layer each for the
// dq and the dk/dv kernels at 0.5B, 4 x 1024 (~3 ms each), ~1.5 ms forward, so ~180 ms of
// attention over 24 layers: a step of ~200-250 ms against ~120-150 ms for PyTorch + peft (whose
// SDPA uses flash attention on tensor cores), i.e. ~0.6x, below the 1.5x target until the attention
// kernels move to tensor cores (mma tiles, flash-2 style).
// Outcome (H100 80GB HBM3, 2026-11-21, the graph decode; comparator in the same call): decode B1
//   0.5B 3.53 ms/step (283.7 tok/s, 17.1x HF), 1.5B 4.93 ms (15.1x); B64 3.73 / 5.27 ms a step
//   (15.7x / 10.2x HF: the 5x target holds). B1 roofline 9.0% / 20.2%: a B64 step costs what a B1 step
//   does, so the step is latency-bound (attention walk, ~290 small nodes), not bandwidth-bound; the
//   prediction of 1.5-2 ms missed by 2x. LoRA step 509 / 383 ms against peft's 138 / 194 ms (0.27x /
//   0.51x, prediction 0.6x): the section train_split (added after that run) says where the time goes.
//   Peak memory 7.7 / 8.9 GiB against torch's 15.2 / 13.5 GiB allocated.
// Prediction for the batched-GEMM training attention and split-KV decode: exp00's rate
//   (~4.6 G (query, key) pairs/s per CUDA-core pass, 3 passes) puts the 0.5B step's attention at
//   ~460 of its 509 ms. On GEMMs: 7 GEMMs of 2*T*T*HS flops per (row, head) ~1.3 TFLOP a step (~4 ms)
//   plus ~2.5 GB per layer of fp32 S / dP and storage-dtype P / dS traffic, ~60 GB a step (~25 ms):
//   ~30 ms, so ~80 ms a step, ~1.7x peft's 138 ms (target 1.5x). Plan memory +700 MiB (B 4, T 1024).
// Outcome (H100, --quick: 0.5B, 2 timed steps, 32 new tokens, comparator --quick in the same call):
//   LoRA step 65.8 ms against peft's 139 ms (2.1x; attention 9.7 ms forward + 15.6 ms backward of it);
//   checkpointed 88.3 ms with a 3661 MiB plan instead of 7304; decode B1 2.28 ms (31.5x HF), B64
//   3.59 ms a step (13.5x), roofline 15.0% (was 9.0%). The full run (1.5B, 128 tokens) is still to do.
// Prediction for the decode GEMV (kgrl_k_gemv: q/k/v in one launch with the bias, gate/up with the
//   swiglu, o, down and the LM head, for decode steps of <= 8 rows; written before any run). A node
//   must at least read its weights; H100 HBM3 at ~3 TB/s:
//     0.5B: q/k/v 2 x (896 + 2 x 128) x 896 B = 2.1 MB (0.7 us); o 1.6 MB (0.5 us); gate + up
//     2 x 896 x 4864 x 2 B = 17.4 MB (5.8 us); down 8.7 MB (2.9 us); LM head 151936 x 896 x 2 B =
//     272 MB (91 us). 1.5B: q/k/v 6.3 MB (2.1 us); o 4.7 MB (1.6 us); gate + up 55 MB (18.4 us);
//     down 27.5 MB (9.2 us); LM head 467 MB (156 us).
//   The small ones are latency-bound (launch in the graph ~1-2 us, one DRAM round trip per warp):
//   predicted 0.5B q/k/v ~3 us (cuBLAS: three calls, ~9 us), o ~2.5 us (~3), gate/up ~7 us (two GEMMs
//   + swiglu ~12), down ~5 us (only 112 blocks of 8 rows for 132 SMs; cuBLAS ~6), LM head ~95 us
//   (~100); 1.5B q/k/v ~4, o ~3, gate/up ~20, down ~11, LM head ~160 us. Unchanged nodes: rope_qkv
//   ~2 us, split-KV attention at 128 slots ~5 us (2 nodes), add + norm ~2 us, the greedy sampler
//   (one block over V with double exps) ~30-50 us. Node sums per step: 0.5B ~0.8 ms on the GEMV path
//   against ~1.1 ms on cuBLAS; 1.5B ~1.6 ms against ~1.9 ms. The nodes per layer drop from 13 (27
//   with LoRA on the seven modules) to 9 (13).
// Outcome (H100 80GB HBM3, 2026-11-21, 0.5B only, a driver calling this file's bench_decode_split and
//   bench_roofline at P 128; the full exp04 run is still to do). us per node, GEMV / cuBLAS: q/k/v
//   4.0 / 12.0, o 3.7 / 3.8, gate/up + swiglu 13.5 / 12.0, down 9.8 / 7.5, LM head 111 / 98 (2.5 /
//   2.8 TB/s); unchanged nodes: rope_qkv 3.2, split-KV attention 22.2 (at 128 slots, the largest node
//   of a layer), add + norm 2.8, greedy sampler 99. Batch-1 decode 1.91 ms/token (roofline section;
//   2.28 before), 17% of the floor. The first version of the kernel (8 warps a block, a lane's last
//   loads issued one at a time in a tail loop, 88 registers) ran the LM head in 283 us and the step
//   in 2.37 ms; issuing a lane's loads together and capping it at 64 registers (8 blocks of 4 warps
//   an SM) gave the numbers above. cuBLAS still streams the large matrices faster than the GEMV;
//   the prediction missed gate/up by 2x, down and the LM head by 15-100%, the attention by 4x and
//   the sampler by 2x: node sums 1.71 ms a step (GEMV path) and 1.79 ms (cuBLAS), not 0.8 / 1.1.

// Outcome, full run (H100 80GB HBM3, fifth session, the comparator in the same call; after the GEMV:
//   split-KV attention with 16-byte key loads and no branch around the p*v loads, the sampler's
//   logsumexp in float exps summed in double with 8 loads a thread in flight, weights > 8 MiB a launch
//   (gate/up, down of both models, the LM head) back on cuBLAS). Per node (us, 0.5B / 1.5B): attention
//   22.2 / 39.8 -> 8.1 / 11.7, sampler 99.9 -> 45.1 / 45.2. Batch-1 decode 1.479 ms (0.5B, 22.3% of the
//   copy-rate floor) and 2.757 ms (1.5B, 37.3%); the target is 60%. Ratios kgrl / torch: decode B1
//   653.8 / 16.5 tok/s (39.5x) and 356.1 / 11.5 (30.9x); B64 26302 / 784 (33.5x) and 14671 / 877
//   (16.7x); LoRA step 61440 / 19261 tok/s (3.19x) and 34310 / 9611 (3.57x). What is left of a 0.5B
//   step (node sum 1.29 ms): the LM head 98 us and the sampler 45 us, and per layer (x 24) gate/up
//   12, down 7.4, attention 8.1, q/k/v 3.9, o 3.7, rope 3.1, 2 x add + norm 2.7: ~2.5x the bytes'
//   time. The next steps: gate/up/down at cuBLAS's rate or better in one kernel per MLP, the norm and
//   the rope folded into the projections, the sampler spread over blocks (V / 1024 per thread).
// Outcome (H100 80GB HBM3, tenth session; the binary of 5aa9908 in the same calls as the comparator):
//   fused decode layers (rope and KV writes in the q/k/v GEMV, residual add + the next norm in the o
//   and down GEMVs' last block, swiglu in gate/up), programmatic dependent launch, a one-row GEMV with
//   its first weights loaded before the dependency wait, long rows over 2-4 warps, a many-block greedy
//   sampler (46 -> 6.4 us). Batch-1 decode 1.505 -> 1.037 ms (0.5B, roofline 21.8% -> 31.7%) and
//   2.769 -> 2.301 ms (1.5B, 37.1% -> 44.6%); without PDL 1.150 / 2.338 ms. Target 60%: not met;
//   NOTES (tenth session) lists the nodes that remain.
// Outcome (H100 80GB HBM3, eleventh session; the binary of c0e406f in the same call; the step of
//   kgrl_gpu_sample timed as this file's roofline section times it, by a scratch driver): split-KV
//   decode attention in one launch, each chunk's keys and values loaded into shared memory with every
//   load in flight, the last chunk block of a head combining. Batch-1 decode 1.088 -> 0.924 ms (0.5B,
//   roofline 30.2% -> 35.6%; exp04 --quick on the commit before the combine's last fix: 0.978 ms,
//   33.6%) and 2.326 -> 1.948 ms (1.5B, 44.1% -> 52.7%). Target 60%: not met; NOTES (eleventh
//   session) has the per-launch trace.
// Outcome (H100 80GB HBM3, fourteenth session; the build of 5dfedf7 in the same call): the decode
//   GEMVs that read a norm compute it themselves (each unit sums the squares of the input chunks it
//   loads; the o and down launches lost their counter and last-block norm), the one-row launches
//   of the norm run 10 blocks an SM, and the LM head of a fused step is a GEMV. The full run with the
//   comparator and the 5dfedf7 build in the same call: roofline 45.5% (0.724 ms, from 0.860) and
//   62.2% (1.653 ms, from 1.830); decode B1 119x / 55.8x, B64 33.2x / 15.5x; LoRA step 3.09x /
//   3.90x. Target 60%: met at 1.5B, not at 0.5B.
// Outcome (H100 80GB HBM3, fifteenth session; the build of 565c37a in the same calls): decode
//   attention chunks of up to 256 slots held in the storage dtype, so this benchmark's 0.5B cache
//   (<= 256 slots) is one chunk a head and no block combines partials. Three pairs of full runs:
//   0.5B roofline 51.2 / 48.0 / 48.5% against 45.1 / 41.9 / 45.8% (0.643 / 0.686 / 0.680 ms a token
//   against 0.730 / 0.785 / 0.719: 1.14x, 1.14x, 1.06x; the step varies ~6% between runs of one
//   binary), 1.5B 63.4 / 63.3 / 64.1% against 61.8 / 61.9 / 62.5%; decode_split attention node
//   6.30 -> 4.23 us. With the comparator (last pair): decode B1 99.3x / 49.6x, B64 26.9x / 15.2x,
//   LoRA step 2.97x / 3.47x. Target 60%: met at 1.5B, not at 0.5B (needs 0.55 ms).
// Outcome (H100 80GB HBM3, twenty-ninth session; main's earlier build in the same call, three rounds
//   of --model 0.5B --steps 1): the decode attention stores its chunk's earlier slots before its wait,
//   loads the query and the new slot together after it, and is specialized on the dtype. Attention
//   node 4.23 -> 3.83 us, step 0.687 -> 0.669 ms a token (means). The full run with the comparators:
//   roofline 49.6% / 64.0% (0.664 / 1.605 ms). Target 60%: met at 1.5B, not at 0.5B.
// Outcome (H100 80GB HBM3, thirtieth session): the roofline step is now the median of five pairs of
//   runs (one pair had moved 42.4-49.2% between runs of one binary). The decode attention's bodies for
//   head sizes 64 and 128 at compile time: attention node 3.84 -> 2.44 us at 0.5B (3.08 at 1.5B,
//   5.45 before the twenty-ninth session), step 0.677 -> 0.669 ms (three rounds against the earlier
//   build in one call). The full run with the comparators: roofline 49.2% / 64.5% (0.669 / 1.592 ms).
//   Target 60%: met at 1.5B, not at 0.5B.
// Outcome (H100 80GB HBM3, thirty-second and thirty-third sessions): the sample loop writes each
//   step's tokens into a mapped host ring and the host reads step t while step t + 1 runs: 0.6657-0.6664
//   -> 0.6527-0.6541 ms a token (three interleaved rounds against the build before). The full run with
//   the comparators: roofline 50.4% / 65.1% (0.653 / 1.577 ms). Target 60%: met at 1.5B, not at 0.5B.
// Outcome (H100 80GB HBM3, thirty-ninth session): the decode attention triggers the o launch once its
//   chunk is in shared memory: 0.6506-0.6525 -> 0.6464-0.6478 ms a token (three interleaved rounds). The
//   full run with the comparators: roofline 51.1% / 65.2% (0.644 / 1.577 ms). Batch 8, measured for the
//   first time: 2345 / 873 tokens/s, and its decode_split step sums 2906 us on the GEMVs against 1232 on
//   cuBLAS at 0.5B (8254 / 2295 at 1.5B): the batch-invariant GEMV's per-row arithmetic grows with N.
// Outcome (H100 80GB HBM3, forty-first session): the 2..8-row GEMV sums all rows' lanes at once (one
//   epilogue a lane) and stages x in shared memory once a block: batch 8 4217 / 1453 tokens/s (was 2345 /
//   873), decode_split step sums 1658 us against 1234 on cuBLAS at 0.5B (4669 / 2297 at 1.5B). Batch 1
//   unchanged within the calls' noise: roofline 50.9% / 65.5% (0.646 / 1.570 ms).
// Outcome (H100 80GB HBM3, forty-second session): the 2..8-row GEMV takes a plain segment's rows two a
//   warp (the LM head, down, v; o at 1.5B), so a chunk of x serves two weight rows: batch 8 5033 / 1843
//   tokens/s (was 4217 / 1453), decode_split step sums 1353 us against 1235 on cuBLAS at 0.5B (3403 /
//   2301 at 1.5B). Batch 1 unchanged: roofline 51.0% / 65.4% (0.645 / 1.570 ms).
// Outcome (H100 80GB HBM3, forty-third session): the 2..8-row norm launches past one wave loop over units
//   with x staged once a resident block, and the unstaged plain ones (LM head, down) load a round ahead:
//   batch 8 5046 / 2324 tokens/s in the full call (5379 / 2308 against 5239 / 2255 for 9ebb14f, the loop
//   alone, in one A/B call), decode_split step sums 1252 us against 1231 on cuBLAS at 0.5B (3000 / 2294 at
//   1.5B). Batch 1 unchanged: roofline 51.4% / 65.4% (0.641 / 1.571 ms).
// Outcome (H100 80GB HBM3, forty-fourth session): the 2..8-row plain launches whose units fit one block
//   an SM (o, down) copy x into shared memory once a block: batch 8 5946 / 2894 tokens/s (57.9x / 30.1x
//   HF generate; was 5046 / 2324), decode_split step sums 1118 us against 1225 on cuBLAS at 0.5B (2381 /
//   2259 at 1.5B). Batch 1 unchanged: roofline 51.5% / 65.6% (0.639 / 1.568 ms). With the norm's looping
//   kernel in rounds of 2 loads, a noisier call: batch 8 5901 / 2915, step sums 1103 against 1236 (2347 /
//   2298), roofline 51.5% / 65.0%.
// Outcome (H100 80GB HBM3, forty-fifth session): the bf16 LM head on tensor cores at every N
//   (kgrl_k_gemv_mma): 8 rows 98.4 / 162.9 us against cuBLAS's 100.1 / 167.7 (178.2 / 286.4 before);
//   batch 8 6452 / 3081 tokens/s (59.0x / 24.6x HF generate), decode_split step sums 1009 us against 1228 on
//   cuBLAS at 0.5B (2184 / 2242 at 1.5B). Batch 1 ~2-3 us a token slower in same-call A/Bs: roofline
//   51.0% / 65.2% (0.645 / 1.576 ms).
// Outcome (H100 80GB HBM3, forty-sixth session): 5..8 rows of q/k/v in groups of 4 rows of x (0.5B;
//   at 1.5B twice the blocks would not fit one wave): 8-row q/k/v 5.4 us against 6.6, batch 8 6699 /
//   3090 tokens/s (66.4x / 25.1x HF generate; +3.2% at 0.5B in a same-call A/B), decode_split step sums
//   973 us against 1218 on cuBLAS at 0.5B. Batch 1 unchanged: roofline 51.0% / 65.2% (0.646 / 1.577 ms).
// Outcome (H100 80GB HBM3, forty-seventh session): kgrl_gpu_sample prefills each prompt in a forward of
//   its own up to 16 rows (B*G) and decodes 9..16 rows on the GEMVs, so a sequence's bits do not depend
//   on the batch (before, 8 of 8 sequences of 2 prompts x 4 at the 0.5B shape differed from the same
//   sequence alone at their first token). Batch 8 here runs 8 prefills: 6055 / 2874 tokens/s (prefill 22 /
//   33 ms against 8 / 13 in one forward; the decode step unchanged, 1.159 / 2.543 ms). The decode
//   attention's static shared memory, one block for its bodies: roofline 50.3% / 66.1% (0.655 / 1.554 ms).
// Outcome (H100 80GB HBM3, forty-eighth session): 9..16 rows in one launch a GEMV (16-row kernels), so
//   decode_split at batch 16 (new): step sums 1516 us against 1255 on cuBLAS at 0.5B, 4151 against 2361 at
//   1.5B (two 8-row launches of down and gate/up there; in that build q/k/v too, 17.9 us against the 15.7
//   of the one launch kept). Batch 1 and 8 unchanged: roofline 50.4% / 66.1%
//   (0.652 / 1.555 ms), batch 8 6205 / 2920 tokens/s (67.1x / 28.9x HF generate).
// Outcome (H100 80GB HBM3, forty-ninth session): the 16-row GEMVs stage x with 2 rows of 4 chunks' loads
//   in flight a warp: decode_split at batch 16, step sums 1482 us against 1254 on cuBLAS at 0.5B (1516
//   before), 4094 against 2365 at 1.5B. Batch 1, 8 and 64 kernels unchanged: roofline 51.1% / 66.1%
//   (0.643 / 1.554 ms), batch 64 35.0x / 17.5x HF generate, LoRA step 2.75x / 3.54x PyTorch + peft.
// Outcome (H100 80GB HBM3, fiftieth session): the 16-row GEMVs hold x chunk-major (rows at constant
//   offsets, no branch a row): decode_split at batch 16, 0.5B, step sums 1286 us against 1259 on cuBLAS
//   (1490 against 1255 for 243880c in the same call); gate/up 21.6 us (27.3), o 4.2 (6.7). Batch 1 and 8
//   kernels unchanged (PTX identical): one round each, 0.6596 ms a token against 0.6482 for 243880c,
//   batch 8 6100 against 6169 tok/s. With LoRA the main GEMV launches now wait for their A launch only
//   before the epilogue (3bf00b5): decode_sweep 0.5B shape 16 rows 1.912 against 2.462 ms a step.
// Outcome (H100 80GB HBM3, fifty-second session): the 1.5B launches past 24 MiB stay on tensor cores
//   with LoRA (6907601), and decode_split times each projection with LoRA too. Full run with the
//   comparators: roofline 50.3% / 63.4% (0.654 / 1.620 ms), batch 8 6219 / 3113 tokens/s (69.5x / 28.2x
//   HF generate), batch 64 41.0x / 17.7x, LoRA step 2.88x / 3.80x PyTorch + peft, peak 8406 / 9180 MiB.
//   decode_split step sums with LoRA, GEMVs / cuBLAS, 1 / 8 / 16 rows: 0.5B 799 / 2235, 1255 / 2241,
//   1731 / 2291 us; 1.5B 1684 / 3559, 2168 / 3600, 3247 / 3679 (5501 at 16 rows before 6907601).
// Outcome (H100 80GB HBM3, fifty-third session): every decode step on the GEMVs (cuBLAS took the steps
//   past 16 rows), so a sequence's tokens do not depend on the batch at any size; the tensor-core
//   GEMVs take up to 64 rows a launch. Full run with the comparators: batch 64 9940 / 6366 tokens/s,
//   12.9x / 7.1x HF generate (41.0x / 17.7x on cuBLAS the session before; main's cuBLAS 27757 at 0.5B
//   interleaved in another call); batch 1 and 8 unchanged: roofline 50.1% / 64.4% (0.657 / 1.596 ms),
//   batch 8 6135 / 3119 (48.3x / 32.5x), LoRA step 2.75x / 3.37x, peak 8406 / 9180 MiB. decode_split
//   at 64 rows (new), step sums GEMVs / cuBLAS: 0.5B 4801 / 1553 us, 1.5B 6325 / 2788.
//
// Output: results/exp04_engine_bench.csv, tidy long format: model,section,batch,metric,value
//   section decode: tokens_per_s, ms_per_step (batch 1, 8 and 64), prefill_ms
//   section roofline: bytes_per_token, achieved_gbps, copy_gbps, fraction (batch 1); ms_per_token_no_pdl,
//     fraction_no_pdl: the same steps launched without programmatic dependent launch
//   section train: tokens_per_s, ms_per_step, loss_first, loss_last (B x 1024 tokens, rank 16, 7 modules)
//   section train_ckpt: the same with activation checkpointing (memory: train_ckpt_plan_*_mib)
//   section train_split: forward_ms, loss_ms, backward_ms, optimizer_ms of that step (CUDA events), and
//     attention_fwd_ms, attention_bwd_ms: the step's attention alone, times the layers
//   section decode_split (batch 1, 8, 16 and 64): us_<node> of each node type of a decode step with the model's
//     shapes (a graph of 50, layers rotated): us_qkv_gemv / us_qkv_cublas, us_o_gemv / _cublas,
//     us_gate_up_swiglu_gemv / _cublas (two GEMMs + swiglu), us_down_gemv / _cublas, us_lm_head_gemv /
//     _cublas, us_rope_qkv, us_attention_split_kv (P slots, one launch), us_add_rmsnorm,
//     us_sample_greedy; us_step_sum_gemv, us_step_sum_cublas: a step as the sum of its nodes; the four
//     projections' nodes again with a rank-16 LoRA on every module (us_<node>_lora) and the step sums
//     with them (us_step_sum_gemv_lora, us_step_sum_cublas_lora)
//   section memory: weights_mib, plan_planned_mib, plan_measured_mib, peak_used_mib
// Ratios: `python3 tests/oracles/engine_comparator.py --ratios results/exp04_engine_bench.csv` joins
// both CSVs and writes results/exp04_engine_ratios.csv (model,section,batch,metric,kgrl,torch,ratio).
#define KGRL_IMPLEMENTATION
#include "kgrl.h"

static kgrl_model_config bench_cfg(bool big) {
    kgrl_model_config c;
    memset(&c, 0, sizeof c);
    c.family = KGRL_FAMILY_QWEN2; c.vocab_size = 151936; c.max_pos = 32768; c.rms_eps = 1e-6f; c.rope_theta = 1000000.0f;
    c.qkv_bias = true; c.tie_embeddings = true; c.bos_token_id = -1; c.eos_token_id = 151643; c.initializer_range = 0.02f;
    if (!big) { c.hidden_size = 896; c.n_layers = 24; c.n_heads = 14; c.n_kv_heads = 2; c.head_dim = 64; c.ffn_size = 4864; }
    else { c.hidden_size = 1536; c.n_layers = 28; c.n_heads = 12; c.n_kv_heads = 2; c.head_dim = 128; c.ffn_size = 8960; }
    return c;
}

static void ensure_model(const char *dir, bool big, uint64_t seed) {
    char path[1024];
    snprintf(path, sizeof path, "%s/config.json", dir);
    if (kgrl_file_exists(path)) return;
    fprintf(stderr, "exp04: creating %s (random init, bf16) ...\n", dir);
    kgrl_model_config c = bench_cfg(big);
    kgrl_model *m = kgrl_model_create(&c);
    kgrl_model_init_random(m, seed);
    kgrl_err err;
    if (!kgrl_model_save(m, dir, KGRL_DTYPE_BF16, &err)) KGRL_FATAL("%s", err.msg);
    kgrl_model_free(m);
}

static double used_mib(void) {
    size_t fr, tot;
    KGRL_CUDA_CHECK(cudaMemGetInfo(&fr, &tot));
    return (double)(tot - fr) / 1048576.0;
}

typedef struct row_sink { kgrl_csv *csv; const char *model; } row_sink;
static void csv_row(row_sink *s, const char *section, int batch, const char *metric, double v) {
    kgrl_csv_field_str(s->csv, s->model); kgrl_csv_field_str(s->csv, section); kgrl_csv_field_int(s->csv, batch);
    kgrl_csv_field_str(s->csv, metric); kgrl_csv_field_num(s->csv, v); kgrl_csv_end_row(s->csv);
}
static void row(row_sink *s, const char *section, int batch, const char *metric, double v) {
    csv_row(s, section, batch, metric, v);
    printf("  %-28s %-9s B=%-3d %-20s %.4g\n", s->model, section, batch, metric, v);
}

// Decode throughput of kgrl_gpu_sample (greedy, no stop) with B prompts of P tokens, NEW new tokens.
static void bench_decode(kgrl_engine *e, kgrl_gpu_model *gm, int B, int P, int NEW, row_sink *s, double *peak) {
    kgrl_engine_desc d;
    memset(&d, 0, sizeof d);
    d.max_batch = B; d.max_tokens = P + NEW; d.last_logits = true;
    kgrl_gpu_acts *a = kgrl_gpu_acts_create(e, gm, NULL, &d);
    int *prompt = (int *)kgrl_malloc(sizeof(int) * (size_t)P);
    for (int i = 0; i < P; i++) prompt[i] = (i * 7919 + 13) % gm->cfg.vocab_size;
    const int **pp = (const int **)kgrl_malloc(sizeof(int *) * (size_t)B);
    int *lens = (int *)kgrl_malloc(sizeof(int) * (size_t)B);
    for (int b = 0; b < B; b++) { pp[b] = prompt; lens[b] = P; }
    kgrl_gpu_sample_seconds(e, gm, NULL, a, pp, lens, B, 4);   // warm-up (cuBLAS heuristics, module load)
    double dt = kgrl_gpu_sample_seconds(e, gm, NULL, a, pp, lens, B, NEW);
    // prefill alone, as kgrl_gpu_sample runs it (each prompt in a forward of its own)
    double t0 = kgrl_now_s();
    kgrl_gpu_prefill(e, gm, NULL, a, pp, lens, B, 1);
    KGRL_CUDA_CHECK(cudaDeviceSynchronize());
    double prefill = kgrl_now_s() - t0;
    double used = used_mib();
    if (used > *peak) *peak = used;
    row(s, "decode", B, "tokens_per_s", (double)B * NEW / dt);
    row(s, "decode", B, "ms_per_step", 1e3 * (dt - prefill) / (NEW - 1 > 0 ? NEW - 1 : 1));
    row(s, "decode", B, "prefill_ms", 1e3 * prefill);
    row(s, "memory", B, "plan_planned_mib", a->planned_bytes / 1048576.0);
    row(s, "memory", B, "plan_measured_mib", a->measured_bytes / 1048576.0);
    kgrl_free(prompt); kgrl_free(pp); kgrl_free(lens);
    kgrl_gpu_acts_free(a);
}

// ms a batch-1 decode step: two runs of n1 < n2 new tokens, the difference of their times over
// n2 - n1 steps (it cancels the prefill, the graph capture and the first, eager, step); the median of
// ROOFLINE_PAIRS such pairs. With one pair, three runs of one binary on an H100 gave 42.4 / 48.7 / 49.2%
// of the roofline at 0.5B (the first run after the build the slow one; twenty-ninth session).
#define ROOFLINE_PAIRS 5
static double step_ms_median(kgrl_engine *e, kgrl_gpu_model *gm, kgrl_gpu_acts *a, const int *prompt, int P, int n1, int n2) {
    double per[ROOFLINE_PAIRS];
    for (int i = 0; i < ROOFLINE_PAIRS; i++)
        per[i] = 1e3 * (kgrl_gpu_sample_seconds(e, gm, NULL, a, &prompt, &P, 1, n2) -
                        kgrl_gpu_sample_seconds(e, gm, NULL, a, &prompt, &P, 1, n1)) / (n2 - n1);
    kgrl_tstats st;
    kgrl_tstats_compute(per, ROOFLINE_PAIRS, &st);
    fprintf(stderr, "exp04: batch-1 step%s, ms: median %.4f, min %.4f, max %.4f of %d pairs\n", e->pdl ? "" : " without PDL",
            st.median, st.min, st.max, ROOFLINE_PAIRS);
    return st.median;
}

// Batch-1 decode steps of kgrl_gpu_sample against the bandwidth floor (the graph-launched step:
// forward, sampler, one D2H; the host reads a step's tokens while the next step runs).
static void bench_roofline(kgrl_engine *e, kgrl_gpu_model *gm, int P, int NEW, double copy_gbps, row_sink *s) {
    const kgrl_model_config *c = &gm->cfg;
    int n1 = NEW / 4 + 1, n2 = NEW > n1 ? NEW : n1 + 1;
    kgrl_engine_desc d;
    memset(&d, 0, sizeof d);
    d.max_batch = 1; d.max_tokens = P + n2; d.last_logits = true;
    kgrl_gpu_acts *a = kgrl_gpu_acts_create(e, gm, NULL, &d);
    int *prompt = (int *)kgrl_malloc(sizeof(int) * (size_t)P);
    for (int i = 0; i < P; i++) prompt[i] = (i * 31 + 1) % c->vocab_size;
    kgrl_gpu_sample_seconds(e, gm, NULL, a, (const int *const *)&prompt, &P, 1, n1);   // warm-up
    double per = step_ms_median(e, gm, a, prompt, P, n1, n2) / 1e3;
    // the same steps without programmatic dependent launch (each kernel starts when the one before
    // it has finished): what the overlap of a kernel's start with its predecessor's end gives
    bool pdl = e->pdl;
    e->pdl = false;
    double per_serial = step_ms_median(e, gm, a, prompt, P, n1, n2) / 1e3;
    e->pdl = pdl;
    // bytes read per token: every weight once (tied: the (V, C) matrix as the LM head; the embedding
    // row gather is negligible) + the KV cache at the mean length
    double weights = (double)gm->n_params * gm->esize;
    if (!c->tie_embeddings) weights -= (double)c->vocab_size * c->hidden_size * gm->esize;
    double kv = (double)c->n_layers * 2 * c->n_kv_heads * c->head_dim * gm->esize * (P + (n1 + n2) / 2.0);   // timed steps' mean
    double bytes = weights + kv, gbps = bytes / per / 1e9;
    row(s, "roofline", 1, "bytes_per_token", bytes);
    row(s, "roofline", 1, "ms_per_token", 1e3 * per);
    row(s, "roofline", 1, "achieved_gbps", gbps);
    row(s, "roofline", 1, "copy_gbps", copy_gbps);
    // copy_gbps counts bytes read + written, the rate at which HBM moves bytes in either direction;
    // decode only reads, so the floor is bytes / copy_gbps
    row(s, "roofline", 1, "fraction", gbps / copy_gbps);
    row(s, "roofline", 1, "ms_per_token_no_pdl", 1e3 * per_serial);
    row(s, "roofline", 1, "fraction_no_pdl", bytes / per_serial / 1e9 / copy_gbps);
    kgrl_free(prompt);
    kgrl_gpu_acts_free(a);
}

// Section decode_split: each node type of a decode step of batch 1, 8 and 16 with the model's shapes, timed alone:
// 50 repetitions captured in one CUDA graph, launched between two CUDA events; us per repetition.
// The fused GEMV launches of a decode step (kgrl__decode_fused: q/k/v of the norm with the rope and KV
// writes, o and down with the residual add, gate/up of the norm with the swiglu; the LM head's GEMV plain)
// against the cuBLAS path with its separate rope and add + norm kernels. Repetition i uses layer i % L's weights, as a step walks the layers (the smallest
// matrices of all L layers can still partly sit in the 50 MB L2, which a real step, streaming ~1 GB
// between two uses, does not allow: their times are a lower bound). Attention reads the KV cache of a
// P-token prefill (the query at slot P - 1: P slots, as decode at the start of --new).
// The first eight ops again with LoRA (rank 16, q/k/v/o/gate/up/down, as the train section's adapter):
// a GEMV node is then its A launch and the main launch, a cuBLAS node its projections with their LoRA
// GEMMs. GRPO's rollouts decode with the adapter.
enum { DS_QKV_GEMV, DS_QKV_CUBLAS, DS_O_GEMV, DS_O_CUBLAS, DS_GATE_UP_GEMV, DS_GATE_UP_CUBLAS, DS_DOWN_GEMV,
       DS_DOWN_CUBLAS, DS_HEAD_GEMV, DS_HEAD_CUBLAS, DS_ROPE_QKV, DS_ATTENTION, DS_ADD_RMSNORM, DS_SAMPLE, DS_PLAIN_COUNT,
       DS_LORA = DS_PLAIN_COUNT, DS_COUNT = DS_LORA + DS_HEAD_GEMV };
static const char *const ds_names[DS_COUNT] = {
    "qkv_gemv", "qkv_cublas", "o_gemv", "o_cublas", "gate_up_swiglu_gemv", "gate_up_swiglu_cublas", "down_gemv",
    "down_cublas", "lm_head_gemv", "lm_head_cublas", "rope_qkv", "attention_split_kv", "add_rmsnorm", "sample_greedy",
    "qkv_gemv_lora", "qkv_cublas_lora", "o_gemv_lora", "o_cublas_lora", "gate_up_swiglu_gemv_lora",
    "gate_up_swiglu_cublas_lora", "down_gemv_lora", "down_cublas_lora"};

typedef struct ds_state { kgrl_engine *e; kgrl_gpu_model *gm; kgrl_gpu_lora *gl; kgrl_gpu_acts *a; kgrl__gsampler g; int t0, B; } ds_state;

// One node of op on layer l's weights (the GEMV ops abort if the GEMV does not apply: no silent cuBLAS)
static void ds_op(ds_state *d, int op, int l) {
    kgrl_engine *e = d->e;
    kgrl_gpu_model *gm = d->gm;
    kgrl_gpu_lora *gl = op >= DS_LORA ? d->gl : NULL;
    if (op >= DS_LORA) op -= DS_LORA;
    kgrl_gpu_acts *a = d->a;
    const kgrl_model_config *c = &gm->cfg;
    int C = c->hidden_size, V = c->vocab_size, NH = c->n_heads, KVH = c->n_kv_heads, HS = c->head_dim, Tk = a->T, B = d->B;
    const void *head = kgrl__gpu_at(gm, gm->lm_head_off);
    void *qkv_out[3] = {a->qr, a->kr, a->atty}, *mlp_out[3] = {a->gate, a->up, a->hact};
    kgrl__gemv_io head_io = kgrl__gemv_plain(a->lnf, B, C, true);
    bool ok = true;
    switch (op) {
    case DS_QKV_GEMV: ok = kgrl__fused_qkv(e, gm, gl, a, l, B, d->t0, NULL, a->res); break;
    case DS_QKV_CUBLAS: kgrl__proj_group(e, gm, gl, a, qkv_out, a->ln1, l, kgrl__qkv_proj, 3, false, B, false); break;
    case DS_O_GEMV: ok = kgrl__fused_o(e, gm, gl, a, l, B, a->res); break;
    case DS_O_CUBLAS: kgrl__proj_group(e, gm, gl, a, &a->mid, a->atty, l, &kgrl__o_proj, 1, false, B, false); break;
    case DS_GATE_UP_GEMV: ok = kgrl__fused_gate_up(e, gm, gl, a, l, B); break;
    case DS_GATE_UP_CUBLAS: kgrl__proj_group(e, gm, gl, a, mlp_out, a->ln2, l, kgrl__mlp_proj, 2, true, B, false); break;
    case DS_DOWN_GEMV: ok = kgrl__fused_down(e, gm, gl, a, l, B, a->scratch); break;
    case DS_DOWN_CUBLAS: kgrl__proj_group(e, gm, gl, a, &a->scratch, a->hact, l, &kgrl__down_proj, 1, false, B, false); break;
    case DS_HEAD_GEMV: ok = kgrl__gemv_forward(e, a->logits, &head_io, head, NULL, V); break;
    case DS_HEAD_CUBLAS: kgrl_gpu_matmul_forward(e, a->logits, a->lnf, head, NULL, B, C, V, true); break;
    case DS_ROPE_QKV:
        kgrl__rope_qkv(e, a->q, a->qr, a->k, a->kr, a->v, a->atty, a->pos, gm->rope_inv_freq, NULL, B, 1, Tk, d->t0, NH, KVH, HS, true);
        break;
    case DS_ATTENTION:
        kgrl__attention_decode(e, a->atty, a->lse, a->att_part, a->att_count, a->q, a->k, a->v, a->kmask, NULL, NULL, B, Tk, d->t0, NH, KVH, HS, true);
        break;
    case DS_ADD_RMSNORM:
        kgrl__add_rmsnorm(e, a->ln2, a->ln2_rstd, a->scratch, a->mid, a->res, kgrl_gpu_model_tensor(gm, l, KGRL_W_LN2), c->rms_eps, B, C, true);
        break;
    case DS_SAMPLE: kgrl__gsample_launch(e, a, &d->g); break;
    }
    KGRL_CHECK(ok, "decode_split: the GEMV does not apply to %s", ds_names[op]);
}

// us per node of op: reps nodes (layers rotated) in one graph, timed on its second launch
static double ds_time_us(ds_state *d, int op, int reps) {
    cudaStream_t st = d->e->ctx->stream;
    int L = d->gm->cfg.n_layers;
    ds_op(d, op, 0);   // eager first: loads the kernel, caches the cuBLASLt heuristic
    cudaGraph_t graph;
    cudaGraphExec_t exec;
    KGRL_CUDA_CHECK(cudaStreamBeginCapture(st, cudaStreamCaptureModeThreadLocal));
    for (int i = 0; i < reps; i++) ds_op(d, op, i % L);
    KGRL_CUDA_CHECK(cudaStreamEndCapture(st, &graph));
    KGRL_CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
    cudaEvent_t ev[2];
    for (int i = 0; i < 2; i++) KGRL_CUDA_CHECK(cudaEventCreate(&ev[i]));
    KGRL_CUDA_CHECK(cudaGraphLaunch(exec, st));   // warm-up launch
    KGRL_CUDA_CHECK(cudaEventRecord(ev[0], st));
    KGRL_CUDA_CHECK(cudaGraphLaunch(exec, st));
    KGRL_CUDA_CHECK(cudaEventRecord(ev[1], st));
    KGRL_CUDA_CHECK(cudaEventSynchronize(ev[1]));
    float ms;
    KGRL_CUDA_CHECK(cudaEventElapsedTime(&ms, ev[0], ev[1]));
    for (int i = 0; i < 2; i++) KGRL_CUDA_CHECK(cudaEventDestroy(ev[i]));
    KGRL_CUDA_CHECK(cudaGraphExecDestroy(exec));
    KGRL_CUDA_CHECK(cudaGraphDestroy(graph));
    return 1e3 * ms / reps;
}

// Bytes a node of op must read from memory: its weights (bf16), or the KV cache of P slots of B rows; 0 for the rest
static double ds_bytes(const kgrl_model_config *c, int op, int B, int P) {
    if (op >= DS_LORA) op -= DS_LORA;   // the adapter's bytes left out (rank 16: ~1% of a module's)
    double C = c->hidden_size, QD = (double)c->n_heads * c->head_dim, KD = (double)c->n_kv_heads * c->head_dim;
    double F = c->ffn_size, V = c->vocab_size;
    switch (op) {
    case DS_QKV_GEMV: case DS_QKV_CUBLAS: return 2 * (QD + 2 * KD) * C;
    case DS_O_GEMV: case DS_O_CUBLAS: return 2 * QD * C;
    case DS_GATE_UP_GEMV: case DS_GATE_UP_CUBLAS: return 2 * 2 * F * C;
    case DS_DOWN_GEMV: case DS_DOWN_CUBLAS: return 2 * F * C;
    case DS_HEAD_GEMV: case DS_HEAD_CUBLAS: return 2 * V * C;
    case DS_ATTENTION: return 2 * 2 * KD * P * B;
    default: return 0;
    }
}

static void bench_decode_split(kgrl_engine *e, kgrl_gpu_model *gm, kgrl_gpu_lora *gl, int B, int P, row_sink *s) {
    const kgrl_model_config *c = &gm->cfg;
    kgrl_engine_desc d;
    memset(&d, 0, sizeof d);
    d.max_batch = B; d.max_tokens = P; d.last_logits = true;
    ds_state st;
    memset(&st, 0, sizeof st);
    st.e = e; st.gm = gm; st.gl = gl; st.a = kgrl_gpu_acts_create(e, gm, gl, &d); st.t0 = P - 1; st.B = B;
    int *prompt = (int *)kgrl_malloc(sizeof(int) * (size_t)B * P);
    for (int i = 0; i < B * P; i++) prompt[i] = (i * 7919 + 13) % c->vocab_size;
    kgrl_gpu_model_forward(e, gm, NULL, st.a, prompt, NULL, NULL, B, P);   // KV cache, kmask, logits for the sampler
    kgrl_sample_desc sd;
    memset(&sd, 0, sizeof sd);
    sd.greedy = true;
    kgrl__gsampler_create(e, &st.g, &sd, NULL, B, 1, c->vocab_size);
    double us[DS_COUNT];
    printf("  decode_split (%s, batch %d, %d cached slots): us per node\n", s->model, B, P);
    printf("  %-24s %9s %9s %9s\n", "node", "us", "MB read", "GB/s");
    for (int op = 0; op < DS_COUNT; op++) {
        us[op] = ds_time_us(&st, op, 50);
        double mb = ds_bytes(c, op, B, P) / 1e6;
        if (mb > 0) printf("  %-24s %9.2f %9.2f %9.0f\n", ds_names[op], us[op], mb, mb * 1e3 / us[op]);
        else printf("  %-24s %9.2f %9s %9s\n", ds_names[op], us[op], "-", "-");
        char metric[64];
        snprintf(metric, sizeof metric, "us_%s", ds_names[op]);
        csv_row(s, "decode_split", B, metric, us[op]);
    }
    // a step as the sum of its nodes: the fused GEMV path per layer q/k/v (norm before, rope and KV
    // writes inside), attention, o (+ residual), gate/up (norm before, swiglu after), down (+ residual),
    // then the final norm (~ an add + norm), the LM head and the sampler; the cuBLAS path adds a rope and two
    // add + norms a layer
    double g = c->n_layers * (us[DS_QKV_GEMV] + us[DS_ATTENTION] + us[DS_O_GEMV] + us[DS_GATE_UP_GEMV] + us[DS_DOWN_GEMV]) +
               us[DS_ADD_RMSNORM] + us[DS_HEAD_GEMV] + us[DS_SAMPLE];   // the fused step's head is a GEMV
    double shared = us[DS_ROPE_QKV] + us[DS_ATTENTION] + 2 * us[DS_ADD_RMSNORM];
    double b = c->n_layers * (us[DS_QKV_CUBLAS] + us[DS_O_CUBLAS] + us[DS_GATE_UP_CUBLAS] + us[DS_DOWN_CUBLAS] + shared) + us[DS_HEAD_CUBLAS] + us[DS_SAMPLE];
    double *u = us + DS_LORA;   // the same sums with LoRA's nodes
    double gl_sum = g + c->n_layers * (u[DS_QKV_GEMV] + u[DS_O_GEMV] + u[DS_GATE_UP_GEMV] + u[DS_DOWN_GEMV] -
                                       us[DS_QKV_GEMV] - us[DS_O_GEMV] - us[DS_GATE_UP_GEMV] - us[DS_DOWN_GEMV]);
    double bl_sum = b + c->n_layers * (u[DS_QKV_CUBLAS] + u[DS_O_CUBLAS] + u[DS_GATE_UP_CUBLAS] + u[DS_DOWN_CUBLAS] -
                                       us[DS_QKV_CUBLAS] - us[DS_O_CUBLAS] - us[DS_GATE_UP_CUBLAS] - us[DS_DOWN_CUBLAS]);
    printf("  step as the sum of its nodes: GEMV path %.0f us, cuBLAS path %.0f us; with LoRA %.0f and %.0f us\n", g, b, gl_sum, bl_sum);
    csv_row(s, "decode_split", B, "us_step_sum_gemv", g);
    csv_row(s, "decode_split", B, "us_step_sum_cublas", b);
    csv_row(s, "decode_split", B, "us_step_sum_gemv_lora", gl_sum);
    csv_row(s, "decode_split", B, "us_step_sum_cublas_lora", bl_sum);
    kgrl__gsampler_free(&st.g);
    kgrl_free(prompt);
    kgrl_gpu_acts_free(st.a);
}

// The training step's attention alone, times the layers: the engine's batched-GEMM attention
// (kgrl__attention_fwd_gemm / _bwd_gemm, static in the header this file includes) on the plan's
// layer-0 buffers as the timed steps left them. The part of forward_ms and backward_ms it takes.
static void bench_train_attention(kgrl_engine *e, kgrl_gpu_acts *a, int L, int B, int T, row_sink *s) {
    cudaEvent_t ev[3];
    for (int i = 0; i < 3; i++) KGRL_CUDA_CHECK(cudaEventCreate(&ev[i]));
    KGRL_CUDA_CHECK(cudaEventRecord(ev[0], e->ctx->stream));
    for (int l = 0; l < L; l++) kgrl__attention_fwd_gemm(e, a, a->atty, a->lse, a->q, a->k, a->v, B, T);
    KGRL_CUDA_CHECK(cudaEventRecord(ev[1], e->ctx->stream));
    for (int l = 0; l < L; l++)
        kgrl__attention_bwd_gemm(e, a, a->d_q, a->d_k, a->d_v, a->d_atty, a->atty, a->lse, a->q, a->k, a->v, B, T);
    KGRL_CUDA_CHECK(cudaEventRecord(ev[2], e->ctx->stream));
    KGRL_CUDA_CHECK(cudaEventSynchronize(ev[2]));
    float f_ms, b_ms;
    KGRL_CUDA_CHECK(cudaEventElapsedTime(&f_ms, ev[0], ev[1]));
    KGRL_CUDA_CHECK(cudaEventElapsedTime(&b_ms, ev[1], ev[2]));
    row(s, "train_split", B, "attention_fwd_ms", f_ms);
    row(s, "train_split", B, "attention_bwd_ms", b_ms);
    for (int i = 0; i < 3; i++) KGRL_CUDA_CHECK(cudaEventDestroy(ev[i]));
}

// The benchmark's adapter: rank 16, alpha 32, every module (the train section's, decode_split's LoRA nodes)
static kgrl_lora *bench_lora(const kgrl_model_config *cfg, uint64_t seed) {
    kgrl_lora_desc ld;
    memset(&ld, 0, sizeof ld);
    ld.rank = 16; ld.alpha = 32; ld.seed = seed;
    return kgrl_lora_create(cfg, &ld);
}
// checkpoint: activation checkpointing (each layer recomputed in the backward); its rows go to
// section train_ckpt and the memory metrics train_ckpt_plan_*, and it skips the time split.
static void bench_train(kgrl_engine *e, kgrl_gpu_model *gm, const kgrl_model_config *cfg, int B, int T, int steps,
                        uint64_t seed, bool checkpoint, row_sink *s, double *peak) {
    kgrl_lora *lora = bench_lora(cfg, seed);
    kgrl_gpu_lora *gl = kgrl_gpu_lora_upload(e, lora, KGRL_ENGINE_BF16);
    kgrl_engine_desc d;
    memset(&d, 0, sizeof d);
    d.max_batch = B; d.max_tokens = T; d.training = true; d.checkpoint = checkpoint;
    kgrl_gpu_acts *a = kgrl_gpu_acts_create(e, gm, gl, &d);
    int N = B * T, V = cfg->vocab_size;
    const char *sec = checkpoint ? "train_ckpt" : "train";
    int *toks = (int *)kgrl_malloc(sizeof(int) * (size_t)N), *tg = (int *)kgrl_malloc(sizeof(int) * (size_t)N);
    float *cm = (float *)kgrl_malloc(sizeof(float) * (size_t)N), *tm = (float *)kgrl_malloc(sizeof(float) * (size_t)N);
    float *lp = (float *)kgrl_malloc(sizeof(float) * (size_t)N), *dlp = (float *)kgrl_malloc(sizeof(float) * (size_t)N);
    // a repeating pattern the adapter can learn, so the loss must fall
    for (int i = 0; i < N; i++) { toks[i] = (int)((i % 97) * 1009 % V); cm[i] = (i % T) >= T / 4; }
    kgrl_shift_targets(tg, tm, toks, cm, B, T);
    KGRL_CUDA_CHECK(cudaMemcpyAsync(a->targets, tg, sizeof(int) * (size_t)N, cudaMemcpyHostToDevice, e->ctx->stream));
    KGRL_CUDA_CHECK(cudaStreamSynchronize(e->ctx->stream));
    kgrl_adamw_desc ad = KGRL_ZERO;
    double first = 0, last = 0, t_total = 0, phase_ms[4] = {0};
    cudaEvent_t ev[5];
    for (int i = 0; i < 5; i++) KGRL_CUDA_CHECK(cudaEventCreate(&ev[i]));
    for (int step = 0; step <= steps; step++) {   // step 0 is a warm-up
        KGRL_CUDA_CHECK(cudaDeviceSynchronize());
        double t0 = kgrl_now_s();
        KGRL_CUDA_CHECK(cudaEventRecord(ev[0], e->ctx->stream));
        kgrl_gpu_model_forward(e, gm, gl, a, toks, NULL, NULL, B, T);
        KGRL_CUDA_CHECK(cudaEventRecord(ev[1], e->ctx->stream));
        kgrl_gpu_logprobs_forward(e, a->lp, a->lp_lse, a->logits, a->targets, 1.0f, N, V, true);
        KGRL_CUDA_CHECK(cudaMemcpyAsync(lp, a->lp, sizeof(float) * (size_t)N, cudaMemcpyDeviceToHost, e->ctx->stream));
        KGRL_CUDA_CHECK(cudaStreamSynchronize(e->ctx->stream));
        double loss = kgrl_sft_loss(dlp, lp, tm, N);
        KGRL_CUDA_CHECK(cudaMemcpyAsync(a->dlp, dlp, sizeof(float) * (size_t)N, cudaMemcpyHostToDevice, e->ctx->stream));
        KGRL_CUDA_CHECK(cudaMemsetAsync(a->dlogits, 0, (size_t)N * V * 2, e->ctx->stream));
        kgrl_gpu_logprobs_backward(e, a->dlogits, a->dlp, a->logits, a->lp_lse, a->targets, 1.0f, N, V, true);
        KGRL_CUDA_CHECK(cudaEventRecord(ev[2], e->ctx->stream));
        kgrl_gpu_model_backward(e, gm, gl, a, NULL);
        KGRL_CUDA_CHECK(cudaEventRecord(ev[3], e->ctx->stream));
        kgrl_gpu_lora_step(e, gl, &ad, 1e-3f, 1.0f);
        KGRL_CUDA_CHECK(cudaEventRecord(ev[4], e->ctx->stream));
        KGRL_CUDA_CHECK(cudaDeviceSynchronize());
        double dt = kgrl_now_s() - t0;
        if (step == 0) { first = loss; continue; }
        t_total += dt;
        last = loss;
        for (int i = 0; i < 4; i++) {
            float ms;
            KGRL_CUDA_CHECK(cudaEventElapsedTime(&ms, ev[i], ev[i + 1]));
            phase_ms[i] += ms / steps;
        }
    }
    for (int i = 0; i < 5; i++) KGRL_CUDA_CHECK(cudaEventDestroy(ev[i]));
    // where the step goes (CUDA events; the loss phase includes the host's loss and two small copies)
    if (!checkpoint) {
        row(s, "train_split", B, "forward_ms", phase_ms[0]);
        row(s, "train_split", B, "loss_ms", phase_ms[1]);
        row(s, "train_split", B, "backward_ms", phase_ms[2]);
        row(s, "train_split", B, "optimizer_ms", phase_ms[3]);
        bench_train_attention(e, a, cfg->n_layers, B, T, s);
    }
    double used = used_mib();
    if (used > *peak) *peak = used;
    row(s, sec, B, "tokens_per_s", (double)N * steps / t_total);
    row(s, sec, B, "ms_per_step", 1e3 * t_total / steps);
    row(s, sec, B, "loss_first", first);
    row(s, sec, B, "loss_last", last);
    row(s, "memory", B, checkpoint ? "train_ckpt_plan_planned_mib" : "train_plan_planned_mib", a->planned_bytes / 1048576.0);
    row(s, "memory", B, checkpoint ? "train_ckpt_plan_measured_mib" : "train_plan_measured_mib", a->measured_bytes / 1048576.0);
    kgrl_free(toks); kgrl_free(tg); kgrl_free(cm); kgrl_free(tm); kgrl_free(lp); kgrl_free(dlp);
    kgrl_gpu_acts_free(a); kgrl_gpu_lora_free(gl); kgrl_lora_free(lora);
}

int main(int argc, char **argv) {
    kgrl_flags f = kgrl_flags_init(argc, argv);
    bool quick = kgrl_flag_bool(&f, "--quick", "0.5B only, 32 new tokens, 2 training steps");
    int64_t seed = kgrl_flag_int(&f, "--seed", 1234, "weights (when created here) and LoRA init");
    const char *out = kgrl_flag_str(&f, "--out", "results/exp04_engine_bench.csv", "output CSV");
    const char *one = kgrl_flag_str(&f, "--model", NULL, "one model directory instead of the two defaults");
    int steps = (int)kgrl_flag_int(&f, "--steps", 5, "timed LoRA steps");
    int NEW = (int)kgrl_flag_int(&f, "--new", 128, "new tokens per decode run");
    int P = (int)kgrl_flag_int(&f, "--prompt", 128, "prompt tokens");
    int train_T = (int)kgrl_flag_int(&f, "--train-tokens", 1024, "sequence length of the LoRA step");
    bool help = kgrl_flag_bool(&f, "--help", "show this help");
    if (help || !kgrl_flags_finish(&f)) {
        if (!help) fprintf(stderr, "exp04_engine_bench: %s\n", f.err.msg);
        kgrl_flags_usage(&f, stderr);
        return help ? 0 : 2;
    }
    if (quick) { NEW = 32; steps = 2; }
    kgrl_ctx_desc cd = KGRL_ZERO;
    cd.logger.min_level = KGRL_LOG_WARN;
    kgrl_ctx *ctx = kgrl_ctx_create(&cd);
    if (!ctx->has_gpu) { fprintf(stderr, "exp04_engine_bench needs a GPU: %s\n", ctx->no_gpu_reason); return 1; }
    kgrl_err err;
    kgrl_ceilings ceil;
    if (!kgrl_measure_ceilings(ctx, true, &ceil, &err)) KGRL_FATAL("%s", err.msg);
    const char *dirs[2] = {"build/bench_models/qwen2.5-0.5b-random", "build/bench_models/qwen2.5-1.5b-random"};
    const int train_B[2] = {4, 2};   // the comparator uses the same batches
    int nmodels = one ? 1 : (quick ? 1 : 2);
    if (one) dirs[0] = one;
    else for (int i = 0; i < nmodels; i++) ensure_model(dirs[i], i == 1, (uint64_t)seed);
    kgrl_mkdirs("results", NULL);
    kgrl_csv *csv = kgrl_csv_open(out, &err);
    if (!csv) KGRL_FATAL("%s", err.msg);
    kgrl_csv_meta(csv, "experiment", "exp04_engine_bench");
    kgrl_csv_meta(csv, "kgrl_version", "%s", KGRL_VERSION_STRING);
    {
        char sha[64] = "unknown";
        FILE *p = popen("git rev-parse --short HEAD 2>/dev/null", "r");
        if (p) { if (fgets(sha, sizeof sha, p)) sha[strcspn(sha, "\n")] = 0; pclose(p); }
        kgrl_csv_meta(csv, "git_sha", "%s", sha);
    }
    kgrl_csv_meta(csv, "device", "%s", ctx->device_name);
    kgrl_csv_meta(csv, "ceilings", "copy %.0f GB/s, bf16 %.0f TFLOP/s", ceil.copy_gbps, ceil.bf16_tflops);
    kgrl_csv_meta(csv, "seed", "%lld", (long long)seed);
    kgrl_csv_meta(csv, "decode", "greedy, prompt %d, new %d, batches 1, 8 and 64, bf16", P, NEW);
    kgrl_csv_meta(csv, "train", "LoRA r16 alpha32 q,k,v,o,gate,up,down; T %d; B 4 (0.5B), 2 (1.5B); AdamW lr 1e-3; clip 1.0; %d timed steps after 1 warm-up", train_T, steps);
    kgrl_csv_meta(csv, "comparator", "results/exp04_engine_comparator.csv (tests/oracles/engine_comparator.py)");
    const char *cols[5] = {"model", "section", "batch", "metric", "value"};
    kgrl_csv_header(csv, cols, 5);
    kgrl_engine *e = kgrl_engine_create(ctx);
    for (int mi = 0; mi < nmodels; mi++) {
        double base = used_mib(), peak = base;
        fprintf(stderr, "exp04: loading %s ...\n", dirs[mi]);
        kgrl_model *m = kgrl_model_load(dirs[mi], &err);
        if (!m) KGRL_FATAL("%s", err.msg);
        const char *name = strrchr(dirs[mi], '/') ? strrchr(dirs[mi], '/') + 1 : dirs[mi];
        row_sink s = {csv, name};
        kgrl_gpu_model *gm = kgrl_gpu_model_upload(e, m, KGRL_ENGINE_BF16);
        row(&s, "memory", 0, "weights_mib", (double)gm->n_params * gm->esize / 1048576.0);
        bench_decode(e, gm, 1, P, NEW, &s, &peak);
        bench_decode(e, gm, 8, P, NEW, &s, &peak);   // a GRPO group of 8
        bench_decode(e, gm, 64, P, NEW, &s, &peak);
        bench_roofline(e, gm, P, NEW, ceil.copy_gbps, &s);
        {
            kgrl_lora *lora = bench_lora(&m->cfg, (uint64_t)seed);   // for the LoRA nodes
            kgrl_gpu_lora *gl = kgrl_gpu_lora_upload(e, lora, KGRL_ENGINE_BF16);
            bench_decode_split(e, gm, gl, 1, P, &s);
            bench_decode_split(e, gm, gl, 8, P, &s);
            bench_decode_split(e, gm, gl, 16, P, &s);   // the most rows of one CUDA-core GEMV launch
            bench_decode_split(e, gm, gl, 64, P, &s);   // the large batch: launches of 16 (32 or 64 on tensor cores)
            kgrl_gpu_lora_free(gl);
            kgrl_lora_free(lora);
        }
        bench_train(e, gm, &m->cfg, one ? 2 : train_B[mi], train_T, steps, (uint64_t)seed, false, &s, &peak);
        bench_train(e, gm, &m->cfg, one ? 2 : train_B[mi], train_T, steps, (uint64_t)seed, true, &s, &peak);
        row(&s, "memory", 0, "peak_used_mib", peak - base);
        kgrl_gpu_model_free(gm);
        kgrl_model_free(m);
    }
    if (!kgrl_csv_close(csv, &err)) KGRL_FATAL("%s", err.msg);
    printf("wrote %s; ratios: python3 tests/oracles/engine_comparator.py --ratios %s\n", out, out);
    kgrl_engine_destroy(e);
    kgrl_ctx_destroy(ctx);
    return 0;
}
