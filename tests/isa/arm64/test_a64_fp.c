/* tests/isa/arm64/test_a64_fp.c - scalar FP and AdvSIMD instructions on hand-checked
 * vectors (encodings from clang --target=aarch64-linux-gnu; expected values worked out
 * from the ARM DDI0487 pseudocode: FPProcessNaNs, FPRoundBase with underflow detected
 * before rounding and FPCR.FZ/DN, FPToFixed saturation, the AdvSIMD element operations),
 * plus the load/store structure instructions against guest memory. */
#include <inttypes.h>

#include "isa/arm64/a64.h"
#include "sim/mem.h"
#include "sim/stats.h"
#include "testutil.h"

#define RAM 0x80000ull
#define DATA (RAM + 0x8000)
#define BRK_END 0xd43e0000u /* brk #0xf000 */

#define FPSR_IOC 0x01u
#define FPSR_DZC 0x02u
#define FPSR_OFC 0x04u
#define FPSR_UFC 0x08u
#define FPSR_IXC 0x10u
#define FPSR_IDC 0x80u
#define FPSR_QC (1u << 27)
#define FPCR_RP (1u << 22)
#define FPCR_RM (2u << 22)
#define FPCR_RZ (3u << 22)
#define FPCR_FZ (1u << 24)
#define FPCR_DN (1u << 25)
#define FPCR_AHP (1u << 26)

struct fcase {
    const char *text;
    uint32_t insn, fpcr, nzcv_in;
    uint64_t v0[2], v1[2], v2[2], v3[2];
    uint64_t x1;
    uint64_t exp[2]; /* V0 (or X0 when to_x) after the instruction */
    int to_x;
    uint32_t fpsr;
    int64_t nzcv;    /* expected NZCV, or -1: unchanged */
};

static const struct fcase cases[] = {
    {"fadd s0, s1, s2", 0x1e222820, 0, 0, {0, 0}, {0x3f800000, 0}, {0x40000000, 0}, {0, 0}, 0, {0x40400000, 0}, 0, 0, -1},
    {"fadd d0, d1, d2", 0x1e622820, 0, 0, {0, 0}, {0x3fb999999999999a, 0}, {0x3fc999999999999a, 0}, {0, 0}, 0, {0x3fd3333333333334, 0}, 0, FPSR_IXC, -1},
    {"fdiv s0, s1, s2", 0x1e221820, 0, 0, {0, 0}, {0x3f800000, 0}, {0, 0}, {0, 0}, 0, {0x7f800000, 0}, 0, FPSR_DZC, -1},
    {"fsqrt d0, d1", 0x1e61c020, 0, 0, {0, 0}, {0xbff0000000000000, 0}, {0, 0}, {0, 0}, 0, {0x7ff8000000000000, 0}, 0, FPSR_IOC, -1},
    {"fadd s0, s1, s2", 0x1e222820, 0, 0, {0, 0}, {0x7fc00001, 0}, {0x7f800002, 0}, {0, 0}, 0, {0x7fc00002, 0}, 0, FPSR_IOC, -1},
    {"fadd s0, s1, s2", 0x1e222820, FPCR_DN, 0, {0, 0}, {0x7fc00001, 0}, {0x7f800002, 0}, {0, 0}, 0, {0x7fc00000, 0}, 0, FPSR_IOC, -1},
    {"fadd s0, s1, s2", 0x1e222820, 0, 0, {0, 0}, {0x7fc00001, 0}, {0x3f800000, 0}, {0, 0}, 0, {0x7fc00001, 0}, 0, 0, -1},
    {"fmul s0, s1, s2", 0x1e220820, 0, 0, {0, 0}, {0x00800000, 0}, {0x3f000000, 0}, {0, 0}, 0, {0x00400000, 0}, 0, 0, -1},
    {"fmul s0, s1, s2", 0x1e220820, FPCR_FZ, 0, {0, 0}, {0x00800000, 0}, {0x3f000000, 0}, {0, 0}, 0, {0, 0}, 0, FPSR_UFC, -1},
    {"fmul s0, s1, s2", 0x1e220820, 0, 0, {0, 0}, {0x00800001, 0}, {0x3f000000, 0}, {0, 0}, 0, {0x00400000, 0}, 0, FPSR_UFC | FPSR_IXC, -1},
    {"fadd s0, s1, s2", 0x1e222820, FPCR_FZ, 0, {0, 0}, {0x00000001, 0}, {0x80000000, 0}, {0, 0}, 0, {0, 0}, 0, FPSR_IDC, -1},
    {"fmul d0, d1, d2", 0x1e620820, 0, 0, {0, 0}, {0x3fefffffffffffff, 0}, {0x0010000000000000, 0}, {0, 0}, 0, {0x0010000000000000, 0}, 0, FPSR_UFC | FPSR_IXC, -1},
    {"fmul d0, d1, d2", 0x1e620820, FPCR_FZ, 0, {0, 0}, {0x3fefffffffffffff, 0}, {0x0010000000000000, 0}, {0, 0}, 0, {0, 0}, 0, FPSR_UFC, -1},
    {"fmul d0, d1, d2", 0x1e620820, 0, 0, {0, 0}, {0x7fe0000000000000, 0}, {0x4000000000000000, 0}, {0, 0}, 0, {0x7ff0000000000000, 0}, 0, FPSR_OFC | FPSR_IXC, -1},
    {"fmul d0, d1, d2", 0x1e620820, FPCR_RZ, 0, {0, 0}, {0x7fe0000000000000, 0}, {0x4000000000000000, 0}, {0, 0}, 0, {0x7fefffffffffffff, 0}, 0, FPSR_OFC | FPSR_IXC, -1},
    {"fcvtzs w0, s1", 0x1e380020, 0, 0, {0, 0}, {0x406ccccd, 0}, {0, 0}, {0, 0}, 0, {0x3, 0}, 1, FPSR_IXC, -1},
    {"fcvtzs w0, s1", 0x1e380020, 0, 0, {0, 0}, {0xc06ccccd, 0}, {0, 0}, {0, 0}, 0, {0xfffffffd, 0}, 1, FPSR_IXC, -1},
    {"fcvtzs w0, s1", 0x1e380020, 0, 0, {0, 0}, {0x4f32d05e, 0}, {0, 0}, {0, 0}, 0, {0x7fffffff, 0}, 1, FPSR_IOC, -1},
    {"fcvtzs w0, s1", 0x1e380020, 0, 0, {0, 0}, {0x7fc00000, 0}, {0, 0}, {0, 0}, 0, {0, 0}, 1, FPSR_IOC, -1},
    {"fcvtzu w0, s1", 0x1e390020, 0, 0, {0, 0}, {0xbf800000, 0}, {0, 0}, {0, 0}, 0, {0, 0}, 1, FPSR_IOC, -1},
    {"fcvtzu w0, s1", 0x1e390020, 0, 0, {0, 0}, {0xbf000000, 0}, {0, 0}, {0, 0}, 0, {0, 0}, 1, FPSR_IXC, -1},
    {"fcvtns x0, d1", 0x9e600020, 0, 0, {0, 0}, {0x4004000000000000, 0}, {0, 0}, {0, 0}, 0, {2, 0}, 1, FPSR_IXC, -1},
    {"fcvtas x0, d1", 0x9e640020, 0, 0, {0, 0}, {0x4004000000000000, 0}, {0, 0}, {0, 0}, 0, {3, 0}, 1, FPSR_IXC, -1},
    {"fcvtms x0, d1", 0x9e700020, 0, 0, {0, 0}, {0xc004000000000000, 0}, {0, 0}, {0, 0}, 0, {0xfffffffffffffffd, 0}, 1, FPSR_IXC, -1},
    {"fcvtps x0, d1", 0x9e680020, 0, 0, {0, 0}, {0x4000cccccccccccd, 0}, {0, 0}, {0, 0}, 0, {3, 0}, 1, FPSR_IXC, -1},
    {"fcvtzs w0, d1", 0x1e780020, 0, 0, {0, 0}, {0xc1e0000000100000, 0}, {0, 0}, {0, 0}, 0, {0x80000000, 0}, 1, FPSR_IXC, -1},
    {"scvtf d0, x1", 0x9e620020, 0, 0, {0, 0}, {0, 0}, {0, 0}, {0, 0}, 0x7fffffffffffffff, {0x43e0000000000000, 0}, 0, FPSR_IXC, -1},
    {"ucvtf s0, w1", 0x1e230020, 0, 0, {0, 0}, {0, 0}, {0, 0}, {0, 0}, 0xffffffff, {0x4f800000, 0}, 0, FPSR_IXC, -1},
    {"ucvtf s0, w1", 0x1e230020, FPCR_RM, 0, {0, 0}, {0, 0}, {0, 0}, {0, 0}, 0xffffffff, {0x4f7fffff, 0}, 0, FPSR_IXC, -1},
    {"scvtf s0, w1, #16", 0x1e02c020, 0, 0, {0, 0}, {0, 0}, {0, 0}, {0, 0}, 0x12345678ffff8000, {0xbf000000, 0}, 0, 0, -1},
    {"fcvtzs x0, d1, #8", 0x9e58e020, 0, 0, {0, 0}, {0x3ffc000000000000, 0}, {0, 0}, {0, 0}, 0, {448, 0}, 1, 0, -1},
    {"frintn d0, d1", 0x1e644020, 0, 0, {0, 0}, {0x4004000000000000, 0}, {0, 0}, {0, 0}, 0, {0x4000000000000000, 0}, 0, 0, -1},
    {"frinta d0, d1", 0x1e664020, 0, 0, {0, 0}, {0x4004000000000000, 0}, {0, 0}, {0, 0}, 0, {0x4008000000000000, 0}, 0, 0, -1},
    {"frintx s0, s1", 0x1e274020, FPCR_RP, 0, {0, 0}, {0x40200000, 0}, {0, 0}, {0, 0}, 0, {0x40400000, 0}, 0, FPSR_IXC, -1},
    {"frintm s0, s1", 0x1e254020, 0, 0, {0, 0}, {0xbf000000, 0}, {0, 0}, {0, 0}, 0, {0xbf800000, 0}, 0, 0, -1},
    {"frintp s0, s1", 0x1e24c020, 0, 0, {0, 0}, {0xbf000000, 0}, {0, 0}, {0, 0}, 0, {0x80000000, 0}, 0, 0, -1},
    {"fcmp s1, s2", 0x1e222020, 0, 0, {0, 0}, {0x3f800000, 0}, {0x7fc00000, 0}, {0, 0}, 0, {0, 0}, 0, 0, 0x30000000},
    {"fcmpe s1, s2", 0x1e222030, 0, 0, {0, 0}, {0x3f800000, 0}, {0x7fc00000, 0}, {0, 0}, 0, {0, 0}, 0, FPSR_IOC, 0x30000000},
    {"fcmp s1, s2", 0x1e222020, 0, 0, {0, 0}, {0x3f800000, 0}, {0x40000000, 0}, {0, 0}, 0, {0, 0}, 0, 0, 0x80000000},
    {"fcmp s1, s2", 0x1e222020, 0, 0, {0, 0}, {0x40000000, 0}, {0x3f800000, 0}, {0, 0}, 0, {0, 0}, 0, 0, 0x20000000},
    {"fcmp s1, #0.0", 0x1e202028, 0, 0, {0, 0}, {0x80000000, 0}, {0, 0}, {0, 0}, 0, {0, 0}, 0, 0, 0x60000000},
    {"fmax s0, s1, s2", 0x1e224820, 0, 0, {0, 0}, {0, 0}, {0x80000000, 0}, {0, 0}, 0, {0, 0}, 0, 0, -1},
    {"fmin s0, s1, s2", 0x1e225820, 0, 0, {0, 0}, {0, 0}, {0x80000000, 0}, {0, 0}, 0, {0x80000000, 0}, 0, 0, -1},
    {"fmaxnm s0, s1, s2", 0x1e226820, 0, 0, {0, 0}, {0x7fc00000, 0}, {0x3f800000, 0}, {0, 0}, 0, {0x3f800000, 0}, 0, 0, -1},
    {"fmaxnm s0, s1, s2", 0x1e226820, 0, 0, {0, 0}, {0x7fc00000, 0}, {0x7f800001, 0}, {0, 0}, 0, {0x7fc00001, 0}, 0, FPSR_IOC, -1},
    {"fmax s0, s1, s2", 0x1e224820, 0, 0, {0, 0}, {0x7fc00000, 0}, {0x3f800000, 0}, {0, 0}, 0, {0x7fc00000, 0}, 0, 0, -1},
    {"fmadd d0, d1, d2, d3", 0x1f420c20, 0, 0, {0, 0}, {0x3ff0000000400000, 0}, {0x3fefffffff800000, 0}, {0xbff0000000000000, 0}, 0, {0xbc30000000000000, 0}, 0, 0, -1},
    {"fnmsub d0, d1, d2, d3", 0x1f628c20, 0, 0, {0, 0}, {0x3ff0000000400000, 0}, {0x3fefffffff800000, 0}, {0x3ff0000000000000, 0}, 0, {0xbc30000000000000, 0}, 0, 0, -1},
    {"fmadd d0, d1, d2, d3", 0x1f420c20, 0, 0, {0, 0}, {0x7ff0000000000000, 0}, {0, 0}, {0x7ff8000000000001, 0}, 0, {0x7ff8000000000000, 0}, 0, FPSR_IOC, -1},
    {"fcvt s0, d1", 0x1e624020, 0, 0, {0, 0}, {0x3fb999999999999a, 0}, {0, 0}, {0, 0}, 0, {0x3dcccccd, 0}, 0, FPSR_IXC, -1},
    {"fcvt d0, s1", 0x1e22c020, 0, 0, {0, 0}, {0x7f800001, 0}, {0, 0}, {0, 0}, 0, {0x7ff8000020000000, 0}, 0, FPSR_IOC, -1},
    {"fmov d0, #-1.25", 0x1e7e9000, 0, 0, {0, 0}, {0, 0}, {0, 0}, {0, 0}, 0, {0xbff4000000000000, 0}, 0, 0, -1},
    {"fnmul s0, s1, s2", 0x1e228820, 0, 0, {0, 0}, {0x40000000, 0}, {0x40400000, 0}, {0, 0}, 0, {0xc0c00000, 0}, 0, 0, -1},
    {"fcsel d0, d1, d2, eq", 0x1e620c20, 0, 0x40000000, {0, 0}, {0x1111, 0}, {0x2222, 0}, {0, 0}, 0, {0x1111, 0}, 0, 0, -1},
    {"fcsel d0, d1, d2, eq", 0x1e620c20, 0, 0, {0, 0}, {0x1111, 0}, {0x2222, 0}, {0, 0}, 0, {0x2222, 0}, 0, 0, -1},
    {"fccmp s1, s2, #4, ne", 0x1e221424, 0, 0, {0, 0}, {0x3f800000, 0}, {0x3f800000, 0}, {0, 0}, 0, {0, 0}, 0, 0, 0x60000000},
    {"fccmp s1, s2, #4, ne", 0x1e221424, 0, 0x40000000, {0, 0}, {0x3f800000, 0}, {0x40000000, 0}, {0, 0}, 0, {0, 0}, 0, 0, 0x40000000},
    {"cmeq v0.16b, v1.16b, v2.16b", 0x6e228c20, 0, 0, {0, 0}, {0x0706050403020100, 0x0f0e0d0c0b0a0908}, {0x0706050400000000, 0x0f0e0d0c0b0a09ff}, {0, 0}, 0, {0xffffffff000000ff, 0xffffffffffffff00}, 0, 0, -1},
    {"uminv b0, v1.16b", 0x6e31a820, 0, 0, {0, 0}, {0x0706050403020310, 0x0f0e0d0c0b0a0908}, {0, 0}, {0, 0}, 0, {2, 0}, 0, 0, -1},
    {"addv b0, v1.16b", 0x4e31b820, 0, 0, {0, 0}, {0x0706050403020100, 0x0f0e0d0c0b0a0908}, {0, 0}, {0, 0}, 0, {0x78, 0}, 0, 0, -1},
    {"uaddlv h0, v1.16b", 0x6e303820, 0, 0, {0, 0}, {0xffffffffffffffff, 0xffffffffffffffff}, {0, 0}, {0, 0}, 0, {0xff0, 0}, 0, 0, -1},
    {"tbl v0.16b, {v1.16b}, v2.16b", 0x4e020020, 0, 0, {0, 0}, {0x0706050403020100, 0x0f0e0d0c0b0a0908}, {0x000102030405060f, 0x10ff203040506070}, {0, 0}, 0, {0x000102030405060f, 0}, 0, 0, -1},
    {"tbx v0.8b, {v1.16b, v2.16b}, v3.8b", 0x0e033020, 0, 0, {0xaaaaaaaaaaaaaaaa, 0xbbbbbbbbbbbbbbbb}, {0x0706050403020100, 0x0f0e0d0c0b0a0908}, {0x1716151413121110, 0x1f1e1d1c1b1a1918}, {0x20ff1f1001000302, 0}, 0, {0xaaaa1f1001000302, 0}, 0, 0, -1},
    {"ext v0.16b, v1.16b, v2.16b, #3", 0x6e021820, 0, 0, {0, 0}, {0x0706050403020100, 0x0f0e0d0c0b0a0908}, {0x1716151413121110, 0x1f1e1d1c1b1a1918}, {0, 0}, 0, {0x0a09080706050403, 0x1211100f0e0d0c0b}, 0, 0, -1},
    {"zip1 v0.8b, v1.8b, v2.8b", 0x0e023820, 0, 0, {0, 0}, {0x0706050403020100, 0x0f0e0d0c0b0a0908}, {0x1716151413121110, 0x1f1e1d1c1b1a1918}, {0, 0}, 0, {0x1303120211011000, 0}, 0, 0, -1},
    {"uzp2 v0.8h, v1.8h, v2.8h", 0x4e425820, 0, 0, {0, 0}, {0x0003000200010000, 0x0007000600050004}, {0x000b000a00090008, 0x000f000e000d000c}, {0, 0}, 0, {0x0007000500030001, 0x000f000d000b0009}, 0, 0, -1},
    {"trn1 v0.4s, v1.4s, v2.4s", 0x4e822820, 0, 0, {0, 0}, {0x0000000100000000, 0x0000000300000002}, {0x0000000500000004, 0x0000000700000006}, {0, 0}, 0, {0x0000000400000000, 0x0000000600000002}, 0, 0, -1},
    {"ushr v0.2d, v1.2d, #1", 0x6f7f0420, 0, 0, {0, 0}, {0x8000000000000001, 0xffffffffffffffff}, {0, 0}, {0, 0}, 0, {0x4000000000000000, 0x7fffffffffffffff}, 0, 0, -1},
    {"shrn v0.8b, v1.8h, #4", 0x0f0c8420, 0, 0, {0, 0}, {0xffff0ff0abcd1234, 0x0000000100108000}, {0, 0}, {0, 0}, 0, {0x00000100ffffbc23, 0}, 0, 0, -1},
    {"sli v0.4s, v1.4s, #8", 0x6f285420, 0, 0, {0x11223344aabbccdd, 0}, {0x0000000100ffffff, 0x1234567800000000}, {0, 0}, {0, 0}, 0, {0x00000144ffffffdd, 0x3456780000000000}, 0, 0, -1},
    {"sri d0, d1, #60", 0x7f444420, 0, 0, {0x123456789abcdef0, 0x77}, {0xf000000000000000, 0x5}, {0, 0}, {0, 0}, 0, {0x123456789abcdeff, 0}, 0, 0, -1},
    {"sqadd v0.8b, v1.8b, v2.8b", 0x0e220c20, 0, 0, {0, 0}, {0x000000000001807f, 0}, {0x00000000007f8001, 0}, {0, 0}, 0, {0x00000000007f807f, 0}, 0, FPSR_QC, -1},
    {"xtn2 v0.16b, v1.8h", 0x4e212820, 0, 0, {0x1122334455667788, 0xffffffffffffffff}, {0x0004000300020001, 0x0108010701060105}, {0, 0}, {0, 0}, 0, {0x1122334455667788, 0x0807060504030201}, 0, 0, -1},
    {"cnt v0.8b, v1.8b", 0x0e205820, 0, 0, {0, 0}, {0xff0f030100000080, 0xffff}, {0, 0}, {0, 0}, 0, {0x0804020100000001, 0}, 0, 0, -1},
    {"umull v0.8h, v1.8b, v2.8b", 0x2e22c020, 0, 0, {0, 0}, {0x00000000001002ff, 0}, {0x00000000001003ff, 0}, {0, 0}, 0, {0x000001000006fe01, 0}, 0, 0, -1},
    {"addp v0.4s, v1.4s, v2.4s", 0x4ea2bc20, 0, 0, {0, 0}, {0x0000000200000001, 0x0000000400000003}, {0x000000140000000a, 0x000000280000001e}, {0, 0}, 0, {0x0000000700000003, 0x000000460000001e}, 0, 0, -1},
    {"rev64 v0.16b, v1.16b", 0x4e200820, 0, 0, {0, 0}, {0x0706050403020100, 0x0f0e0d0c0b0a0908}, {0, 0}, {0, 0}, 0, {0x0001020304050607, 0x08090a0b0c0d0e0f}, 0, 0, -1},
    {"cmhs v0.2d, v1.2d, v2.2d", 0x6ee23c20, 0, 0, {0, 0}, {5, 0}, {5, 1}, {0, 0}, 0, {0xffffffffffffffff, 0}, 0, 0, -1},
    {"uqrshl d0, d1, d2", 0x7ee25c20, 0, 0, {0, 0}, {0x8000000000000000, 0}, {1, 0}, {0, 0}, 0, {0xffffffffffffffff, 0}, 0, FPSR_QC, -1},
    {"uqrshl d0, d1, d2", 0x7ee25c20, 0, 0, {0, 0}, {3, 0}, {0xff, 0}, {0, 0}, 0, {2, 0}, 0, 0, -1},
    {"cls v0.8b, v1.8b", 0x0e204820, 0, 0, {0, 0}, {0x00000000ff400180, 0}, {0, 0}, {0, 0}, 0, {0x0707070707000600, 0}, 0, 0, -1},
    {"sminv s0, v1.4s", 0x4eb1a820, 0, 0, {0, 0}, {0xfffffffd00000005, 0x8000000000000007}, {0, 0}, {0, 0}, 0, {0x80000000, 0}, 0, 0, -1},
    {"fadd v0.4s, v1.4s, v2.4s", 0x4e22d420, 0, 0, {0, 0}, {0x400000003f800000, 0x800000007f800001}, {0x3f00000040000000, 0x000000003f800000}, {0, 0}, 0, {0x4020000040400000, 0x000000007fc00001}, 0, FPSR_IOC, -1},
    {"fcmgt v0.2d, v1.2d, v2.2d", 0x6ee2e420, 0, 0, {0, 0}, {0x4000000000000000, 0x7ff8000000000000}, {0x3ff0000000000000, 0x3ff0000000000000}, {0, 0}, 0, {0xffffffffffffffff, 0}, 0, FPSR_IOC, -1},
    {"mul v0.4s, v1.4s, v2.s[1]", 0x4fa28020, 0, 0, {0, 0}, {0x0000000200000001, 0xffffffff00000003}, {0x0000000a00000007, 0}, {0, 0}, 0, {0x000000140000000a, 0xfffffff60000001e}, 0, 0, -1},
    {"fmla v0.2d, v1.2d, v2.d[1]", 0x4fc21820, 0, 0, {0x3ff0000000000000, 0x4000000000000000}, {0x4008000000000000, 0x4010000000000000}, {0x1234, 0x3fe0000000000000}, {0, 0}, 0, {0x4004000000000000, 0x4010000000000000}, 0, 0, -1},
    {"fcvtzs v0.4s, v1.4s", 0x4ea1b820, 0, 0, {0, 0}, {0x4f32d05ebfc00000, 0x40e000007fc00000}, {0, 0}, {0, 0}, 0, {0x7fffffffffffffff, 0x0000000700000000}, 0, FPSR_IOC | FPSR_IXC, -1},
    {"scvtf v0.2d, v1.2d", 0x4e61d820, 0, 0, {0, 0}, {0xfffffffffffffffe, 0x0020000000000001}, {0, 0}, {0, 0}, 0, {0xc000000000000000, 0x4340000000000000}, 0, FPSR_IXC, -1},
    {"faddp v0.4s, v1.4s, v2.4s", 0x6e22d420, 0, 0, {0, 0}, {0x400000003f800000, 0x4080000040400000}, {0x3f0000003f000000, 0x3f8000003f800000}, {0, 0}, 0, {0x40e0000040400000, 0x400000003f800000}, 0, 0, -1},
    {"umlal2 v0.2d, v1.4s, v2.s[3]", 0x6fa22820, 0, 0, {1, 2}, {0, 0x00000002ffffffff}, {0, 0xffffffff00000000}, {0, 0}, 0, {0xfffffffe00000002, 0x0000000200000000}, 0, 0, -1},
    /* Half-precision conversions (FPConvert / FPRoundBase with N = 16; FZ never flushes a
     * half operand or result; FPCR.AHP: no infinities or NaNs in the half format). */
    {"fcvt h0, s1", 0x1e23c020, 0, 0, {0, 0}, {0x3f800000, 0}, {0, 0}, {0, 0}, 0, {0x3c00, 0}, 0, 0, -1},
    {"fcvt h0, s1 (65520: tie to even overflows)", 0x1e23c020, 0, 0, {0, 0}, {0x477ff000, 0}, {0, 0}, {0, 0}, 0, {0x7c00, 0}, 0, FPSR_OFC | FPSR_IXC, -1},
    {"fcvt h0, s1 (65520, RZ: rounds down, no overflow)", 0x1e23c020, FPCR_RZ, 0, {0, 0}, {0x477ff000, 0}, {0, 0}, {0, 0}, 0, {0x7bff, 0}, 0, FPSR_IXC, -1},
    {"fcvt h0, s1 (65536, RZ: overflow to largest normal)", 0x1e23c020, FPCR_RZ, 0, {0, 0}, {0x47800000, 0}, {0, 0}, {0, 0}, 0, {0x7bff, 0}, 0, FPSR_OFC | FPSR_IXC, -1},
    {"fcvt h0, s1 (65519)", 0x1e23c020, 0, 0, {0, 0}, {0x477fef00, 0}, {0, 0}, {0, 0}, 0, {0x7bff, 0}, 0, FPSR_IXC, -1},
    {"fcvt h0, d1 (2^-25: tie to even zero)", 0x1e63c020, 0, 0, {0, 0}, {0x3e60000000000000, 0}, {0, 0}, {0, 0}, 0, {0, 0}, 0, FPSR_UFC | FPSR_IXC, -1},
    {"fcvt h0, d1 (2^-25, RP)", 0x1e63c020, FPCR_RP, 0, {0, 0}, {0x3e60000000000000, 0}, {0, 0}, {0, 0}, 0, {0x0001, 0}, 0, FPSR_UFC | FPSR_IXC, -1},
    {"fcvt h0, d1 (0.75 * 2^-24)", 0x1e63c020, 0, 0, {0, 0}, {0x3e68000000000000, 0}, {0, 0}, {0, 0}, 0, {0x0001, 0}, 0, FPSR_UFC | FPSR_IXC, -1},
    {"fcvt h0, d1 (FZ: half subnormal result kept)", 0x1e63c020, FPCR_FZ, 0, {0, 0}, {0x3e70000000000000, 0}, {0, 0}, {0, 0}, 0, {0x0001, 0}, 0, 0, -1},
    {"fcvt h0, s1 (sNaN payload)", 0x1e23c020, 0, 0, {0, 0}, {0x7fa00000, 0}, {0, 0}, {0, 0}, 0, {0x7f00, 0}, 0, FPSR_IOC, -1},
    {"fcvt h0, s1 (sNaN, DN)", 0x1e23c020, FPCR_DN, 0, {0, 0}, {0xffa00000, 0}, {0, 0}, {0, 0}, 0, {0x7e00, 0}, 0, FPSR_IOC, -1},
    {"fcvt h0, s1 (FZ: single denormal input)", 0x1e23c020, FPCR_FZ, 0, {0, 0}, {0x00000001, 0}, {0, 0}, {0, 0}, 0, {0, 0}, 0, FPSR_IDC, -1},
    {"fcvt h0, s1 (AHP: 131008)", 0x1e23c020, FPCR_AHP, 0, {0, 0}, {0x47ffe000, 0}, {0, 0}, {0, 0}, 0, {0x7fff, 0}, 0, 0, -1},
    {"fcvt h0, s1 (AHP: 131072 overflows)", 0x1e23c020, FPCR_AHP, 0, {0, 0}, {0xc8000000, 0}, {0, 0}, {0, 0}, 0, {0xffff, 0}, 0, FPSR_IOC, -1},
    {"fcvt h0, s1 (AHP: -inf)", 0x1e23c020, FPCR_AHP, 0, {0, 0}, {0xff800000, 0}, {0, 0}, {0, 0}, 0, {0xffff, 0}, 0, FPSR_IOC, -1},
    {"fcvt h0, s1 (AHP: qNaN)", 0x1e23c020, FPCR_AHP, 0, {0, 0}, {0x7fc00000, 0}, {0, 0}, {0, 0}, 0, {0, 0}, 0, FPSR_IOC, -1},
    {"fcvt s0, h1 (2^-24, FZ)", 0x1ee24020, FPCR_FZ, 0, {0, 0}, {0x0001, 0}, {0, 0}, {0, 0}, 0, {0x33800000, 0}, 0, 0, -1},
    {"fcvt s0, h1 (AHP: 0x7c00 = 65536)", 0x1ee24020, FPCR_AHP, 0, {0, 0}, {0x7c00, 0}, {0, 0}, {0, 0}, 0, {0x47800000, 0}, 0, 0, -1},
    {"fcvt s0, h1 (sNaN)", 0x1ee24020, 0, 0, {0, 0}, {0x7c01, 0}, {0, 0}, {0, 0}, 0, {0x7fc02000, 0}, 0, FPSR_IOC, -1},
    {"fcvt s0, h1 (-inf)", 0x1ee24020, 0, 0, {0, 0}, {0xfc00, 0}, {0, 0}, {0, 0}, 0, {0xff800000, 0}, 0, 0, -1},
    {"fcvt d0, h1 (-2^-24)", 0x1ee2c020, 0, 0, {0, 0}, {0x8001, 0}, {0, 0}, {0, 0}, 0, {0xbe70000000000000, 0}, 0, 0, -1},
    {"fcvtl v0.4s, v1.4h", 0x0e217820, 0, 0, {1, 2}, {0xfc0080013c000000, 0x1234}, {0, 0}, {0, 0}, 0, {0x3f80000000000000, 0xff800000b3800000}, 0, 0, -1},
    {"fcvtl2 v0.2d, v1.4s", 0x4e617820, 0, 0, {1, 2}, {0x1234, 0xbf80000040400000}, {0, 0}, {0, 0}, 0, {0x4008000000000000, 0xbff0000000000000}, 0, 0, -1},
    {"fcvtn v0.4h, v1.4s", 0x0e216820, 0, 0, {1, 2}, {0x3f80000040000000, 0xc700000033000000}, {0, 0}, {0, 0}, 0, {0xf80000003c004000, 0}, 0, FPSR_UFC | FPSR_IXC, -1},
    {"fcvtn2 v0.4s, v1.2d", 0x4e616820, 0, 0, {0x1111111122222222, 0x3333}, {0x3ff0000000000000, 0x4000000000000001}, {0, 0}, {0, 0}, 0, {0x1111111122222222, 0x400000003f800000}, 0, FPSR_IXC, -1},
    {"fcvtxn s0, d1 (inexact: odd, RP ignored)", 0x7e616820, FPCR_RP, 0, {0, 0}, {0x3ff0000001000000, 0}, {0, 0}, {0, 0}, 0, {0x3f800001, 0}, 0, FPSR_IXC, -1},
    {"fcvtxn s0, d1 (exact)", 0x7e616820, 0, 0, {0, 0}, {0x3ff0000040000000, 0}, {0, 0}, {0, 0}, 0, {0x3f800002, 0}, 0, 0, -1},
    {"fcvtxn2 v0.4s, v1.2d", 0x6e616820, 0, 0, {7, 9}, {0xbff0000000000001, 0x7ff0000000000000}, {0, 0}, {0, 0}, 0, {7, 0x7f800000bf800001}, 0, FPSR_IXC, -1},
    /* Reciprocal estimates (FPRecipEstimate / FPRSqrtEstimate with the 9-bit RecipEstimate
     * and RecipSqrtEstimate tables), FRECPX, and the fused step instructions. */
    {"frecpe s0, s1 (1.0)", 0x5ea1d820, 0, 0, {0, 0}, {0x3f800000, 0}, {0, 0}, {0, 0}, 0, {0x3f7f8000, 0}, 0, 0, -1},
    {"frecpe v0.2d, v1.2d (2.0, -0.0)", 0x4ee1d820, 0, 0, {0, 0}, {0x4000000000000000, 0x8000000000000000}, {0, 0}, {0, 0}, 0, {0x3fdff00000000000, 0xfff0000000000000}, 0, FPSR_DZC, -1},
    {"frecpe s0, s1 (2^-149 overflows)", 0x5ea1d820, 0, 0, {0, 0}, {0x00000001, 0}, {0, 0}, {0, 0}, 0, {0x7f800000, 0}, 0, FPSR_OFC | FPSR_IXC, -1},
    {"frecpe s0, s1 (2^-149, RZ)", 0x5ea1d820, FPCR_RZ, 0, {0, 0}, {0x80000001, 0}, {0, 0}, {0, 0}, 0, {0xff7fffff, 0}, 0, FPSR_OFC | FPSR_IXC, -1},
    {"frecpe s0, s1 (2^-127 denormal)", 0x5ea1d820, 0, 0, {0, 0}, {0x00400000, 0}, {0, 0}, {0, 0}, 0, {0x7eff8000, 0}, 0, 0, -1},
    {"frecpe s0, s1 (2^127: denormal result)", 0x5ea1d820, 0, 0, {0, 0}, {0x7f000000, 0}, {0, 0}, {0, 0}, 0, {0x003fe000, 0}, 0, 0, -1},
    {"frecpe s0, s1 (2^127, FZ)", 0x5ea1d820, FPCR_FZ, 0, {0, 0}, {0x7f000000, 0}, {0, 0}, {0, 0}, 0, {0, 0}, 0, FPSR_UFC, -1},
    {"frecpe s0, s1 (FZ: denormal input is zero)", 0x5ea1d820, FPCR_FZ, 0, {0, 0}, {0x80400000, 0}, {0, 0}, {0, 0}, 0, {0xff800000, 0}, 0, FPSR_IDC | FPSR_DZC, -1},
    {"frsqrte s0, s1 (1.0)", 0x7ea1d820, 0, 0, {0, 0}, {0x3f800000, 0}, {0, 0}, {0, 0}, 0, {0x3f7f8000, 0}, 0, 0, -1},
    {"frsqrte s0, s1 (2.0)", 0x7ea1d820, 0, 0, {0, 0}, {0x40000000, 0}, {0, 0}, {0, 0}, 0, {0x3f348000, 0}, 0, 0, -1},
    {"frsqrte d0, d1 (4.0)", 0x7ee1d820, 0, 0, {0, 0}, {0x4010000000000000, 0}, {0, 0}, {0, 0}, 0, {0x3fdff00000000000, 0}, 0, 0, -1},
    {"frsqrte d0, d1 (-1.0)", 0x7ee1d820, 0, 0, {0, 0}, {0xbff0000000000000, 0}, {0, 0}, {0, 0}, 0, {0x7ff8000000000000, 0}, 0, FPSR_IOC, -1},
    {"frsqrte s0, s1 (+inf)", 0x7ea1d820, 0, 0, {0, 0}, {0x7f800000, 0}, {0, 0}, {0, 0}, 0, {0, 0}, 0, 0, -1},
    {"urecpe v0.2s, v1.2s", 0x0ea1c820, 0, 0, {0, 0}, {0x800000007fffffff, 5}, {0, 0}, {0, 0}, 0, {0xff800000ffffffff, 0}, 0, 0, -1},
    {"ursqrte v0.4s, v1.4s", 0x6ea1c820, 0, 0, {0, 0}, {0x400000003fffffff, 0xffffffff80000000}, {0, 0}, {0, 0}, 0, {0xff800000ffffffff, 0x80000000b4800000}, 0, 0, -1},
    {"frecpx d0, d1 (2.0)", 0x5ee1f820, 0, 0, {0, 0}, {0x4000000000000000, 0}, {0, 0}, {0, 0}, 0, {0x3ff0000000000000, 0}, 0, 0, -1},
    {"frecpx d0, d1 (denormal)", 0x5ee1f820, 0, 0, {0, 0}, {0x8000000000000001, 0}, {0, 0}, {0, 0}, 0, {0xffe0000000000000, 0}, 0, 0, -1},
    {"frecpx d0, d1 (+inf)", 0x5ee1f820, 0, 0, {0, 0}, {0x7ff0000000000000, 0}, {0, 0}, {0, 0}, 0, {0, 0}, 0, 0, -1},
    {"frecps s0, s1, s2", 0x5e22fc20, 0, 0, {0, 0}, {0x3fc00000, 0}, {0x3f000000, 0}, {0, 0}, 0, {0x3fa00000, 0}, 0, 0, -1},
    {"frecps s0, s1, s2 (inf * -0)", 0x5e22fc20, 0, 0, {0, 0}, {0x7f800000, 0}, {0x80000000, 0}, {0, 0}, 0, {0x40000000, 0}, 0, 0, -1},
    {"frecps s0, s1, s2 (NaN operand 1 negated)", 0x5e22fc20, 0, 0, {0, 0}, {0x7fc00001, 0}, {0x3f800000, 0}, {0, 0}, 0, {0xffc00001, 0}, 0, 0, -1},
    {"frsqrts s0, s1, s2", 0x5ea2fc20, 0, 0, {0, 0}, {0x3f800000, 0}, {0x3f800000, 0}, {0, 0}, 0, {0x3f800000, 0}, 0, 0, -1},
    {"frsqrts s0, s1, s2 (one rounding: no overflow)", 0x5ea2fc20, 0, 0, {0, 0}, {0x7f000000, 0}, {0xc0000000, 0}, {0, 0}, 0, {0x7f000000, 0}, 0, FPSR_IXC, -1},
    {"frsqrts v0.4s, v1.4s, v2.4s (0 * inf)", 0x4ea2fc20, 0, 0, {0, 0}, {0x3f80000000000000, 0}, {0x3f8000007f800000, 0}, {0, 0}, 0, {0x3f8000003fc00000, 0x3fc000003fc00000}, 0, 0, -1},
    {"fmulx s0, s1, s2 (inf * -0)", 0x5e22dc20, 0, 0, {0, 0}, {0x7f800000, 0}, {0x80000000, 0}, {0, 0}, 0, {0xc0000000, 0}, 0, 0, -1},
    {"fmulx v0.2d, v1.2d, v2.d[1]", 0x6fc29820, 0, 0, {0, 0}, {0x7ff0000000000000, 0x4000000000000000}, {0x3ff0000000000000, 0}, {0, 0}, 0, {0x4000000000000000, 0}, 0, 0, -1},
    /* Pairwise and across-lanes FP (Reduce: op(op(e0, e1), op(e2, e3))) */
    {"fmaxnmv s0, v1.4s", 0x6e30c820, 0, 0, {0, 0}, {0x7fc000003f800000, 0x40000000c0400000}, {0, 0}, {0, 0}, 0, {0x40000000, 0}, 0, 0, -1},
    {"fmaxv s0, v1.4s", 0x6e30f820, 0, 0, {0, 0}, {0x7fc000003f800000, 0x40000000c0400000}, {0, 0}, {0, 0}, 0, {0x7fc00000, 0}, 0, 0, -1},
    {"faddp d0, v1.2d", 0x7e70d820, 0, 0, {0, 0}, {0x3ff8000000000000, 0x4002000000000000}, {0, 0}, {0, 0}, 0, {0x400e000000000000, 0}, 0, 0, -1},
    {"fminp s0, v1.2s (-0, +0)", 0x7eb0f820, 0, 0, {0, 0}, {0x0000000080000000, 0}, {0, 0}, {0, 0}, 0, {0x80000000, 0}, 0, 0, -1},
    {"fcmle s0, s1, #0.0 (-0)", 0x7ea0d820, 0, 0, {0, 7}, {0x80000000, 0}, {0, 0}, {0, 0}, 0, {0xffffffff, 0}, 0, 0, -1},
    {"facgt d0, d1, d2", 0x7ee2ec20, 0, 0, {0, 0}, {0xc008000000000000, 0}, {0x4000000000000000, 0}, {0, 0}, 0, {0xffffffffffffffff, 0}, 0, 0, -1},
    {"fabd s0, s1, s2", 0x7ea2d420, 0, 0, {0, 0}, {0x3f800000, 0}, {0x40400000, 0}, {0, 0}, 0, {0x40000000, 0}, 0, 0, -1},
    {"fcvtzs d0, d1", 0x5ee1b820, 0, 0, {0, 0}, {0xc004000000000000, 0}, {0, 0}, {0, 0}, 0, {0xfffffffffffffffe, 0}, 0, FPSR_IXC, -1},
    {"fmla s0, s1, v2.s[3]", 0x5fa21820, 0, 0, {0x3f800000, 9}, {0x40000000, 0}, {0, 0x4040000000000000}, {0, 0}, 0, {0x40e00000, 0}, 0, 0, -1},
    {"scvtf v0.4s, v1.4s, #16", 0x4f30e420, 0, 0, {0, 0}, {0xffff800000010000, 0x000000017fffffff}, {0, 0}, {0, 0}, 0, {0xbf0000003f800000, 0x3780000047000000}, 0, FPSR_IXC, -1},
    {"fcvtzu v0.2d, v1.2d, #1", 0x6f7ffc20, 0, 0, {0, 0}, {0x4006000000000000, 0xbff0000000000000}, {0, 0}, {0, 0}, 0, {5, 0}, 0, FPSR_IOC | FPSR_IXC, -1},
    {"frintx v0.4s, v1.4s", 0x6e219820, 0, 0, {0, 0}, {0xc02000003fc00000, 0x7f80000140400000}, {0, 0}, {0, 0}, 0, {0xc000000040000000, 0x7fc0000140400000}, 0, FPSR_IXC | FPSR_IOC, -1},
    {"fsqrt v0.2d, v1.2d", 0x6ee1f820, 0, 0, {0, 0}, {0x4010000000000000, 0xbff0000000000000}, {0, 0}, {0, 0}, 0, {0x4000000000000000, 0x7ff8000000000000}, 0, FPSR_IOC, -1},
    /* Saturating doubling multiplies and scalar narrowing shifts (QC = FPSR bit 27) */
    {"sqdmull v0.4s, v1.4h, v2.4h", 0x0e62d020, 0, 0, {0, 0}, {0x00017fff80000002, 0}, {0xffff800080000003, 0}, {0, 0}, 0, {0x7fffffff0000000c, 0xfffffffe80010000}, 0, FPSR_QC, -1},
    {"sqdmlal s0, h1, h2", 0x5e629020, 0, 0, {0xaaaaaaaa7ffffff0, 0x1234}, {0x10, 0}, {0x1, 0}, {0, 0}, 0, {0x7fffffff, 0}, 0, FPSR_QC, -1},
    {"sqrdmulh v0.8h, v1.8h, v2.h[7]", 0x4f72d820, 0, 0, {0, 0}, {0x00017fff80000003, 0}, {0, 0x4000000000000000}, {0, 0}, 0, {0x00014000c0000002, 0}, 0, 0, -1},
    {"sqdmlsl2 v0.2d, v1.4s, v2.s[3]", 0x4fa27820, 0, 0, {0, 5}, {0, 0x0000000180000000}, {0, 0x8000000000000000}, {0, 0}, 0, {0x8000000000000001, 0x0000000100000005}, 0, FPSR_QC, -1},
    {"sqshrn b0, h1, #4", 0x5f0c9420, 0, 0, {0xffff, 0xff}, {0x7ff0, 0}, {0, 0}, {0, 0}, 0, {0x7f, 0}, 0, FPSR_QC, -1},
    {"uqrshrn h0, s1, #16", 0x7f109c20, 0, 0, {0xffff, 0xff}, {0xffffffff00018000, 0}, {0, 0}, {0, 0}, 0, {2, 0}, 0, 0, -1},
};

struct env {
    struct sim_mem mem;
    struct sim_stats stats;
    struct a64_cpu *c;
};

/* Run the instruction at RAM followed by the end marker, at EL1 with FP enabled. */
static enum a64_stop run1(struct env *e, uint32_t insn, uint64_t max)
{
    uint32_t code[2] = {insn, BRK_END};
    CHECK_EQ(sim_mem_write_buf(&e->mem, RAM, code, sizeof(code)), 0);
    a64_flush_decoded(e->c);
    return a64_run(e->c, max);
}

static void reset(struct env *e)
{
    a64_cpu_reset(e->c, RAM, 1);
    /* CPACR_EL1.FPEN = 0b11: FP/SIMD does not trap (it does at reset, ARM DDI0487 D1.9) */
    CHECK_EQ(a64_sysreg_write(e->c, A64_SYSREG(3, 0, 1, 0, 2), 3u << 20), 0);
}

static void check_table(struct env *e)
{
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct fcase *t = &cases[i];
        struct a64_cpu *c = e->c;
        reset(e);
        c->fpcr = t->fpcr;
        c->fpsr = 0;
        c->nzcv = t->nzcv_in;
        memcpy(c->v[0], t->v0, 16);
        memcpy(c->v[1], t->v1, 16);
        memcpy(c->v[2], t->v2, 16);
        memcpy(c->v[3], t->v3, 16);
        c->x[0] = 0x5555555555555555ull;
        c->x[1] = t->x1;
        enum a64_stop st = run1(e, t->insn, 10);
        bool ok = st == A64_STOP_END_MARKER && c->fpsr == t->fpsr &&
                  c->nzcv == (t->nzcv < 0 ? t->nzcv_in : (uint32_t)t->nzcv);
        if (t->to_x)
            ok = ok && c->x[0] == t->exp[0];
        else
            ok = ok && c->v[0][0] == t->exp[0] && c->v[0][1] == t->exp[1];
        if (!ok)
            fprintf(stderr, "%s: stop %d v0 %016" PRIx64 "_%016" PRIx64 " x0 %" PRIx64
                    " fpsr %x nzcv %x (expected %016" PRIx64 "_%016" PRIx64 " fpsr %x)\n",
                    t->text, (int)st, c->v[0][1], c->v[0][0], c->x[0], c->fpsr, c->nzcv,
                    t->exp[1], t->exp[0], t->fpsr);
        CHECK(ok);
    }
}

/* Load/store structures: LD1 (multiple, post-index immediate), LD4 de-interleaving, ST1
 * single lane with register post-index, LD1R, ST2 interleaving, LD3 single lane. */
static void check_structures(struct env *e)
{
    struct a64_cpu *c = e->c;
    uint8_t buf[64], got[64];
    for (unsigned i = 0; i < 64; i++)
        buf[i] = (uint8_t)i;

    reset(e);
    CHECK_EQ(sim_mem_write_buf(&e->mem, DATA, buf, 64), 0);
    c->x[0] = DATA;
    CHECK_EQ(run1(e, 0x4cdfa000u /* ld1 {v0.16b, v1.16b}, [x0], #32 */, 10), A64_STOP_END_MARKER);
    CHECK_EQ(c->v[0][0], 0x0706050403020100ull);
    CHECK_EQ(c->v[1][1], 0x1f1e1d1c1b1a1918ull);
    CHECK_EQ(c->x[0], DATA + 32);

    reset(e);
    c->x[0] = DATA;
    c->v[4][1] = c->v[7][1] = 0x99;
    CHECK_EQ(run1(e, 0x0c400004u /* ld4 {v4.8b-v7.8b}, [x0] */, 10), A64_STOP_END_MARKER);
    CHECK_EQ(c->v[4][0], 0x1c1814100c080400ull);
    CHECK_EQ(c->v[5][0], 0x1d1915110d090501ull);
    CHECK_EQ(c->v[7][0], 0x1f1b17130f0b0703ull);
    CHECK_EQ(c->v[4][1], 0);
    CHECK_EQ(c->v[7][1], 0);
    CHECK_EQ(c->x[0], DATA);

    reset(e);
    c->x[0] = DATA;
    c->x[2] = 12;
    c->v[1][1] = 0xdeadbeef00000000ull;
    CHECK_EQ(run1(e, 0x4d829001u /* st1 {v1.s}[3], [x0], x2 */, 10), A64_STOP_END_MARKER);
    CHECK_EQ(sim_mem_read_buf(&e->mem, DATA, got, 8), 0);
    CHECK_EQ(got[0], 0xef);
    CHECK_EQ(got[3], 0xde);
    CHECK_EQ(got[4], 4);
    CHECK_EQ(c->x[0], DATA + 12);

    reset(e);
    CHECK_EQ(sim_mem_write_buf(&e->mem, DATA, buf, 64), 0);
    c->x[0] = DATA + 6;
    CHECK_EQ(run1(e, 0x4d40c402u /* ld1r {v2.8h}, [x0] */, 10), A64_STOP_END_MARKER);
    CHECK_EQ(c->v[2][0], 0x0706070607060706ull);
    CHECK_EQ(c->v[2][1], 0x0706070607060706ull);

    reset(e);
    c->x[0] = DATA;
    c->v[2][0] = 0x2222222222222220ull;
    c->v[2][1] = 0x2222222222222221ull;
    c->v[3][0] = 0x3333333333333330ull;
    c->v[3][1] = 0x3333333333333331ull;
    CHECK_EQ(run1(e, 0x4c008c02u /* st2 {v2.2d, v3.2d}, [x0] */, 10), A64_STOP_END_MARKER);
    uint64_t w[4];
    CHECK_EQ(sim_mem_read_buf(&e->mem, DATA, w, 32), 0);
    CHECK_EQ(w[0], 0x2222222222222220ull);
    CHECK_EQ(w[1], 0x3333333333333330ull);
    CHECK_EQ(w[2], 0x2222222222222221ull);
    CHECK_EQ(w[3], 0x3333333333333331ull);

    reset(e);
    CHECK_EQ(sim_mem_write_buf(&e->mem, DATA, buf, 64), 0);
    c->x[0] = DATA;
    for (unsigned r = 3; r <= 5; r++)
        c->v[r][0] = c->v[r][1] = 0xaaaaaaaaaaaaaaaaull;
    CHECK_EQ(run1(e, 0x4d406803u /* ld3 {v3.h, v4.h, v5.h}[5], [x0] */, 10), A64_STOP_END_MARKER);
    CHECK_EQ(c->v[3][1], 0xaaaaaaaa0100aaaaull);
    CHECK_EQ(c->v[4][1], 0xaaaaaaaa0302aaaaull);
    CHECK_EQ(c->v[5][1], 0xaaaaaaaa0504aaaaull);
    CHECK_EQ(c->v[5][0], 0xaaaaaaaaaaaaaaaaull);
}

/* FP instructions trap while CPACR_EL1.FPEN says so (ARM DDI0487 D17.2.30), with
 * EC 0x07; half precision (FEAT_FP16) stays UNDEFINED (EC 0). */
static void check_traps(struct env *e)
{
    struct a64_cpu *c = e->c;
    a64_cpu_reset(c, RAM, 1);
    CHECK_EQ(run1(e, 0x1e222820u /* fadd s0, s1, s2 */, 10), A64_STOP_UNHANDLED);
    CHECK_EQ(c->exc.esr >> 26, 0x07);
    reset(e);
    CHECK_EQ(run1(e, 0x1ee22820u /* fadd h0, h1, h2 */, 10), A64_STOP_UNHANDLED);
    CHECK_EQ(c->exc.esr >> 26, 0);
    /* FEAT_FP16 vector arithmetic, FCVT h0, h1, and reserved encodings next to the new
     * lines: FCVTXN with sz = 0, FMAXV on 2S, URECPE on 2D, SCVTF (fixed) 1D (Q = 0). */
    static const uint32_t undef[] = {0x4e421420u, 0x1ee3c020u, 0x2e216820u, 0x2e30f820u,
                                     0x4ee1c820u, 0x0f7fe420u};
    for (unsigned i = 0; i < sizeof(undef) / sizeof(undef[0]); i++) {
        reset(e);
        CHECK_EQ(run1(e, undef[i], 10), A64_STOP_UNHANDLED);
        CHECK_EQ(c->exc.esr >> 26, 0);
    }
    /* ... while FCVT to and from half precision is base Armv8.0 FP and executes */
    reset(e);
    CHECK_EQ(run1(e, 0x1e23c020u /* fcvt h0, s1 */, 10), A64_STOP_END_MARKER);
}

int main(void)
{
    struct env e;
    char err[128];
    sim_mem_init(&e.mem);
    sim_stats_init(&e.stats);
    CHECK_EQ(sim_mem_add_ram(&e.mem, "ram", RAM, 0x10000), 0);
    e.c = a64_cpu_create(&e.mem, &e.stats, NULL, 1, err, sizeof(err));
    CHECK(e.c != NULL);
    if (e.c) {
        check_table(&e);
        check_structures(&e);
        check_traps(&e);
        a64_cpu_destroy(e.c);
    }
    sim_stats_destroy(&e.stats);
    sim_mem_destroy(&e.mem);
    return test_summary();
}
