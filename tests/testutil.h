/* tests/testutil.h - a minimal assertion harness for hvsim's C unit tests.
 * CHECK(cond) records a failure and continues; CHECK_EQ(a, b) prints both values (as
 * unsigned 64-bit). A test's main() ends with `return test_summary();`, which prints
 * "N passed, N failed" and returns non-zero on any failure. */
#ifndef HVSIM_TESTUTIL_H
#define HVSIM_TESTUTIL_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned test_pass_count, test_fail_count;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (cond) {                                                                  \
            test_pass_count++;                                                       \
        } else {                                                                     \
            test_fail_count++;                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)

#define CHECK_EQ(a, b)                                                               \
    do {                                                                             \
        uint64_t _a = (uint64_t)(a), _b = (uint64_t)(b);                             \
        if (_a == _b) {                                                              \
            test_pass_count++;                                                       \
        } else {                                                                     \
            test_fail_count++;                                                       \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (0x%" PRIx64           \
                    " != 0x%" PRIx64 ")\n", __FILE__, __LINE__, #a, #b, _a, _b);     \
        }                                                                            \
    } while (0)

#define CHECK_STR(a, b)                                                              \
    do {                                                                             \
        const char *_a = (a), *_b = (b);                                             \
        if (_a && _b && !strcmp(_a, _b)) {                                           \
            test_pass_count++;                                                       \
        } else {                                                                     \
            test_fail_count++;                                                       \
            fprintf(stderr, "%s:%d: CHECK_STR failed: \"%s\" != \"%s\"\n", __FILE__,  \
                    __LINE__, _a ? _a : "(null)", _b ? _b : "(null)");               \
        }                                                                            \
    } while (0)

/* A scratch directory for files a test creates (set by ctest; falls back to /tmp). */
static inline const char *test_tmpdir(void)
{
    const char *d = getenv("HVSIM_TEST_TMP");
    return d && *d ? d : "/tmp";
}

static inline int test_summary(void)
{
    printf("%u passed, %u failed\n", test_pass_count, test_fail_count);
    return test_fail_count ? 1 : 0;
}

#endif
