// SHA-256 against the FIPS 180-4 example vectors (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf")
// and incremental hashing against one-shot hashing.
#define KGRL_IMPLEMENTATION
#include "kgrl.h"
#include "tests/kt.h"

static void sha_hex_of(kgrl_sha256 *s, char hex[65]) {
    uint8_t d[32];
    kgrl_sha256_final(s, d);
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

static void test_nist_vectors(void) {
    struct { const char *msg, *want; } v[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",   // 448 bits
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", // 896 bits
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char hex[65];
        kgrl_sha256_hex(v[i].msg, strlen(v[i].msg), hex);
        KT_CHECK(strcmp(hex, v[i].want) == 0, "sha256(\"%s\") = %s, want %s", v[i].msg, hex, v[i].want);
    }
}

static void test_million_a(void) {
    // one million 'a', fed in 1000-byte pieces and in one piece
    char *a = (char *)kgrl_malloc(1000000);
    memset(a, 'a', 1000000);
    const char *want = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    char hex[65];
    kgrl_sha256_hex(a, 1000000, hex);
    KT_CHECK(strcmp(hex, want) == 0, "one-shot: %s", hex);
    kgrl_sha256 s;
    kgrl_sha256_init(&s);
    for (int i = 0; i < 1000; i++) kgrl_sha256_update(&s, a, 1000);
    sha_hex_of(&s, hex);
    KT_CHECK(strcmp(hex, want) == 0, "in pieces: %s", hex);
    kgrl_free(a);
}

static void test_padding_lengths(void) {
    // messages of 55, 56, 63, 64 and 65 'a's hit every padding branch (one or two final blocks);
    // digests from `printf 'a%.0s' {1..N} | sha256sum` (GNU coreutils 9.1)
    struct { int n; const char *want; } v[] = {
        {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
        {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
        {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
    };
    char a[80];
    memset(a, 'a', sizeof a);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char hex[65];
        kgrl_sha256_hex(a, (size_t)v[i].n, hex);
        KT_CHECK(strcmp(hex, v[i].want) == 0, "%d 'a's: %s, want %s", v[i].n, hex, v[i].want);
    }
}

static void test_incremental_every_split(void) {
    uint8_t msg[200];
    for (int i = 0; i < 200; i++) msg[i] = (uint8_t)(i * 7 + 3);
    char want[65], got[65];
    kgrl_sha256_hex(msg, sizeof msg, want);
    for (int cut = 0; cut <= 200; cut++) {
        kgrl_sha256 s;
        kgrl_sha256_init(&s);
        kgrl_sha256_update(&s, msg, (size_t)cut);
        kgrl_sha256_update(&s, msg + cut, (size_t)(200 - cut));
        sha_hex_of(&s, got);
        KT_CHECK(strcmp(got, want) == 0, "split at %d: %s != %s", cut, got, want);
    }
    // byte-at-a-time too
    kgrl_sha256 s;
    kgrl_sha256_init(&s);
    for (int i = 0; i < 200; i++) kgrl_sha256_update(&s, msg + i, 1);
    sha_hex_of(&s, got);
    KT_CHECK(strcmp(got, want) == 0, "byte at a time: %s != %s", got, want);
}

int main(void) {
    KT_RUN(test_nist_vectors);
    KT_RUN(test_million_a);
    KT_RUN(test_padding_lengths);
    KT_RUN(test_incremental_every_split);
    return kt_finish();
}
