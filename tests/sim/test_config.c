/* tests/sim/test_config.c - canonical config JSON and hash; number parsing for options. */
#include "sim/cli.h"
#include "sim/config.h"
#include "testutil.h"

int main(void)
{
    struct sim_config a, b;
    char ja[2048], jb[2048], ha[SIM_SHA256_HEX_LEN], hb[SIM_SHA256_HEX_LEN];
    sim_config_defaults(&a);
    a.arch = SIM_ARCH_A64;
    a.cpu = "cortex-a57";
    a.workload = "runstate";
    a.workload_params = "kpti=1";
    b = a;
    /* Outputs do not change the hash; result-affecting fields do. */
    b.db = "other.db";
    b.stats_json = "x.json";
    b.trace = true;
    CHECK(sim_config_json(&a, "abc", NULL, ja, sizeof(ja)) > 0);
    CHECK(sim_config_json(&b, "abc", NULL, jb, sizeof(jb)) > 0);
    CHECK_STR(ja, jb);
    sim_config_hash(ja, ha);
    sim_config_hash(jb, hb);
    CHECK_STR(ha, hb);
    CHECK_EQ(strlen(ha), 64);
    b.hv_profile = "kvm";
    sim_config_json(&b, "abc", NULL, jb, sizeof(jb));
    sim_config_hash(jb, hb);
    CHECK(strcmp(ha, hb) != 0);
    CHECK(strstr(ja, "\"workload_params\":\"kpti=1\"") != NULL);
    CHECK(strstr(ja, "\"arch\":\"arm64\"") != NULL);
    /* The known SHA-256 of "abc" (FIPS 180-2 example). */
    sim_sha256_hex("abc", 3, ha);
    CHECK_STR(ha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* Too small a buffer is an error, not a truncated JSON. */
    CHECK_EQ(sim_config_json(&a, "abc", NULL, ja, 20), -1);
    /* Quoting. */
    a.cmdline = "console=\"hvc0\"\n";
    CHECK(sim_config_json(&a, "abc", "{\"k\":1}", ja, sizeof(ja)) > 0);
    CHECK(strstr(ja, "\"cmdline\":\"console=\\\"hvc0\\\"\\u000a\"") != NULL);
    CHECK(strstr(ja, ",\"model\":{\"k\":1}}") != NULL);

    uint64_t v;
    CHECK_EQ(sim_parse_u64("256M", &v, true), 0);
    CHECK_EQ(v, 256ull << 20);
    CHECK_EQ(sim_parse_u64("0x1000", &v, false), 0);
    CHECK_EQ(v, 0x1000);
    CHECK_EQ(sim_parse_u64("4GiB", &v, true), 0);
    CHECK_EQ(v, 4ull << 30);
    CHECK_EQ(sim_parse_u64("12x", &v, false), -1);
    CHECK_EQ(sim_parse_u64("-1", &v, false), -1);
    CHECK_EQ(sim_parse_u64("", &v, false), -1);
    CHECK_EQ(sim_parse_u64("99999999999999999999", &v, false), -1);
    CHECK_EQ(sim_parse_u64("17179869184T", &v, true), -1); /* overflow with suffix */
    CHECK_EQ(sim_parse_u64("5M", &v, false), -1);          /* suffix not allowed */
    return test_summary();
}
