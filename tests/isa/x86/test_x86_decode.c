/* tests/isa/x86/test_x86_decode.c - the x86 decoder over x86.def: known byte sequences ->
 * mnemonic, length, operand/address size, prefixes, REX, SIB/displacement forms and
 * RIP-relative addressing; the random generator's output decodes to its own line. */
#include <errno.h>

#include "isa/x86/x86.h"
#include "testutil.h"

static struct x86_decoded dec(const char *hex, unsigned bits, int *len)
{
    uint8_t b[32];
    unsigned n = 0;
    for (const char *p = hex; *p;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        unsigned v;
        sscanf(p, "%2x", &v);
        b[n++] = (uint8_t)v;
        p += 2;
    }
    struct x86_decoded d;
    *len = x86_decode_bytes(b, n, bits, X86_FEAT_ALL, &d);
    return d;
}

static const char *name_of(const char *hex)
{
    int len;
    struct x86_decoded d = dec(hex, 64, &len);
    return len > 0 ? x86_insn_line_name((unsigned)d.line) : "(bad)";
}

int main(void)
{
    int len;
    struct x86_decoded d;
    CHECK_STR(name_of("48 01 d8"), "add");            /* add rax, rbx */
    d = dec("48 01 d8", 64, &len);
    CHECK_EQ(len, 3);
    CHECK_EQ(d.osz, 8);
    CHECK(!d.mem && d.rex);
    d = dec("66 01 d8", 64, &len);                    /* add ax, bx */
    CHECK_EQ(d.osz, 2);
    d = dec("01 d8", 32, &len);                       /* 32-bit code: add eax, ebx */
    CHECK_EQ(d.osz, 4);
    CHECK_EQ(d.asz, 4);
    d = dec("66 01 d8", 32, &len);
    CHECK_EQ(d.osz, 2);
    CHECK_STR(name_of("40 01 d8"), "add");
    d = dec("48 40 01 d8", 64, &len);                 /* only the last REX counts */
    CHECK_EQ(d.osz, 4);
    d = dec("48 66 01 d8", 64, &len);                 /* REX before a legacy prefix: ignored */
    CHECK_EQ(d.osz, 2);
    /* SIB with scale, index, base and disp32: mov rax, [rbx + rcx*8 + 0x12345678] */
    d = dec("48 8b 84 cb 78 56 34 12", 64, &len);
    CHECK_EQ(len, 8);
    CHECK(d.mem);
    CHECK_EQ(d.base, 3);
    CHECK_EQ(d.index, 1);
    CHECK_EQ(d.scale, 8);
    CHECK_EQ(d.disp, 0x12345678);
    /* REX.X extends the index, REX.B the base; index 100 without REX.X is none */
    d = dec("4b 8b 44 e5 f0", 64, &len);              /* mov rax, [r13 + r12*8 - 16] */
    CHECK_EQ(d.base, 13);
    CHECK_EQ(d.index, 12);
    CHECK_EQ((int64_t)d.disp, -16);
    d = dec("8b 04 24", 64, &len);                    /* mov eax, [rsp] */
    CHECK_EQ(d.base, 4);
    CHECK_EQ(d.index, -1);
    d = dec("8b 04 25 00 10 00 00", 64, &len);        /* mov eax, [0x1000] (no base) */
    CHECK_EQ(d.base, -1);
    CHECK_EQ(d.disp, 0x1000);
    d = dec("8b 05 10 00 00 00", 64, &len);           /* RIP-relative */
    CHECK(d.riprel);
    CHECK_EQ(len, 6);
    d = dec("8b 05 10 00 00 00", 32, &len);           /* 32-bit code: absolute disp32 */
    CHECK(!d.riprel);
    d = dec("67 8b 07", 64, &len);                    /* 67: 32-bit address size */
    CHECK_EQ(d.asz, 4);
    d = dec("8b 47 08", 16, &len);                    /* 16-bit code: [bx + 8] */
    CHECK_EQ(d.asz, 2);
    CHECK_EQ(d.base, 3);
    CHECK_EQ(d.disp, 8);
    /* immediates */
    d = dec("48 b8 88 77 66 55 44 33 22 11", 64, &len);
    CHECK_EQ(len, 10);
    CHECK_EQ(d.imm, 0x1122334455667788ull);
    d = dec("48 83 c0 ff", 64, &len);                 /* add rax, -1 (Ibs) */
    CHECK_EQ(d.imm, UINT64_MAX);
    d = dec("66 05 34 12", 64, &len);                 /* add ax, 0x1234 (Iz = 2 bytes) */
    CHECK_EQ(len, 4);
    d = dec("c8 10 00 02", 64, &len);                 /* enter 16, 2 */
    CHECK_EQ(len, 4);
    CHECK_STR(name_of("c8 10 00 02"), "enter");
    /* stack operations default to 64 bits */
    d = dec("50", 64, &len);
    CHECK_EQ(d.osz, 8);
    d = dec("66 50", 64, &len);
    CHECK_EQ(d.osz, 2);
    /* maps, groups, mandatory prefixes */
    CHECK_STR(name_of("0f af c1"), "imul");
    CHECK_STR(name_of("0f bc c1"), "bsf");
    CHECK_STR(name_of("f3 0f bc c1"), "tzcnt");
    CHECK_STR(name_of("f3 0f bd c1"), "lzcnt");
    CHECK_STR(name_of("f3 0f b8 c1"), "popcnt");
    CHECK_STR(name_of("f3 90"), "pause");
    CHECK_STR(name_of("90"), "nop");
    CHECK_STR(name_of("0f 1f 44 00 00"), "nop");
    CHECK_STR(name_of("c1 e0 04"), "shl");
    CHECK_STR(name_of("d3 f8"), "sar");
    CHECK_STR(name_of("f7 f1"), "div");
    CHECK_STR(name_of("0f ba e8 05"), "bts");
    CHECK_STR(name_of("0f 94 c0"), "setz");
    CHECK_STR(name_of("0f 4c c1"), "cmovl");
    CHECK_STR(name_of("74 00"), "jz");
    CHECK_STR(name_of("0f 85 00 00 00 00"), "jnz");
    CHECK_STR(name_of("48 0f c7 0f"), "cmpxchg8b");
    CHECK_STR(name_of("0f c8"), "bswap");
    CHECK_STR(name_of("48 63 c1"), "movsxd");
    CHECK_STR(name_of("f3 a4"), "movs");
    d = dec("f3 48 a5", 64, &len);
    CHECK_EQ(d.rep, 0xf3);
    CHECK_EQ(d.osz, 8);
    d = dec("64 48 8b 04 25 28 00 00 00", 64, &len);  /* mov rax, fs:[0x28] */
    CHECK_EQ(d.seg, 4);
    /* LOCK: with a memory destination only */
    d = dec("f0 01 18", 64, &len);
    CHECK(len > 0 && d.lock);
    CHECK(dec("f0 01 d8", 64, &len).line < 0);
    CHECK(len < 0);
    CHECK(dec("f0 8b 00", 64, &len).line < 0);       /* mov is not lockable */
    /* invalid: 40-4f are REX in 64-bit mode but INC/DEC in 32-bit mode */
    CHECK_STR(name_of("06"), "(bad)");               /* push es: invalid in 64-bit mode */
    d = dec("40", 32, &len);
    CHECK_EQ(len, 1);
    CHECK_STR(x86_insn_line_name((unsigned)d.line), "inc");
    CHECK(dec("63 c1", 32, &len).line < 0);          /* movsxd is 64-bit only */
    CHECK(dec("0f ff", 64, &len).line < 0);
    CHECK(dec("8d c0", 64, &len).line < 0);          /* lea with a register operand */
    /* truncated input asks for more; more than 15 bytes is an error */
    d = dec("48 8b 84", 64, &len);
    CHECK_EQ(len, 0);
    d = dec("66 66 66 66 66 66 66 66 66 66 66 66 66 66 48 01 d8", 64, &len);
    CHECK(len == -E2BIG || len < 0);
    /* the generator produces encodings that decode to the chosen line */
    uint64_t rng = 42;
    unsigned ok = 0;
    for (unsigned k = 0; k < 20000; k++) {
        uint8_t b[16];
        int line;
        unsigned n = x86_random_insn(&rng, b, 0, &line);
        struct x86_decoded r;
        if (x86_decode_bytes(b, n, 64, X86_FEAT_ALL, &r) == (int)n && r.line == line)
            ok++;
    }
    CHECK_EQ(ok, 20000);
    CHECK(x86_insn_count() > 250);
    return test_summary();
}
