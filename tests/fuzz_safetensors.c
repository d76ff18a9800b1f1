// libFuzzer target for the safetensors reader (outside CI; scripts/fuzz.sh runs it). Every input
// must be rejected with a message or accepted with views that lie inside the input and whose
// sizes agree with their shapes; accepted tensors are converted to f32 to touch every byte.
#define KGRL_IMPLEMENTATION
#include "kgrl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    // an exact-size copy so ASan sees any read past the end
    uint8_t *copy = (uint8_t *)malloc(size ? size : 1);
    if (size) memcpy(copy, data, size);
    kgrl_err err;
    err.msg[0] = 0;
    kgrl_safetensors *st = kgrl_st_open_memory(copy, size, &err);
    if (!st) {
        if (!err.msg[0]) abort(); // a rejection must say why
        free(copy);
        return 0;
    }
    for (int i = 0; i < kgrl_st_count(st); i++) {
        const kgrl_tensor_view *t = kgrl_st_tensor(st, i);
        const uint8_t *p = (const uint8_t *)t->data;
        if (p < copy || p + t->nbytes > copy + size) abort();
        if ((size_t)kgrl_tensor_numel(t) * kgrl_dtype_size(t->dtype) != t->nbytes) abort();
        if (kgrl_st_find(st, t->name) != t) abort();
        if (t->nbytes <= (1u << 20)) {
            float *f = (float *)malloc((size_t)kgrl_tensor_numel(t) * sizeof(float) + 1);
            kgrl_tensor_to_f32(t, f);
            free(f);
        }
    }
    (void)kgrl_st_metadata(st);
    kgrl_st_close(st);
    free(copy);
    return 0;
}
