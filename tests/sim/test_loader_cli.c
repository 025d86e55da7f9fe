/* tests/sim/test_loader_cli.c - `hvsim image` end to end (label "cli"): argv[1] is the
 * hvsim binary. Good images print the expected fields (text and --json); a malformed or
 * missing file exits 1 with one stderr line "hvsim: FILE: ..."; usage errors exit 2. */
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/test_loader_gen.h"
#include "testutil.h"

struct run {
    int status;
    char out[8192], err[4096];
};

static void slurp(const char *path, char *buf, size_t cap)
{
    buf[0] = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = 0;
    fclose(f);
}

/* Run hvsim with args (NULL-terminated) and capture exit status, stdout and stderr. */
static void run_hvsim(const char *hvsim, struct run *r, const char *const *args)
{
    char outp[512], errp[512];
    snprintf(outp, sizeof(outp), "%s/loader-cli.out", test_tmpdir());
    snprintf(errp, sizeof(errp), "%s/loader-cli.err", test_tmpdir());
    const char *argv[16] = {hvsim, "image"};
    unsigned n = 2;
    for (; args[n - 2] && n < 15; n++)
        argv[n] = args[n - 2];
    argv[n] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (o < 0 || e < 0)
            _exit(127);
        dup2(o, 1);
        dup2(e, 2);
        execv(hvsim, (char *const *)argv);
        _exit(127);
    }
    int st = 0;
    r->status = -1;
    if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st))
        r->status = WEXITSTATUS(st);
    slurp(outp, r->out, sizeof(r->out));
    slurp(errp, r->err, sizeof(r->err));
}

#define CHECK_HAS(hay, needle)                                                               \
    do {                                                                                     \
        if (strstr((hay), (needle))) {                                                       \
            test_pass_count++;                                                               \
        } else {                                                                             \
            test_fail_count++;                                                               \
            fprintf(stderr, "%s:%d: output lacks \"%s\":\n%s\n", __FILE__, __LINE__, (needle), \
                    (hay));                                                                  \
        }                                                                                    \
    } while (0)

/* stderr is exactly one line starting with prefix */
static bool one_line(const char *s, const char *prefix)
{
    size_t n = strlen(s);
    return n > 0 && s[n - 1] == '\n' && strchr(s, '\n') == s + n - 1 &&
           !strncmp(s, prefix, strlen(prefix));
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_loader_cli HVSIM\n");
        return 2;
    }
    const char *hv = argv[1];
    const char *tmp = test_tmpdir();
    char elf[512], gz[512], raw[512], bad[512], missing[512];
    snprintf(elf, sizeof(elf), "%s/cli-guest.elf", tmp);
    snprintf(gz, sizeof(gz), "%s/cli-Image.gz", tmp);
    snprintf(raw, sizeof(raw), "%s/cli-raw.bin", tmp);
    snprintf(bad, sizeof(bad), "%s/cli-overlap.elf", tmp);
    snprintf(missing, sizeof(missing), "%s/cli-missing.elf", tmp);
    unlink(missing);

    uint32_t p32 = 0x1000040;
    struct tl_note notes[] = {{NULL, 18, &p32, 4}, {NULL, 6, "linux", 6}};
    struct tl_seg segs[] = {
        {0x40080000, 0xffff800000080000ull, 0x300, 0x1000, PF_R | PF_X},
        {0x40090000, 0xffff800000090000ull, 0x80, 0x2000, PF_R | PF_W},
    };
    size_t len = 0, glen = 0;
    uint8_t *b = tl_elf(true, EM_AARCH64, 0xffff800000080010ull, segs, 2, notes, 2, false, &len);
    CHECK_EQ(tl_write(elf, b, len), 0);
    ((Elf64_Phdr *)(b + sizeof(Elf64_Ehdr)))[1].p_paddr = 0x40080800;
    CHECK_EQ(tl_write(bad, b, len), 0);
    free(b);
    b = tl_arm64_image(0x80000, 0x4000, 0x2, true, 0x1000);
    uint8_t *g = tl_gzip(b, 0x1000, &glen);
    CHECK_EQ(tl_write(gz, g, glen), 0);
    free(g);
    free(b);
    CHECK_EQ(tl_write(raw, "\x01\x02\x03\x04\x05\x06\x07\x08", 8), 0);

    struct run r;
    run_hvsim(hv, &r, (const char *[]){elf, NULL});
    CHECK_EQ(r.status, 0);
    CHECK_HAS(r.out, "format:       ELF64");
    CHECK_HAS(r.out, "arch:         arm64");
    CHECK_HAS(r.out, "entry:        0x40080010");
    CHECK_HAS(r.out, "[0] paddr 0x40080000 vaddr 0xffff800000080000 filesz 0x300 memsz 0x1000 flags R-X");
    CHECK_HAS(r.out, "[1] paddr 0x40090000 vaddr 0xffff800000090000 filesz 0x80 memsz 0x2000 flags RW-");
    CHECK_HAS(r.out, "PHYS32_ENTRY       0x1000040");
    CHECK_HAS(r.out, "GUEST_OS           \"linux\"");
    CHECK_STR(r.err, "");

    run_hvsim(hv, &r, (const char *[]){"--json", elf, NULL});
    CHECK_EQ(r.status, 0);
    CHECK_HAS(r.out, "\"format\": \"ELF64\"");
    CHECK_HAS(r.out, "\"entry\": \"0x40080010\"");
    CHECK_HAS(r.out, "\"phys32_entry\": \"0x1000040\"");
    CHECK_HAS(r.out, "{\"type\": 6, \"name\": \"GUEST_OS\", \"value\": \"linux\", \"descsz\": 6}");

    run_hvsim(hv, &r, (const char *[]){gz, "--ram-base", "0x80000000", NULL});
    CHECK_EQ(r.status, 0);
    CHECK_HAS(r.out, "format:       arm64 Image");
    CHECK_HAS(r.out, "gzipped:      yes");
    CHECK_HAS(r.out, "entry:        0x80080000");
    CHECK_HAS(r.out, "text_offset 0x80000, image_size 0x4000, flags 0x2");
    CHECK_HAS(r.out, "EFI stub yes");
    CHECK_HAS(r.out, "filesz 0x1000 memsz 0x4000 flags RWX");

    run_hvsim(hv, &r, (const char *[]){"--load-addr", "0x80000", raw, NULL});
    CHECK_EQ(r.status, 0);
    CHECK_HAS(r.out, "format:       raw");
    CHECK_HAS(r.out, "[0] paddr 0x80000 vaddr 0x80000 filesz 0x8 memsz 0x8");

    /* failures: exit 1, one line "hvsim: FILE: problem", nothing on stdout */
    char prefix[600];
    run_hvsim(hv, &r, (const char *[]){bad, NULL});
    CHECK_EQ(r.status, 1);
    snprintf(prefix, sizeof(prefix), "hvsim: %s: ", bad);
    CHECK(one_line(r.err, prefix));
    CHECK_HAS(r.err, "overlap");
    CHECK_STR(r.out, "");
    run_hvsim(hv, &r, (const char *[]){raw, NULL});
    CHECK_EQ(r.status, 1);
    snprintf(prefix, sizeof(prefix), "hvsim: %s: ", raw);
    CHECK(one_line(r.err, prefix));
    CHECK_HAS(r.err, "--load-addr");
    run_hvsim(hv, &r, (const char *[]){missing, NULL});
    CHECK_EQ(r.status, 1);
    snprintf(prefix, sizeof(prefix), "hvsim: %s: ", missing);
    CHECK(one_line(r.err, prefix));
    CHECK_HAS(r.err, "No such file or directory");
    run_hvsim(hv, &r, (const char *[]){"--gunzip-limit", "1K", gz, NULL});
    CHECK_EQ(r.status, 1);
    CHECK_HAS(r.err, "exceeds limit of 1024 bytes");

    /* usage errors: exit 2, one line */
    run_hvsim(hv, &r, (const char *[]){"--bogus", elf, NULL});
    CHECK_EQ(r.status, 2);
    CHECK(one_line(r.err, "hvsim: "));
    run_hvsim(hv, &r, (const char *[]){NULL});
    CHECK_EQ(r.status, 2);
    CHECK(one_line(r.err, "hvsim: "));
    run_hvsim(hv, &r, (const char *[]){"--load-addr", "zz", raw, NULL});
    CHECK_EQ(r.status, 2);
    CHECK(one_line(r.err, "hvsim: "));
    run_hvsim(hv, &r, (const char *[]){elf, raw, NULL});
    CHECK_EQ(r.status, 2);
    CHECK(one_line(r.err, "hvsim: "));
    run_hvsim(hv, &r, (const char *[]){"--help", NULL});
    CHECK_EQ(r.status, 0);
    CHECK_HAS(r.out, "usage: hvsim image FILE");
    return test_summary();
}
