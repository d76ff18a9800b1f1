#!/usr/bin/env python3
"""Generate src/10_unicode.h: the Unicode tables behind kgrl's tokenizer.

    python3 scripts/gen_unicode.py > src/10_unicode.h

Tables (all range- or run-compressed, sorted for binary search):
  general categories  (lo, hi, cat)     contiguous code points with the same major category (L M N P S Z)
  decimal digits      (lo, hi)          category Nd (regex \\d)
  word characters     (lo, hi)          Rust regex \\w: Alphabetic, M, Nd, Pc, Join_Control (the
                                         tokenizers library's single_word rule)
  White_Space         (lo, hi)          the property behind regex \\s (Oniguruma/Rust use it)
  simple case folding (lo, n, delta, step) runs of code points that fold by the same delta
  combining classes   (lo, hi, ccc)     ccc != 0 only
  canonical decomp.   (cp, a, b)        one or two code points (b = 0 for singletons); Hangul is
                                         algorithmic; flag bit 31 of cp marks a primary composite
  composition index   indices into the decomposition table sorted by (a, b)

The data comes from this python's `unicodedata`; its version is written into the header.
"""
import sys
import unicodedata as ud

# Major general categories; C covers Cc Cf Cs Co and unassigned Cn (the gaps between rows).
CATS = ["C", "L", "M", "N", "P", "S", "Z"]
MAXCP = 0x110000
# White_Space (PropList.txt); unicodedata does not expose it. Stable since Unicode 6.
WHITE_SPACE = [(0x09, 0x0D), (0x20, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680),
               (0x2000, 0x200A), (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F),
               (0x3000, 0x3000)]


# Alphabetic = L + Nl + Other_Alphabetic; the Other_Alphabetic characters that are not marks
# (PropList.txt: circled and squared Latin letters). Join_Control: ZWNJ, ZWJ.
OTHER_ALPHA_NOT_M = [(0x24B6, 0x24E9), (0x1F130, 0x1F149), (0x1F150, 0x1F169), (0x1F170, 0x1F189)]
JOIN_CONTROL = [(0x200C, 0x200D)]


def ranges_of(values):
    """values: list indexed by code point; yields (lo, hi, v) for runs with v != 0."""
    out, lo = [], 0
    for cp in range(1, MAXCP + 1):
        if cp == MAXCP or values[cp] != values[lo]:
            if values[lo]:
                out.append((lo, cp - 1, values[lo]))
            lo = cp
    return out


def emit_rows(name, ctype, rows, per_line):
    print(f"static const {ctype} {name}[{len(rows)}][{len(rows[0])}] = {{")
    for i in range(0, len(rows), per_line):
        print("    " + " ".join("{" + ",".join(f"0x{x:X}" if x > 9 else str(x) for x in r) + "},"
                              for r in rows[i:i + per_line]))
    print("};")


def main():
    cat = [CATS.index(ud.category(chr(cp))[0]) for cp in range(MAXCP)]
    cats = ranges_of(cat)
    nd = [(lo, hi) for lo, hi, _ in ranges_of([int(ud.category(chr(cp)) == "Nd") for cp in range(MAXCP)])]
    word = [int(ud.category(chr(cp))[0] in "LM" or ud.category(chr(cp)) in ("Nd", "Nl", "Pc")) for cp in range(MAXCP)]
    for lo, hi in OTHER_ALPHA_NOT_M + JOIN_CONTROL:
        for cp in range(lo, hi + 1):
            word[cp] = 1
    word = [(lo, hi) for lo, hi, _ in ranges_of(word)]
    ccc = ranges_of([ud.combining(chr(cp)) for cp in range(MAXCP)])

    # simple case folding: casefold() when it gives one character (status C), else lower()
    # when that gives one (status S covers the rest we can derive from python).
    fold = []
    for cp in range(MAXCP):
        c = chr(cp)
        f = c.casefold()
        if len(f) != 1:
            f = c.lower()
        if len(f) == 1 and f != c:
            fold.append((cp, ord(f) - cp))
    runs = []  # (lo, n, delta, step)
    for cp, d in fold:
        if runs:
            lo, n, dd, st = runs[-1]
            last = lo + (n - 1) * st
            if dd == d and ((n == 1 and cp - last in (1, 2)) or (n > 1 and cp - last == st)):
                runs[-1] = (lo, n + 1, d, cp - last if n == 1 else st)
                continue
        runs.append((cp, 1, d, 1))
    runs = [(lo, n, d & 0xFFFFFFFF, st) for lo, n, d, st in runs]

    decomp = []
    for cp in range(MAXCP):
        if 0xAC00 <= cp <= 0xD7A3:
            continue  # Hangul syllables: algorithmic
        d = ud.decomposition(chr(cp))
        if not d or d.startswith("<"):
            continue
        parts = [int(x, 16) for x in d.split()]
        assert len(parts) in (1, 2), hex(cp)
        primary = len(parts) == 2 and ud.normalize("NFC", chr(cp)) == chr(cp)
        decomp.append((cp | (0x80000000 if primary else 0), parts[0], parts[1] if len(parts) == 2 else 0))
    comp_idx = sorted((i for i, r in enumerate(decomp) if r[0] & 0x80000000),
                      key=lambda i: (decomp[i][1], decomp[i][2]))

    print(f"""// Unicode {ud.unidata_version} tables for the tokenizer: major general categories (regex
// \\p{{..}}), decimal digits (\\d), word characters (the library's single_word rule), White_Space
// (\\s), simple case folding ((?i:...)), canonical combining classes, canonical decompositions and
// primary composites (NFC). GENERATED by scripts/gen_unicode.py from python
// {sys.version.split()[0]}'s unicodedata (Unicode {ud.unidata_version}); do not edit by hand. The
// lookups (kgrl_uni_*) live in src/11_tokenizer.h.

#define KGRL_UNICODE_VERSION "{ud.unidata_version}"

// Major general categories, the third field of kgrl__uni_cats rows (C also covers unassigned).
typedef enum kgrl_uni_cat {{
    {", ".join("KGRL_UNI_" + c.upper() for c in CATS)}
}} kgrl_uni_cat;

// kgrl:implementation
// (lo, hi, major category) for every run that is not C; gaps are C (incl. unassigned).""")
    emit_rows("kgrl__uni_cats", "uint32_t", cats, 6)
    print("// Decimal digits (Nd): (lo, hi)")
    emit_rows("kgrl__uni_nd", "uint32_t", nd, 8)
    print("// Word characters (Rust regex \\w): (lo, hi)")
    emit_rows("kgrl__uni_word", "uint32_t", word, 8)
    print("// White_Space: (lo, hi)")
    emit_rows("kgrl__uni_space", "uint32_t", WHITE_SPACE, 8)
    print("// Simple case folding: (lo, n, delta mod 2^32, step): lo + k*step folds to itself + delta, k < n")
    emit_rows("kgrl__uni_fold", "uint32_t", runs, 5)
    print("// Canonical combining class: (lo, hi, ccc), ccc != 0")
    emit_rows("kgrl__uni_ccc", "uint32_t", ccc, 6)
    print("// Canonical decompositions: (cp | 0x80000000 if a primary composite, first, second or 0)")
    emit_rows("kgrl__uni_decomp", "uint32_t", decomp, 5)
    print("// Primary composites: indices into kgrl__uni_decomp sorted by (first, second)")
    print(f"static const uint16_t kgrl__uni_comp[{len(comp_idx)}] = {{")
    for i in range(0, len(comp_idx), 16):
        print("    " + ",".join(str(x) for x in comp_idx[i:i + 16]) + ",")
    print("};")


if __name__ == "__main__":
    main()
