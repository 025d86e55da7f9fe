/* sim/cli_image.c - `hvsim image FILE [--load-addr A] [--ram-base B] [--gunzip-limit N] [--json]`:
 * parse a guest image exactly as `hvsim run` would and describe it. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/cli.h"
#include "sim/loader.h"

/* Xen's default guest RAM base on Arm: xen/include/public/arch-arm.h GUEST_RAM0_BASE. */
#define IMAGE_DEFAULT_RAM_BASE 0x40000000ull

static void usage(FILE *f)
{
    fprintf(f,
            "usage: hvsim image FILE [--load-addr A] [--ram-base B] [--gunzip-limit N] [--json]\n\n"
            "Detect the format of a guest image by its content (ELF32/ELF64, Linux arm64 Image,\n"
            "gzip of either, raw binary) and print its format, architecture, physical entry point,\n"
            "loadable segments, Xen ELF notes (PHYS32_ENTRY etc.) and arm64 Image header fields.\n\n"
            "  --load-addr A     load a raw binary at guest-physical address A (required for raw)\n"
            "  --ram-base B      guest RAM base for an arm64 Image (default 0x%llx, Xen's\n"
            "                    GUEST_RAM0_BASE); the Image goes at B (2 MiB aligned) + text_offset\n"
            "  --gunzip-limit N  refuse gzip data that inflates to more than N bytes\n"
            "                    (K/M/G suffixes; default 512M)\n"
            "  --json            print one JSON object instead of text\n"
            "  -h, --help        this help\n\n"
            "Exit status: 0 ok, 1 the file cannot be read or is malformed, 2 usage error.\n",
            (unsigned long long)IMAGE_DEFAULT_RAM_BASE);
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void describe_json(const struct sim_image *img, FILE *f)
{
    const struct sim_image_info *in = &img->info;
    fprintf(f, "{\"format\": ");
    json_str(f, sim_image_format_name(in->format));
    fprintf(f, ", \"arch\": ");
    json_str(f, sim_image_arch_name(in->arch));
    fprintf(f, ", \"gzipped\": %s, \"size\": %" PRIu64 ", \"entry\": \"0x%" PRIx64 "\"",
            in->gzipped ? "true" : "false", in->file_size, in->entry);
    if (in->has_phys32_entry)
        fprintf(f, ", \"phys32_entry\": \"0x%" PRIx64 "\"", in->phys32_entry);
    if (in->format == SIM_IMG_ARM64_IMAGE)
        fprintf(f, ", \"image\": {\"text_offset\": \"0x%" PRIx64 "\", \"image_size\": \"0x%" PRIx64
                "\", \"flags\": \"0x%" PRIx64 "\", \"efi_stub\": %s}", in->text_offset,
                in->image_size, in->flags, in->efi_stub ? "true" : "false");
    fprintf(f, ",\n \"segments\": [");
    for (unsigned i = 0; i < in->nseg; i++) {
        const struct sim_image_segment *s = &in->seg[i];
        fprintf(f, "%s\n  {\"paddr\": \"0x%" PRIx64 "\", \"vaddr\": \"0x%" PRIx64 "\", \"filesz\": %"
                PRIu64 ", \"memsz\": %" PRIu64 ", \"flags\": %" PRIu32 "}", i ? "," : "", s->paddr,
                s->vaddr, s->filesz, s->memsz, s->flags);
    }
    fprintf(f, "],\n \"xen_notes\": [");
    for (unsigned i = 0; i < in->nnotes; i++) {
        const struct sim_image_note *n = &in->notes[i];
        const char *name = sim_image_note_name(n->type);
        fprintf(f, "%s\n  {\"type\": %" PRIu32 ", \"name\": ", i ? "," : "", n->type);
        if (name)
            json_str(f, name);
        else
            fputs("null", f);
        if (n->is_string) {
            fputs(", \"value\": ", f);
            json_str(f, n->str);
        } else {
            fprintf(f, ", \"value\": \"0x%" PRIx64 "\"", n->value);
        }
        fprintf(f, ", \"descsz\": %" PRIu32 "}", n->descsz);
    }
    fprintf(f, "]}\n");
}

int sim_cmd_image(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"load-addr", required_argument, NULL, 'l'},
        {"ram-base", required_argument, NULL, 'r'},
        {"gunzip-limit", required_argument, NULL, 'g'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct sim_load_opts opts = {.ram_base = IMAGE_DEFAULT_RAM_BASE};
    bool json = false;
    int c;
    sim_getopt_reset();
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (sim_parse_u64(optarg, &opts.load_addr, false))
                return sim_usage_error("image", "bad --load-addr '%s'", optarg);
            opts.have_load_addr = true;
            break;
        case 'r':
            if (sim_parse_u64(optarg, &opts.ram_base, false))
                return sim_usage_error("image", "bad --ram-base '%s'", optarg);
            break;
        case 'g':
            if (sim_parse_u64(optarg, &opts.gunzip_limit, true) || opts.gunzip_limit == 0)
                return sim_usage_error("image", "bad --gunzip-limit '%s'", optarg);
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            usage(stdout);
            return SIM_EXIT_OK;
        case ':':
            return sim_usage_error("image", "option '%s' needs a value", argv[optind - 1]);
        default:
            return sim_usage_error("image", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return sim_usage_error("image", "missing FILE");
    if (optind + 1 < argc)
        return sim_usage_error("image", "unexpected argument '%s'", argv[optind + 1]);
    const char *path = argv[optind];
    struct sim_image img;
    char err[256];
    if (sim_image_parse(path, &opts, &img, err, sizeof(err))) {
        sim_errorf("%s: %s", path, err);
        return SIM_EXIT_FAIL;
    }
    if (json)
        describe_json(&img, stdout);
    else
        sim_image_describe(&img, stdout);
    sim_image_free(&img);
    if (fflush(stdout) || ferror(stdout)) {
        sim_errorf("image: error writing the output");
        return SIM_EXIT_FAIL;
    }
    return SIM_EXIT_OK;
}
