/* sim/cli_report.c - `hvsim report`: the VA-vs-PA report (comparison tables, PNG/SVG figures,
 * one self-contained HTML page) from a results database.
 *
 * The report itself is scripts/report.py, run with Debian's /usr/bin/python3 (python3-matplotlib,
 * the sqlite3 module): the database is the contract between the simulator and its scripts
 * (docs/study.md). This command checks the options and the database, finds the scripts and runs
 * the generator as a child process, passing its exit status on.
 *
 * The scripts directory, first match wins:
 *   1. $HVSIM_SCRIPTS_DIR;
 *   2. <dir of the hvsim executable>/../share/hvsim/scripts   (an installed tree);
 *   3. <dir of the hvsim executable>/../scripts               (a build directory inside the
 *      source tree: build/hvsim -> scripts/);
 *   4. the source tree this file was compiled from (__FILE__ is absolute under CMake), so a
 *      build directory outside the source tree works too. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/cli.h"

#define REPORT_PYTHON "/usr/bin/python3"
#define REPORT_SCRIPT "report.py"

/* dir/report.py readable? Writes the script path into out. */
static int report_try_dir(const char *dir, char *out, size_t len)
{
    if (snprintf(out, len, "%s/%s", dir, REPORT_SCRIPT) >= (int)len)
        return -ENAMETOOLONG;
    return access(out, R_OK) == 0 ? 0 : -ENOENT;
}

/* Finds scripts/report.py in the order given at the top of this file. */
static int report_find_script(char *out, size_t len)
{
    char dir[PATH_MAX + 64];
    const char *env = getenv("HVSIM_SCRIPTS_DIR");
    if (env && *env)
        return report_try_dir(env, out, len);

    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(dir, sizeof(dir), "%s/../share/hvsim/scripts", exe);
            if (!report_try_dir(dir, out, len))
                return 0;
            snprintf(dir, sizeof(dir), "%s/../scripts", exe);
            if (!report_try_dir(dir, out, len))
                return 0;
        }
    }

    /* __FILE__ = <source>/sim/cli_report.c -> <source>/scripts */
    const char *src = __FILE__;
    const char *sim = strstr(src, "sim/cli_report.c");
    if (src[0] == '/' && sim && (size_t)(sim - src) < sizeof(dir) - 16) {
        snprintf(dir, sizeof(dir), "%.*sscripts", (int)(sim - src), src);
        if (!report_try_dir(dir, out, len))
            return 0;
    }
    return -ENOENT;
}

int sim_cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},
        {"out", required_argument, NULL, 'o'},
        {"text", no_argument, NULL, 't'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db = sim_default_db();
    const char *out = "results/report";
    int text = 0, quiet = 0;
    int o;
    while ((o = getopt_long(argc, argv, "o:q", opts, NULL)) != -1) {
        switch (o) {
        case 'd': db = optarg; break;
        case 'o': out = optarg; break;
        case 't': text = 1; break;
        case 'q': quiet = 1; break;
        case 'h':
            printf("usage: hvsim report [--db FILE] [-o DIR] [--text] [-q]\n\n"
                   "Writes the VA-vs-PA report from a results database into DIR (default\n"
                   "results/report): index.html (one self-contained page: what the database\n"
                   "holds and lacks, the comparison tables, the figures) and each figure as PNG\n"
                   "and SVG.\n\n"
                   "  --db FILE   results database (default: $HVSIM_DB, else hvsim.db)\n"
                   "  -o, --out DIR  output directory (created when missing)\n"
                   "  --text      also print the comparison tables on stdout\n"
                   "  -q, --quiet no summary line on stderr\n\n"
                   "Runs %s scripts/%s (python3-matplotlib); the scripts are found in\n"
                   "$HVSIM_SCRIPTS_DIR, <bindir>/../share/hvsim/scripts, <bindir>/../scripts or\n"
                   "the source tree hvsim was built from. See docs/study.md.\n",
                   REPORT_PYTHON, REPORT_SCRIPT);
            return SIM_EXIT_OK;
        default:
            return sim_usage_error("report", "unknown option or missing argument near '%s'",
                                   argv[optind - 1]);
        }
    }
    if (optind != argc)
        return sim_usage_error("report", "unexpected argument '%s'", argv[optind]);
    if (!*out)
        return sim_usage_error("report", "-o: empty directory name");
    if (access(db, R_OK)) {
        sim_errorf("report: %s: no such database", db);
        return SIM_EXIT_FAIL;
    }
    char script[PATH_MAX + 80];
    if (report_find_script(script, sizeof(script))) {
        sim_errorf("report: scripts/%s not found (set HVSIM_SCRIPTS_DIR to the scripts "
                   "directory)", REPORT_SCRIPT);
        return SIM_EXIT_FAIL;
    }
    if (access(REPORT_PYTHON, X_OK)) {
        sim_errorf("report: %s not found: install the Debian packages python3 and "
                   "python3-matplotlib (scripts/deps.sh)", REPORT_PYTHON);
        return SIM_EXIT_FAIL;
    }

    char *args[12];
    int na = 0;
    args[na++] = (char *)REPORT_PYTHON;
    args[na++] = script;
    args[na++] = (char *)"--db";
    args[na++] = (char *)db;
    args[na++] = (char *)"-o";
    args[na++] = (char *)out;
    if (text)
        args[na++] = (char *)"--text";
    if (quiet)
        args[na++] = (char *)"--quiet";
    args[na] = NULL;

    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        sim_errorf("report: fork: %s", strerror(errno));
        return SIM_EXIT_FAIL;
    }
    if (pid == 0) {
        execv(REPORT_PYTHON, args);
        fprintf(stderr, "hvsim: report: %s: %s\n", REPORT_PYTHON, strerror(errno));
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            sim_errorf("report: waitpid: %s", strerror(errno));
            return SIM_EXIT_FAIL;
        }
    }
    if (WIFEXITED(st)) {
        int rc = WEXITSTATUS(st);
        /* report.py: 0 ok, 1 failure (its own "hvsim: report:" line), 2 usage */
        if (rc == 0 || rc == 1 || rc == 2)
            return rc;
        if (rc == 127)
            return SIM_EXIT_FAIL;
        sim_errorf("report: %s exited with status %d", script, rc);
        return SIM_EXIT_FAIL;
    }
    sim_errorf("report: %s killed by signal %d", script,
               WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    return SIM_EXIT_FAIL;
}
