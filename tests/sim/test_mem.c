/* tests/sim/test_mem.c - guest memory: regions, accessors, bounds, MMIO, code-page watch. */
#include <errno.h>

#include "sim/mem.h"
#include "testutil.h"

struct mmio_dev {
    uint64_t last_off, last_val;
    unsigned last_size, reads, writes;
};

static int dev_read(void *o, uint64_t off, unsigned size, uint64_t *val)
{
    struct mmio_dev *d = o;
    d->reads++;
    d->last_off = off;
    d->last_size = size;
    *val = 0xabcd0000 | off;
    return 0;
}

static int dev_write(void *o, uint64_t off, unsigned size, uint64_t val)
{
    struct mmio_dev *d = o;
    d->writes++;
    d->last_off = off;
    d->last_size = size;
    d->last_val = val;
    return 0;
}

static const struct sim_mmio_ops dev_ops = {dev_read, dev_write};

static unsigned code_hits;
static uint64_t code_last;
static void on_code(void *o, uint64_t pa)
{
    (void)o;
    code_hits++;
    code_last = pa;
}

int main(void)
{
    struct sim_mem m;
    struct mmio_dev dev = {0};
    uint64_t v;
    sim_mem_init(&m);

    /* A large lazily backed RAM region costs nothing until touched. */
    CHECK_EQ(sim_mem_add_ram(&m, "ram", 0x40000000, 4ull << 30), 0);
    CHECK_EQ(sim_mem_add_mmio(&m, "uart", 0x09000000, 0x1000, &dev_ops, &dev), 0);
    CHECK_EQ(sim_mem_add_reserved(&m, "hole", 0x08000000, 0x1000), 0);
    /* Overlap, zero size, misalignment, overflow are refused. */
    CHECK_EQ(sim_mem_add_ram(&m, "dup", 0x40001000, 0x1000), -EINVAL);
    CHECK_EQ(sim_mem_add_ram(&m, "zero", 0x10000000, 0), -EINVAL);
    CHECK_EQ(sim_mem_add_ram(&m, "odd", 0x10000001, 0x1000), -EINVAL);
    CHECK_EQ(sim_mem_add_mmio(&m, "wrap", ~0ull - 10, 0x100, &dev_ops, &dev), -EINVAL);

    /* Little-endian accessors of every size. */
    CHECK_EQ(sim_mem_write(&m, 0x40000000, 8, 0x1122334455667788ull), 0);
    CHECK_EQ(sim_mem_read(&m, 0x40000000, 1, &v), 0);
    CHECK_EQ(v, 0x88);
    CHECK_EQ(sim_mem_read(&m, 0x40000002, 2, &v), 0);
    CHECK_EQ(v, 0x5566);
    CHECK_EQ(sim_mem_read(&m, 0x40000004, 4, &v), 0);
    CHECK_EQ(v, 0x11223344);
    CHECK_EQ(sim_mem_read(&m, 0x40000000, 3, &v), -EINVAL);
    /* Far end of RAM, and one byte past it. */
    uint64_t end = 0x40000000 + (4ull << 30);
    CHECK_EQ(sim_mem_write(&m, end - 8, 8, 42), 0);
    CHECK_EQ(sim_mem_read(&m, end - 8, 8, &v), 0);
    CHECK_EQ(v, 42);
    CHECK_EQ(sim_mem_read(&m, end - 4, 8, &v), -EFAULT);
    CHECK_EQ(sim_mem_read(&m, end, 1, &v), -EFAULT);
    CHECK_EQ(sim_mem_read(&m, 0x08000000, 4, &v), -EFAULT); /* reserved */
    CHECK_EQ(sim_mem_read(&m, 0, 4, &v), -EFAULT);          /* nothing */

    /* MMIO goes to the device with the region-relative offset. */
    CHECK_EQ(sim_mem_write(&m, 0x09000018, 4, 0x41), 0);
    CHECK_EQ(dev.writes, 1);
    CHECK_EQ(dev.last_off, 0x18);
    CHECK_EQ(dev.last_val, 0x41);
    CHECK_EQ(sim_mem_read(&m, 0x09000004, 2, &v), 0);
    CHECK_EQ(v, 0xabcd0004);
    CHECK_EQ(dev.last_size, 2);

    /* Fast host pointer: inside one RAM region only. */
    uint8_t *p = sim_mem_host(&m, 0x40000000, 16);
    CHECK(p != NULL);
    CHECK_EQ(p[0], 0x88);
    CHECK(sim_mem_host(&m, end - 8, 16) == NULL);
    CHECK(sim_mem_host(&m, 0x09000000, 4) == NULL);

    /* Bulk copies are all-or-nothing. */
    uint8_t buf[32] = {1, 2, 3};
    CHECK_EQ(sim_mem_write_buf(&m, 0x40001000, buf, sizeof(buf)), 0);
    uint8_t back[32] = {0};
    CHECK_EQ(sim_mem_read_buf(&m, 0x40001000, back, sizeof(back)), 0);
    CHECK(!memcmp(buf, back, sizeof(buf)));
    CHECK_EQ(sim_mem_write_buf(&m, end - 16, buf, sizeof(buf)), -EFAULT);
    CHECK_EQ(sim_mem_read(&m, end - 16, 8, &v), 0);
    CHECK_EQ(v, 0); /* nothing written by the failed copy */
    CHECK(sim_mem_is_ram(&m, 0x40000000, 4096));
    CHECK(!sim_mem_is_ram(&m, end - 1, 2));
    CHECK(!sim_mem_is_ram(&m, ~0ull - 1, 4)); /* overflow */

    /* Code-page watch: a store to a marked page calls back once and clears the mark. */
    m.on_code_write = on_code;
    sim_mem_mark_code(&m, 0x40002000);
    CHECK(sim_mem_is_code(&m, 0x40002abc));
    CHECK_EQ(sim_mem_write(&m, 0x40003000, 4, 1), 0);
    CHECK_EQ(code_hits, 0);
    CHECK_EQ(sim_mem_write(&m, 0x40002010, 4, 1), 0);
    CHECK_EQ(code_hits, 1);
    CHECK_EQ(code_last, 0x40002000);
    CHECK(!sim_mem_is_code(&m, 0x40002000));
    sim_mem_mark_code(&m, 0x40002000);
    CHECK_EQ(sim_mem_write_buf(&m, 0x40001ff0, buf, 32), 0); /* straddles into the page */
    CHECK_EQ(code_hits, 2);

    sim_mem_destroy(&m);
    return test_summary();
}
