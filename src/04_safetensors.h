// safetensors: reader (mmap; one file, or a directory with model.safetensors or a sharded
// model.safetensors.index.json) and writer. Format: 8-byte little-endian header length N, N bytes
// of JSON {"name": {"dtype": "BF16", "shape": [..], "data_offsets": [begin, end]}, "__metadata__":
// {...}}, then the data. Offsets are relative to the end of the header.

typedef enum kgrl_dtype {
    KGRL_DTYPE_F32, KGRL_DTYPE_F16, KGRL_DTYPE_BF16, KGRL_DTYPE_F64,
    KGRL_DTYPE_I64, KGRL_DTYPE_I32, KGRL_DTYPE_I16, KGRL_DTYPE_I8, KGRL_DTYPE_U8, KGRL_DTYPE_BOOL,
    KGRL_DTYPE_COUNT
} kgrl_dtype;
KGRL_API size_t kgrl_dtype_size(kgrl_dtype t);
KGRL_API const char *kgrl_dtype_name(kgrl_dtype t);                  // "F32", "BF16", ...
KGRL_API bool kgrl_dtype_from_name(const char *name, kgrl_dtype *out);

#define KGRL_MAX_DIMS 8
typedef struct kgrl_tensor_view {
    const char *name;              // owned by the container
    kgrl_dtype dtype;
    int ndim;
    int64_t shape[KGRL_MAX_DIMS];
    const void *data;              // points into the mapping (read-only) or the caller's memory
    size_t nbytes;                 // = numel * dtype size
} kgrl_tensor_view;
KGRL_API int64_t kgrl_tensor_numel(const kgrl_tensor_view *t);

typedef struct kgrl_safetensors kgrl_safetensors; // one or more mmapped files
// `path` is a .safetensors file, or a directory holding model.safetensors or
// model.safetensors.index.json (sharded). Every check fails with a clear err, never a crash:
// truncated files, header length beyond the file, bad JSON, unknown dtype, offsets out of range,
// overlapping or unordered tensors, shape/size mismatch, absurd sizes, duplicate names across shards.
KGRL_API kgrl_safetensors *kgrl_st_open(const char *path, kgrl_err *err);
KGRL_API void kgrl_st_close(kgrl_safetensors *st);
KGRL_API int kgrl_st_count(const kgrl_safetensors *st);
KGRL_API const kgrl_tensor_view *kgrl_st_tensor(const kgrl_safetensors *st, int i);
KGRL_API const kgrl_tensor_view *kgrl_st_find(const kgrl_safetensors *st, const char *name); // NULL if absent
KGRL_API const kgrl_json *kgrl_st_metadata(const kgrl_safetensors *st);  // "__metadata__" or NULL
// Parse a safetensors image already in memory (the fuzz target and tests use it). The views point
// into `bytes`, which must outlive the result.
KGRL_API kgrl_safetensors *kgrl_st_open_memory(const void *bytes, size_t len, kgrl_err *err);

// Convert any float or integer tensor to fp32 (dst has numel floats). bf16/fp16 conversions are exact.
KGRL_API void kgrl_tensor_to_f32(const kgrl_tensor_view *t, float *dst);
KGRL_API float kgrl_bf16_to_f32(uint16_t h);
KGRL_API uint16_t kgrl_f32_to_bf16(float f);   // round to nearest even; NaN stays NaN
KGRL_API float kgrl_f16_to_f32(uint16_t h);
KGRL_API uint16_t kgrl_f32_to_f16(float f);    // round to nearest even; overflow to inf

// Write tensors (views whose data is in host memory) to one file, atomically (temp + rename).
// Tensors are written in the given order; metadata_json is a JSON object of string values or NULL.
KGRL_API bool kgrl_st_write(const char *path, const kgrl_tensor_view *tensors, int n,
                            const char *metadata_json, kgrl_err *err);

// kgrl:implementation
