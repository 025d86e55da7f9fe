/* isa/arm64/models.c - CPU models: identification registers and the features they
 * advertise. The decoder and the system-register code consult only these tables. */
#include "isa/arm64/a64_internal.h"

/* Cortex-A57 r1p0 (ARM DDI0488 Cortex-A57 MPCore TRM, 4.3 "AArch64 register summary"),
 * configuration without the Cryptographic Extension (ID_AA64ISAR0_EL1 = 0x00010000,
 * ID_ISAR5_EL1 = 0x00010001), 2 MB L2, GIC CPU interface disabled (GICCDISABLE HIGH:
 * ID_AA64PFR0_EL1 = 0x00002222). Clocks: Juno r2 A57 cluster at 1.2 GHz with a 50 MHz
 * system counter (ARM DDI0515 Juno r2 TRM), 24 cycles per counter tick. */
static const struct a64_model model_a57 = {
    .name = "cortex-a57",
    .features = A64_FEAT(base) | A64_FEAT(crc),
    .midr = 0x411fd070,
    .revidr = 0,
    .mpidr_base = 0x80000000,
    .ctr = 0x8444c004,
    .dczid = 0x4,
    .clidr = 0x0a200023,
    .aidr = 0,
    .ccsidr = {0x701fe00a, 0x201fe012, 0x70ffe07a},
    .aa64pfr = {0x00002222, 0},
    .aa64dfr = {0x10305106, 0},
    .aa64afr = {0, 0},
    .aa64isar = {0x00010000, 0, 0},
    .aa64mmfr = {0x00001124, 0, 0},
    .id_pfr = {0x00000131, 0x00011011, 0},
    .id_dfr = {0x03010066, 0},
    .id_afr0 = 0,
    .id_mmfr = {0x10101105, 0x40000000, 0x01260000, 0x02102211, 0, 0},
    .id_isar = {0x02101110, 0x13112111, 0x21232042, 0x01112131, 0x00011142, 0x00010001, 0},
    .mvfr = {0x10110222, 0x12111111, 0x00000043},
    .pmcr = 0x41013000, /* IMP 0x41, IDCODE 0x01, N = 6 counters */
    .pa_bits = 44,
    .brps = 6,
    .wrps = 4,
    .cpu_hz = 1200000000,
    .cntfrq = 50000000,
};

/* "max": the Cortex-A57 base plus the Armv8.1/8.2/8.3/8.5 features this simulator
 * implements: LSE atomics (ID_AA64ISAR0_EL1.Atomic = 2), CRC32 (= 1), RNDR (= 1),
 * LDAPR (ID_AA64ISAR1_EL1.LRCPC = 1), PAN (ID_AA64MMFR1_EL1.PAN = 1) and UAO
 * (ID_AA64MMFR2_EL1.UAO = 1). MIDR uses implementer 0 ("reserved for software use"). */
static const struct a64_model model_max = {
    .name = "max",
    .features = A64_FEAT(base) | A64_FEAT(crc) | A64_FEAT(lse) | A64_FEAT(rng) | A64_FEAT(rcpc) |
                A64_FEAT(pan) | A64_FEAT(uao),
    .midr = 0x000f0510,
    .revidr = 0,
    .mpidr_base = 0x80000000,
    .ctr = 0x8444c004,
    .dczid = 0x4,
    .clidr = 0x0a200023,
    .aidr = 0,
    .ccsidr = {0x701fe00a, 0x201fe012, 0x70ffe07a},
    .aa64pfr = {0x00002222, 0},
    .aa64dfr = {0x10305106, 0},
    .aa64afr = {0, 0},
    .aa64isar = {0x1000000000210000ull, 0x00100000, 0},
    .aa64mmfr = {0x00001124, 0x00100000, 0x00000010},
    .id_pfr = {0x00000131, 0x00011011, 0},
    .id_dfr = {0x03010066, 0},
    .id_afr0 = 0,
    .id_mmfr = {0x10101105, 0x40000000, 0x01260000, 0x02102211, 0, 0},
    .id_isar = {0x02101110, 0x13112111, 0x21232042, 0x01112131, 0x00011142, 0x00010001, 0},
    .mvfr = {0x10110222, 0x12111111, 0x00000043},
    .pmcr = 0x41013000,
    .pa_bits = 44,
    .brps = 6,
    .wrps = 4,
    .cpu_hz = 1200000000,
    .cntfrq = 50000000,
};

const struct a64_model *a64_model_find(const char *name)
{
    if (!name || !strcmp(name, "cortex-a57"))
        return &model_a57;
    if (!strcmp(name, "max"))
        return &model_max;
    return NULL;
}

bool a64_model_id_reg(const struct a64_cpu *c, uint32_t enc, uint64_t *val)
{
    const struct a64_model *m = c->model;
    if ((enc >> 7) != (A64_SYSREG(3, 0, 0, 0, 0) >> 7))
        return false; /* not op0=3, op1=0, CRn=0 */
    unsigned crm = (enc >> 3) & 0xf, op2 = enc & 7;
    uint64_t v = 0;
    switch (crm) {
    case 0:
        switch (op2) {
        case 0: v = m->midr; break;
        case 5: v = m->mpidr_base | c->cpu_index; break;
        case 6: v = m->revidr; break;
        default: return false;
        }
        break;
    case 1: {
        const uint64_t t[8] = {m->id_pfr[0], m->id_pfr[1], m->id_dfr[0], m->id_afr0,
                               m->id_mmfr[0], m->id_mmfr[1], m->id_mmfr[2], m->id_mmfr[3]};
        v = t[op2];
        break;
    }
    case 2: {
        const uint64_t t[8] = {m->id_isar[0], m->id_isar[1], m->id_isar[2], m->id_isar[3],
                               m->id_isar[4], m->id_isar[5], m->id_mmfr[4], m->id_isar[6]};
        v = t[op2];
        break;
    }
    case 3: {
        const uint64_t t[8] = {m->mvfr[0], m->mvfr[1], m->mvfr[2], 0,
                               m->id_pfr[2], m->id_dfr[1], m->id_mmfr[5], 0};
        v = t[op2];
        break;
    }
    case 4: {
        const uint64_t t[8] = {m->aa64pfr[0], m->aa64pfr[1], 0, 0, m->aa64zfr0, m->aa64smfr0, 0, 0};
        v = t[op2];
        break;
    }
    case 5: {
        const uint64_t t[8] = {m->aa64dfr[0], m->aa64dfr[1], 0, 0, m->aa64afr[0], m->aa64afr[1], 0, 0};
        v = t[op2];
        break;
    }
    case 6:
        v = op2 < 3 ? m->aa64isar[op2] : 0;
        break;
    case 7:
        v = op2 < 3 ? m->aa64mmfr[op2] : 0;
        break;
    default:
        return false;
    }
    *val = v;
    return true;
}
