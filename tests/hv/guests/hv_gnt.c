/* tests/hv/guests/hv_gnt.c - GNTTABOP_copy (xen/common/grant_table.c gnttab_copy) with each
 * status it can give, and (under the pa-flag profile) pa-flag buffer descriptors: a linear
 * guest-physical buffer, a scatter/gather list over two pages in reverse physical order, and a
 * reserved descriptor type. The MMU stays off, so VA == IPA. Prints "name value" lines. */
#include "guest.h"

#define HYPERVISOR_memory_op 12
#define HYPERVISOR_multicall 13
#define HYPERVISOR_grant_table_op 20
#define DOMID_SELF 0x7ff0
#define PA_FLAG 0x40000000ul

struct gptr {
    u64 u;                       /* union { grant_ref_t ref; xen_pfn_t gmfn; } */
    unsigned short domid, offset;
};
struct gcopy {
    struct gptr source, dest;
    unsigned short len, flags;
    short status;
};
struct gentry {                  /* struct grant_entry_v1 */
    unsigned short flags, domid;
    u32 frame;
};

static u8 src[4096] __attribute__((aligned(4096)));
static u8 dst[4096] __attribute__((aligned(4096)));
static u8 pg[2][4096] __attribute__((aligned(4096)));
static struct gcopy op;
static u64 sg[4];

u64 exc_handler(u64 type, u64 esr, u64 elr, u64 far)
{
    (void)type;
    (void)far;
    put_hex("unexpected_exception_esr ", esr);
    guest_shutdown(3);
    return elr;
}

void secondary_main(u64 ctx)
{
    (void)ctx;
}

static long copy1(u64 su, unsigned short sdom, u64 du, unsigned short ddom, unsigned short len,
                  unsigned short soff, unsigned short doff, unsigned short flags)
{
    op.source.u = su;
    op.source.domid = sdom;
    op.source.offset = soff;
    op.dest.u = du;
    op.dest.domid = ddom;
    op.dest.offset = doff;
    op.len = len;
    op.flags = flags;
    op.status = 99;
    long rc = hcall(HYPERVISOR_grant_table_op, 5, &op, 1);
    return rc ? rc : op.status;
}

int main(u64 dtb)
{
    (void)dtb;
    u64 sf = (u64)src >> 12, df = (u64)dst >> 12;
    for (int i = 0; i < 4096; i++)
        src[i] = (u8)(i * 7 + 1);
    put_dec("gc_ok ", copy1(sf, DOMID_SELF, df, DOMID_SELF, 100, 8, 16, 0));
    int same = 1;
    for (int i = 0; i < 100; i++)
        same &= dst[16 + i] == src[8 + i];
    put_dec("gc_data ", same && dst[15] == 0 && dst[116] == 0);
    put_dec("gc_gmfn_domid ", copy1(sf, 1, df, DOMID_SELF, 8, 0, 0, 0));
    put_dec("gc_bad_domain ", copy1(0, 7, df, DOMID_SELF, 8, 0, 0, 1));
    put_dec("gc_bad_page ", copy1(0x1000, DOMID_SELF, df, DOMID_SELF, 8, 0, 0, 0));
    put_dec("gc_beyond ", copy1(sf, DOMID_SELF, df, DOMID_SELF, 64, 4090, 0, 0));
    put_dec("gc_bad_gntref ", copy1(512, 1, df, DOMID_SELF, 8, 0, 0, 1));
    /* grant entries: map frame 0 at the grant window, ref 3 = src (rw), ref 4 = dst (ro) */
    struct { unsigned short domid, size; u32 space; u64 idx, gpfn; } xatp = {DOMID_SELF, 0, 1, 0,
                                                                          0x38000};
    put_dec("map_grant_frame ", hcall(HYPERVISOR_memory_op, 7, &xatp, 0));
    volatile struct gentry *gt = (volatile struct gentry *)0x38000000ul;
    put_dec("gc_unpermitted ", copy1(3, 1, df, DOMID_SELF, 8, 0, 0, 1));
    gt[3].frame = (u32)sf;
    gt[3].domid = 1;
    gt[3].flags = 1;                 /* GTF_permit_access */
    gt[4].frame = (u32)df;
    gt[4].domid = 1;
    gt[4].flags = 1 | 4;             /* GTF_permit_access | GTF_readonly */
    put_dec("gc_wrong_dom ", (gt[5] = (struct gentry){1, 9, (u32)sf},
                              copy1(5, 1, df, DOMID_SELF, 8, 0, 0, 1)));
    dst[0] = 0;
    put_dec("gc_gref_src ", copy1(3, 1, df, DOMID_SELF, 8, 0, 0, 1));
    put_dec("gc_gref_data ", dst[0] == src[0]);
    put_dec("gc_ro_dest ", copy1(sf, DOMID_SELF, 4, 1, 8, 0, 0, 2));
    put_dec("gc_ro_source ", copy1(4, DOMID_SELF, sf, DOMID_SELF, 8, 0, 0, 1));
    put_dec("gc_badptr ", hcall(HYPERVISOR_grant_table_op, 5, 0x10ul, 1));
    put_dec("gc_opaque ", hcall(HYPERVISOR_grant_table_op, 5 | 0x1000, &op, 1));
    /* map / unmap (measured on Xen 4.17 for a dom0less domU) */
    static struct { u64 host_addr; u32 flags, ref; unsigned short dom; short status; u32 handle;
                    u64 dev; } mg;
    mg.host_addr = (u64)dst;
    mg.flags = 1;
    mg.dom = 1;
    mg.status = 99;
    mg.handle = 0x5a5a;
    put_dec("map_rc ", hcall(HYPERVISOR_grant_table_op, 0, &mg, 1));
    put_dec("map_st ", mg.status);
    put_hex("map_handle ", mg.handle);
    mg.flags = 0;
    hcall(HYPERVISOR_grant_table_op, 0, &mg, 1);
    put_dec("map_noflags_st ", mg.status);
    static struct { u64 host_addr, dev; u32 handle; short status; } um = {0, 0, 7, 99};
    put_dec("unmap_rc ", hcall(HYPERVISOR_grant_table_op, 1, &um, 1));
    put_dec("unmap_st ", um.status);
    put_dec("gc_negative ", hcall(HYPERVISOR_grant_table_op, 5, &op, 0x80000000ul));

    /* pa-flag descriptors (docs/hv.md "pa-flag encoding") */
    long probe = hcall(HYPERVISOR_xen_version | PA_FLAG, 0, 0, 0);
    put_dec("pa_probe ", probe > 0);
    if (probe > 0) {
        static const char hi[] = "sg hello ", wo[] = "world\n";
        for (int i = 0; i < 9; i++)
            pg[1][4096 - 9 + i] = (u8)hi[i];
        for (int i = 0; i < 6; i++)
            pg[0][i] = (u8)wo[i];
        sg[0] = 4096 - 9;                /* offset into the first page */
        sg[1] = (u64)pg[1] >> 12;        /* first page: physically the second */
        sg[2] = (u64)pg[0] >> 12;
        put_dec("pa_sg_console ", hcall(HYPERVISOR_console_io | PA_FLAG, 0, 15, (u64)sg | 1));
        put_dec("pa_linear_console ", hcall(HYPERVISOR_console_io | PA_FLAG, 0, 6, (u64)pg[0]));
        put_dec("pa_reserved ", hcall(HYPERVISOR_console_io | PA_FLAG, 0, 6, (u64)pg[0] | 2));
        sg[0] = 4096;
        put_dec("pa_sg_badoff ", hcall(HYPERVISOR_console_io | PA_FLAG, 0, 6, (u64)sg | 1));
        /* grant copy whose op array is an S/G buffer crossing the two pages */
        struct gcopy *c = (struct gcopy *)(pg[1] + 4096 - 20);
        struct gcopy g = {{sf, DOMID_SELF, 0}, {df, DOMID_SELF, 0}, 32, 0, 99};
        u8 *gb = (u8 *)&g;
        for (unsigned i = 0; i < sizeof(g); i++)
            ((u8 *)(i < 20 ? pg[1] + 4096 - 20 + i : pg[0] + (i - 20)))[0] = gb[i];
        (void)c;
        sg[0] = 4096 - 20;
        dst[0] = 0;
        long rc = hcall(HYPERVISOR_grant_table_op | PA_FLAG, 5, (u64)sg | 1, 1);
        short st = (short)(pg[0][16] | pg[0][17] << 8);   /* status at byte 36 = 20 + 16 */
        put_dec("pa_sg_gcopy ", rc);
        put_dec("pa_sg_gcopy_status ", st);
        put_dec("pa_sg_gcopy_data ", dst[0] == src[0]);
        /* multicall list as a linear guest-physical buffer */
        static u64 mc[8] __attribute__((aligned(64)));
        mc[0] = HYPERVISOR_xen_version;
        put_dec("pa_multicall ", hcall(HYPERVISOR_multicall | PA_FLAG, mc, 1, 0));
        put_hex("pa_mc0 ", mc[1]);
    }
    puts_("gnt done\n");
    return 0;
}
