/* tests/sweep/test_sweep_spec.c - the sweep spec parser and grid expansion (sim/sweep.h):
 * dimensions and their cross product, sections unioned, duplicates dropped, seeds ranges,
 * quoting and continuation lines, workload parameters, point hashes equal to what `hvsim run`
 * computes for the same command line, and one "FILE:LINE:" error per kind of spec mistake. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sim/run_config.h"
#include "sim/sweep.h"
#include "testutil.h"

static char dir[512], spec[600], image[600];

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
}

/* Write the spec (with @IMG@ replaced by the image path) and load it. */
static int load(const char *text, struct sim_sweep *sw, char *err, size_t errlen)
{
    char buf[8192];
    size_t o = 0;
    for (const char *c = text; *c && o < sizeof(buf) - 700;) {
        if (!strncmp(c, "@IMG@", 5)) {
            o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s", image);
            c += 5;
        } else {
            buf[o++] = *c++;
        }
    }
    buf[o] = 0;
    write_text(spec, buf);
    return sim_sweep_load(spec, sw, err, errlen);
}

static bool has_arg(const struct sim_sweep_point *p, const char *opt, const char *val)
{
    for (int i = 0; i < p->nargs; i++)
        if (!strcmp(p->args[i], opt) &&
            (!val || (i + 1 < p->nargs && !strcmp(p->args[i + 1], val))))
            return true;
    return false;
}

/* The hash `hvsim run` computes for this argv (image hashed from the file). */
static void run_hash(int argc, const char **argv, char out[SIM_SHA256_HEX_LEN])
{
    struct sim_run_setup *s = malloc(sizeof(*s));
    char err[512], sha[SIM_SHA256_HEX_LEN];
    char *copy[32];
    for (int i = 0; i < argc; i++)
        copy[i] = strdup(argv[i]);
    copy[argc] = NULL;
    out[0] = 0;
    int rc = sim_run_setup(argc, copy, s, err, sizeof(err));
    CHECK_EQ(rc, 0);
    if (!rc && !sim_sha256_file_hex(s->cfg.image, sha) && !sim_run_setup_hash(s, sha))
        memcpy(out, s->config_hash, SIM_SHA256_HEX_LEN);
    for (int i = 0; i < argc; i++)
        free(copy[i]);
    free(s);
}

static void test_basic_grid(void)
{
    struct sim_sweep sw;
    char err[1024];
    int rc = load("# a comment\n"
                  "[grid]   ; the only kind of section\n"
                  "arch = arm64\n"
                  "image = @IMG@\n"
                  "bare = yes\n"
                  "cpu = cortex-a57, neoverse-n1\n"
                  "cache = on, off   # inline comment\n"
                  "seeds = 1..3\n"
                  "max_insns = 2M\n", &sw, err, sizeof(err));
    CHECK_EQ(rc, 0);
    if (rc) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    CHECK_EQ(sw.npts, 12);
    CHECK_EQ(sw.nduplicates, 0);
    /* the last key (seeds) varies fastest, the first dimension slowest */
    CHECK_EQ(sw.pts[0].seed, 1);
    CHECK_EQ(sw.pts[1].seed, 2);
    CHECK_EQ(sw.pts[2].seed, 3);
    CHECK(has_arg(&sw.pts[0], "--cpu", "cortex-a57"));
    CHECK(has_arg(&sw.pts[0], "--cache", "on"));
    CHECK(has_arg(&sw.pts[3], "--cache", "off"));
    CHECK(has_arg(&sw.pts[6], "--cpu", "neoverse-n1"));
    CHECK(has_arg(&sw.pts[0], "--bare", NULL));
    CHECK(has_arg(&sw.pts[0], "--max-insns", "2M"));
    CHECK(has_arg(&sw.pts[0], "--seed", "1"));
    CHECK_STR(sw.pts[0].args[0], "run");
    CHECK(sw.pts[0].args[sw.pts[0].nargs] == NULL);
    CHECK_STR(sw.pts[4].desc, "arch=arm64 image=sweep-image.bin bare=yes cpu=cortex-a57 "
                              "cache=off max_insns=2M seed=2");
    CHECK_EQ(sw.pts[0].line, 2);
    /* same configuration for every seed, a different one for every other point */
    CHECK_STR(sw.pts[0].config_hash, sw.pts[1].config_hash);
    for (size_t i = 0; i < sw.npts; i += 3)
        for (size_t j = i + 3; j < sw.npts; j += 3)
            CHECK(strcmp(sw.pts[i].config_hash, sw.pts[j].config_hash));
    /* the hash is the one `hvsim run` computes for the same command line */
    const char *argv[] = {"run", "--max-insns", "2M", "--seed", "9", "--image", image, "--cache",
                          "off", "--bare", "--arch", "arm64", "--cpu", "neoverse-n1"};
    char h[SIM_SHA256_HEX_LEN];
    run_hash(14, argv, h);
    CHECK_STR(sw.pts[9].config_hash, h);
    CHECK(has_arg(&sw.pts[9], "--cache", "off"));
    CHECK(has_arg(&sw.pts[9], "--cpu", "neoverse-n1"));
    sim_sweep_free(&sw);
}

static void test_union_quotes_continuation(void)
{
    struct sim_sweep sw;
    char err[1024];
    int rc = load("[grid]\n"
                  "arch = aarch64\n"
                  "image = @IMG@\n"
                  "bare = true\n"
                  "tlb = \"itlb=32x4,l2=1024x4\", l2=2048x8,\n"
                  "      l2=512x4\n"
                  "seed = 5, 1..2\n"
                  "[grid]\n"
                  "arch = arm64\n"
                  "image = @IMG@\n"
                  "bare = yes\n"
                  "tlb = l2=2048x8, l2=4096x8\n"
                  "seeds = 1\n", &sw, err, sizeof(err));
    CHECK_EQ(rc, 0);
    if (rc) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    /* 3 tlb x 3 seeds + 2 x 1, minus (l2=2048x8, seed 1) that the first section has */
    CHECK_EQ(sw.npts, 10);
    CHECK_EQ(sw.nduplicates, 1);
    CHECK(has_arg(&sw.pts[0], "--tlb", "itlb=32x4,l2=1024x4"));
    CHECK(has_arg(&sw.pts[0], "--arch", "arm64"));
    CHECK_EQ(sw.pts[0].seed, 5);
    CHECK(has_arg(&sw.pts[6], "--tlb", "l2=512x4"));
    CHECK(has_arg(&sw.pts[9], "--tlb", "l2=4096x8"));
    CHECK_EQ(sw.pts[9].line, 8);
    CHECK(strstr(sw.pts[0].desc, "tlb=itlb=32x4,l2=1024x4 ") != NULL);
    sim_sweep_free(&sw);
}

static void test_workload_params(void)
{
    struct sim_sweep sw;
    char err[1024];
    int rc = load("[grid]\n"
                  "arch = arm64\n"
                  "workload = runstate\n"
                  "hv_profile = xen-4.17, pa\n"
                  "runstate = profile\n"
                  "params = kpti=0 buf=64, kpti=1\n"
                  "param.tasks = 2, 4\n", &sw, err, sizeof(err));
    CHECK_EQ(rc, 0);
    if (rc) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    CHECK_EQ(sw.npts, 8);
    CHECK(has_arg(&sw.pts[0], "--workload", "runstate:kpti=0,buf=64,tasks=2"));
    CHECK(has_arg(&sw.pts[3], "--workload", "runstate:kpti=1,tasks=4"));
    CHECK(has_arg(&sw.pts[4], "--hv-profile", "pa"));
    CHECK(has_arg(&sw.pts[0], "--seed", "0"));
    const char *argv[] = {"run", "--arch", "arm64", "--hv-profile", "pa", "--runstate",
                          "profile", "--workload", "runstate:kpti=1,tasks=2", "--seed", "0"};
    char h[SIM_SHA256_HEX_LEN];
    run_hash(11, argv, h);
    CHECK_STR(sw.pts[6].config_hash, h);
    CHECK(strcmp(sw.pts[6].config_hash, sw.pts[7].config_hash));
    sim_sweep_free(&sw);
}

/* A spec mistake: -EINVAL with "SPEC:LINE: " and a word of the message. */
static void expect_error(const char *text, int line, const char *word)
{
    struct sim_sweep sw;
    char err[1024], prefix[700];
    int rc = load(text, &sw, err, sizeof(err));
    CHECK_EQ(rc, -EINVAL);
    snprintf(prefix, sizeof(prefix), "%s:%d: ", spec, line);
    bool ok = !strncmp(err, prefix, strlen(prefix)) && strstr(err, word) && !strchr(err, '\n');
    CHECK(ok);
    if (!ok)
        fprintf(stderr, "  want '%s...%s', got '%s'\n", prefix, word, err);
    CHECK_EQ(sw.npts, 0);
}

static void test_errors(void)
{
    const char *head = "[grid]\narch = arm64\nimage = @IMG@\nbare = yes\n";
    char t[1024];
#define WITH(extra) (snprintf(t, sizeof(t), "%s%s", head, extra), t)
    expect_error(WITH("colour = blue\n"), 5, "unknown key 'colour'");
    expect_error(WITH("cpu = cortex-a57, pentium\n"), 5, "unknown CPU model 'pentium'");
    expect_error(WITH("cache = on,, off\n"), 5, "empty value");
    expect_error(WITH("seeds = 3..1\n"), 5, "A <= B");
    expect_error(WITH("seeds = x\n"), 5, "not a number");
    expect_error(WITH("max_insns = lots\n"), 5, "positive count");
    expect_error(WITH("mem = 3\n"), 5, "mem");
    expect_error(WITH("vcpus = 0\n"), 5, "from 1 to 64");
    expect_error(WITH("bare = maybe\n"), 5, "given twice");
    expect_error("[grid]\nimage = @IMG@\nbare = maybe\n", 3, "not yes or no");
    expect_error(WITH("\n\ntlb = l2=banana\n"), 7, "tlb");
    expect_error(WITH("tlb = \"l2=1024x4\n"), 5, "unterminated");
    expect_error(WITH("hv_profile = pa\n"), 5, "does not apply to bare runs");
    expect_error(WITH("runstate = sometimes\n"), 5, "unknown runstate policy");
    expect_error(WITH("cpu = skylake\n"), 5, "x86_64 model");
    expect_error(WITH("cpu = help\n"), 5, "unknown CPU model");
    expect_error(WITH("workload = runstate\n"), 5, "not both");
    expect_error(WITH("params = kpti=0\n"), 5, "need 'workload");
    expect_error(WITH("cmdline =\n"), 5, "no value");
    expect_error(WITH("cpu = cortex-a57,\n"), 5, "ends with ','");
    expect_error(WITH("[grid]\n"), 5, "empty [grid] section");
    expect_error(WITH("[study]\n"), 5, "unknown section");
    expect_error("arch = arm64\n[grid]\n", 1, "outside a [grid] section");
    expect_error("# nothing\n\n", 2, "empty grid");
    expect_error("", 1, "empty grid");
    expect_error("[grid]\narch = arm64\nbare = yes\n", 1, "needs 'image = FILE'");
    expect_error("[grid]\nimage = /nonexistent/x.elf\n", 2, "cannot read");
    expect_error("[grid]\narch = sparc\n", 2, "unknown architecture");
    expect_error("[grid]\nworkload = nosuch\n", 2, "no workload named");
    expect_error("[grid\n", 1, "without ']'");
    /* a point `hvsim run` refuses: the section's line */
    expect_error("[grid]\nimage = @IMG@\narch = arm64\nbare = yes\nvcpus = 2\n", 1,
                 "not a valid run");
#undef WITH
    /* an unreadable spec is not a spec error */
    struct sim_sweep sw;
    char err[256];
    CHECK_EQ(sim_sweep_load("/nonexistent/spec.ini", &sw, err, sizeof(err)), -ENOENT);
}

static void test_shell_quote(void)
{
    char b[64];
    CHECK_EQ(sim_sweep_shell_quote("--tlb", b, sizeof(b)), 5);
    CHECK_STR(b, "--tlb");
    sim_sweep_shell_quote("l2=2048x8,itlb=32x4", b, sizeof(b));
    CHECK_STR(b, "l2=2048x8,itlb=32x4");
    sim_sweep_shell_quote("a b", b, sizeof(b));
    CHECK_STR(b, "'a b'");
    sim_sweep_shell_quote("it's", b, sizeof(b));
    CHECK_STR(b, "'it'\\''s'");
    sim_sweep_shell_quote("", b, sizeof(b));
    CHECK_STR(b, "''");
    sim_sweep_shell_quote("$(rm -rf x);`y`", b, sizeof(b));
    CHECK_STR(b, "'$(rm -rf x);`y`'");
    CHECK_EQ(sim_sweep_shell_quote("abcdef", b, 4), -1);
}

int main(void)
{
    char wl[700], wlimg[800];
    snprintf(dir, sizeof(dir), "%s/test_sweep_spec", test_tmpdir());
    mkdir(dir, 0777);
    snprintf(spec, sizeof(spec), "%s/spec.ini", dir);
    snprintf(image, sizeof(image), "%s/sweep-image.bin", dir);
    write_text(image, "not really an image: with arch given, the sweep only hashes it\n");
    /* a stand-in for the built runstate workload ($HVSIM_WORKLOAD_DIR/<arch>/<name>.elf) */
    snprintf(wl, sizeof(wl), "%s/wl", dir);
    mkdir(wl, 0777);
    snprintf(wlimg, sizeof(wlimg), "%s/wl/arm64", dir);
    mkdir(wlimg, 0777);
    snprintf(wlimg, sizeof(wlimg), "%s/wl/arm64/runstate.elf", dir);
    write_text(wlimg, "stand-in workload image\n");
    setenv("HVSIM_WORKLOAD_DIR", wl, 1);

    test_basic_grid();
    test_union_quotes_continuation();
    test_workload_params();
    test_errors();
    test_shell_quote();
    return test_summary();
}
