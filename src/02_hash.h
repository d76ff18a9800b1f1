// Content hashing: SHA-256 (FIPS 180-4), used for cache keys (cubins, reference outputs) and
// candidate identity in records.

typedef struct kgrl_sha256 { uint32_t h[8]; uint64_t nbytes; uint8_t block[64]; size_t nblock; } kgrl_sha256;
KGRL_API void kgrl_sha256_init(kgrl_sha256 *s);
KGRL_API void kgrl_sha256_update(kgrl_sha256 *s, const void *data, size_t n);
KGRL_API void kgrl_sha256_final(kgrl_sha256 *s, uint8_t digest[32]);
// One-shot; hex is 64 lowercase hex digits + NUL.
KGRL_API void kgrl_sha256_hex(const void *data, size_t n, char hex[65]);

// kgrl:implementation
