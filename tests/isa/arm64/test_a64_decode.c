/* tests/isa/arm64/test_a64_decode.c - the decode table a64.def: well-formed patterns, no
 * ambiguous overlaps, known encodings name the right line, and the random-encoding
 * generator produces encodings of the requested class that decode to their line. */
#include <string.h>

#include "isa/arm64/a64.h"
#include "testutil.h"

int main(void)
{
    unsigned n = a64_insn_count();
    CHECK(n > 100);

    /* Known encodings (from the ARM ARM / llvm-mc). */
    static const struct { uint32_t w; const char *name; } known[] = {
        {0xd503201f, "hint"},       /* nop */
        {0x91000420, "add_imm"},    /* add x0, x1, #1 */
        {0xf1000421, "subs_imm"},   /* subs x1, x1, #1 */
        {0xd4000001, "svc"},        /* svc #0 */
        {0xd43e0000, "brk"},        /* brk #0xf000 */
        {0xd65f03c0, "ret"},        /* ret */
        {0xd69f03e0, "eret"},       /* eret */
        {0x54ffffa1, "b_cond"},     /* b.ne .-12 */
        {0xca000042, "logic_shift"},/* eor x2, x2, x0 */
        {0xd2800001, "movz"},       /* mov x1, #0 */
        {0xf2a00001, "movk"},       /* movk x1, #0, lsl #16 */
        {0xb9400020, "ldst_uimm"},  /* ldr w0, [x1] */
        {0xf8408c20, "ldst_pre"},   /* ldr x0, [x1, #8]! */
        {0xa9bf7bfd, "stp_ldp_pre"},/* stp x29, x30, [sp, #-16]! */
        {0xc85f7c20, "ldxr"},       /* ldxr x0, [x1] */
        {0xc8027c20, "stxr"},       /* stxr w2, x0, [x1] */
        {0xd5033f5f, "clrex"},      /* clrex */
        {0xd50b7420, "sys"},        /* dc zva, x0 */
        {0xd5380000, "mrs"},        /* mrs x0, midr_el1 */
        {0xd518c000, "msr_reg"},    /* msr vbar_el1, x0 */
        {0xd50343df, "msr_imm"},    /* msr daifset, #3 */
        {0x9ac00c20, "sdiv"},       /* sdiv x0, x1, x0 */
        {0x9b020c20, "madd_msub"},  /* madd x0, x1, x2, x3 */
        {0x1ac14c00, "crc32"},      /* crc32w w0, w0, w1 */
        {0xf8a08020, "swp"},        /* swpa x0, x0, [x1]... (size 11, A=1) */
        {0x4e080c20, "dup_gen"},    /* dup v0.2d, x1 */
        {0x9e670020, "fmov_gen"},   /* fmov d0, x1 */
        {0x00000000, "udf"},        /* udf #0: no line */
    };
    for (unsigned i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        CHECK_STR(a64_insn_name(known[i].w), known[i].name);

    /* Every line has a name, a feature and a class; every non-"unalloc" line is reachable:
     * the generator finds encodings for it, and they decode back to it. */
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    unsigned hits[1024] = {0};
    CHECK(n <= 1024);
    for (unsigned cls = 0; cls < A64_CLASS_COUNT; cls++) {
        for (unsigned k = 0; k < 20000; k++) {
            int idx = -1;
            uint32_t w = a64_random_encoding(&rng, (enum a64_class)cls, &idx);
            if (idx < 0 || (unsigned)idx >= n) {
                CHECK(0);
                break;
            }
            hits[idx]++;
            if (a64_insn_lookup(w) != idx || a64_insn_class((unsigned)idx) != cls) {
                CHECK(0);
                fprintf(stderr, "encoding %08x: line %d class %u\n", w, idx, cls);
            }
        }
    }
    for (unsigned i = 0; i < n; i++) {
        const char *nm = a64_insn_line_name(i);
        CHECK(nm != NULL && a64_insn_line_feature(i) != NULL);
        if (nm && strncmp(nm, "unalloc_", 8) && !hits[i]) {
            CHECK(0);
            fprintf(stderr, "line %s never generated\n", nm);
        }
    }

    return test_summary();
}
