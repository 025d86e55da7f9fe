/* sim/sweep_run.c - running a sweep's points as parallel `hvsim run` processes (resume by
 * config hash and seed, per-run logs, progress, summary) and writing them out as jobs for GNU
 * parallel and Slurm (see sweep.h, docs/sweep.md). */
#include "sim/sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "results/results.h"
#include "sim/cli.h"

int sim_sweep_stored(const struct sim_sweep *sw, const char *db, bool *done, char *err,
                     size_t errlen)
{
    memset(done, 0, sw->npts * sizeof(*done));
    if (access(db, F_OK))
        return 0;
    struct res_db *d;
    int rc = res_open(db, RES_OPEN_READONLY, &d, err, errlen);
    if (rc)
        return rc;
    for (size_t i = 0; i < sw->npts; i++)
        done[i] = res_have_config(d, sw->pts[i].config_hash, sw->pts[i].seed);
    res_close(d);
    return 0;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void fmt_duration(double s, char *out, size_t len)
{
    unsigned long t = s < 0 ? 0 : (unsigned long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, len, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(out, len, "%lu:%02lu", t / 60, t % 60);
}

static int mkdir_p(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return -ENAMETOOLONG;
    for (char *c = buf + 1; *c; c++) {
        if (*c != '/')
            continue;
        *c = 0;
        if (mkdir(buf, 0777) && errno != EEXIST)
            return -errno;
        *c = '/';
    }
    if (mkdir(buf, 0777) && errno != EEXIST)
        return -errno;
    return 0;
}

struct slot {
    pid_t pid;
    size_t pt;
};

struct runner {
    const struct sim_sweep *sw;
    const struct sim_sweep_opts *o;
    struct res_db *db;
    char logdir[PATH_MAX];
    size_t *pending, npending, next;
    struct slot *slots;
    unsigned running;
    size_t done, failed, results_nonzero, stopped;
    bool stopping;          /* SIGINT/SIGTERM/SIGHUP: the running runs were sent SIGTERM */
    size_t *failed_pts;
    char **failed_why;
    double t0;
    bool progress_shown;
    sigset_t oldmask;
};

static void log_path(const struct runner *r, size_t pt, char *out, size_t len)
{
    snprintf(out, len, "%s/%s-%llu.log", r->logdir, r->sw->pts[pt].config_hash,
             (unsigned long long)r->sw->pts[pt].seed);
}

static void progress(struct runner *r, bool final)
{
    size_t fin = r->done + r->failed;
    char eta[32] = "?";
    if (fin)
        fmt_duration((now_s() - r->t0) / (double)fin * (double)(r->npending - fin), eta,
                     sizeof(eta));
    if (r->o->tty) {
        fprintf(r->o->msg, "\r\033[Khvsim: sweep: %zu/%zu done, %zu failed, %u running, ETA %s%s",
                r->done, r->npending, r->failed, r->running, eta, final ? "\n" : "");
        r->progress_shown = !final;
    } else {
        fprintf(r->o->msg, "hvsim: sweep: %zu/%zu done, %zu failed, ETA %s\n", r->done,
                r->npending, r->failed, eta);
    }
    fflush(r->o->msg);
}

/* Print a message line, keeping the in-place progress line below it. */
static void message(struct runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void message(struct runner *r, const char *fmt, ...)
{
    va_list ap;
    if (r->progress_shown)
        fputs("\r\033[K", r->o->msg);
    fputs("hvsim: sweep: ", r->o->msg);
    va_start(ap, fmt);
    vfprintf(r->o->msg, fmt, ap);
    va_end(ap);
    fputc('\n', r->o->msg);
    r->progress_shown = false;
}

static int launch(struct runner *r, size_t pt, struct slot *slot)
{
    const struct sim_sweep_point *p = &r->sw->pts[pt];
    char log[PATH_MAX + 128];
    log_path(r, pt, log, sizeof(log));
    const char **argv = calloc((size_t)p->nargs + 4, sizeof(*argv));
    if (!argv)
        return -ENOMEM;
    argv[0] = "hvsim";
    for (int i = 0; i < p->nargs; i++)
        argv[i + 1] = p->args[i];
    argv[p->nargs + 1] = "--db";
    argv[p->nargs + 2] = r->o->db;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        free(argv);
        return -e;
    }
    if (pid == 0) {
        /* The child: default signal mask, dies with the sweep (so a killed sweep leaves no
         * orphan that could record a point a resumed sweep runs again), output in its log. */
        sigprocmask(SIG_SETMASK, &r->oldmask, NULL);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0666);
        int nul = open("/dev/null", O_RDONLY);
        if (fd < 0 || nul < 0)
            _exit(127);
        dup2(nul, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        execv(r->o->exe, (char *const *)argv);
        dprintf(2, "hvsim: sweep: cannot execute %s: %s\n", r->o->exe, strerror(errno));
        _exit(127);
    }
    free(argv);
    slot->pid = pid;
    slot->pt = pt;
    r->running++;
    return 0;
}

static void record_failure(struct runner *r, size_t pt, const char *why)
{
    char log[PATH_MAX + 128];
    log_path(r, pt, log, sizeof(log));
    r->failed_pts[r->failed] = pt;
    r->failed_why[r->failed] = strdup(why);
    r->failed++;
    message(r, "failed: %s: %s (log: %s)", r->sw->pts[pt].desc, why, log);
}

/* Classify a finished run: done (exited 0 or 1 with its row stored) or failed. */
static void finished(struct runner *r, size_t pt, int st)
{
    const struct sim_sweep_point *p = &r->sw->pts[pt];
    char why[128];
    bool stored = res_have_config(r->db, p->config_hash, p->seed);
    if (r->stopping && !stored && WIFSIGNALED(st)) {
        r->stopped++; /* stopped by us: not a failure, resume runs it */
        return;
    }
    if (WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 1) && stored) {
        r->done++;
        if (WEXITSTATUS(st))
            r->results_nonzero++;
        return;
    }
    if (WIFSIGNALED(st))
        snprintf(why, sizeof(why), "killed by signal %d (%s)", WTERMSIG(st),
                 strsignal(WTERMSIG(st)));
    else if (WEXITSTATUS(st) == SIM_EXIT_USAGE)
        snprintf(why, sizeof(why), "usage error (exit status 2)");
    else if (!stored)
        snprintf(why, sizeof(why), "exit status %d and no run recorded", WEXITSTATUS(st));
    else
        snprintf(why, sizeof(why), "exit status %d", WEXITSTATUS(st));
    record_failure(r, pt, why);
}

static void reap(struct runner *r)
{
    int st;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        for (unsigned i = 0; i < r->o->jobs; i++) {
            if (r->slots[i].pid != pid)
                continue;
            r->slots[i].pid = 0;
            r->running--;
            finished(r, r->slots[i].pt, st);
            if (!r->o->tty && !r->stopping)
                progress(r, false);
            break;
        }
    }
}

static int run_loop(struct runner *r)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    /* Signals are taken synchronously with sigtimedwait (no handler, no global flag). */
    sigprocmask(SIG_BLOCK, &set, &r->oldmask);
    int stop_sig = 0;
    int rc = 0;
    while ((!stop_sig && r->next < r->npending) || r->running) {
        while (!stop_sig && r->running < r->o->jobs && r->next < r->npending) {
            unsigned s = 0;
            while (r->slots[s].pid)
                s++;
            size_t pt = r->pending[r->next++];
            int e = launch(r, pt, &r->slots[s]);
            if (e) {
                char why[128];
                snprintf(why, sizeof(why), "cannot start: %s", strerror(-e));
                record_failure(r, pt, why);
            }
        }
        if (r->o->tty)
            progress(r, false);
        if (!r->running)
            continue;
        struct timespec tmo = {1, 0};
        siginfo_t info;
        int sig = sigtimedwait(&set, &info, &tmo);
        if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
            if (!stop_sig) {
                message(r, "%s: stopping; the %u running run%s are not recorded, 'hvsim sweep' "
                        "again resumes", strsignal(sig), r->running, r->running == 1 ? "" : "s");
                r->stopping = true;
                for (unsigned i = 0; i < r->o->jobs; i++)
                    if (r->slots[i].pid)
                        kill(r->slots[i].pid, SIGTERM);
            }
            stop_sig = sig;
        }
        reap(r);
    }
    sigprocmask(SIG_SETMASK, &r->oldmask, NULL);
    if (stop_sig)
        rc = -EINTR;
    return rc;
}

int sim_sweep_run(const struct sim_sweep *sw, const struct sim_sweep_opts *o)
{
    struct runner r = {.sw = sw, .o = o};
    char err[512];
    int status = SIM_EXIT_FAIL, lockfd = -1;
    if (snprintf(r.logdir, sizeof(r.logdir), "%s.logs", o->db) >= (int)sizeof(r.logdir)) {
        sim_errorf("sweep: %s: path too long", o->db);
        return SIM_EXIT_FAIL;
    }
    int e = mkdir_p(r.logdir);
    if (e) {
        sim_errorf("sweep: cannot create %s: %s", r.logdir, strerror(-e));
        return SIM_EXIT_FAIL;
    }
    /* One sweep per database at a time: two would launch the same points. */
    char lock[PATH_MAX + 32];
    snprintf(lock, sizeof(lock), "%s/sweep.lock", r.logdir);
    lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (lockfd < 0 || flock(lockfd, LOCK_EX | LOCK_NB)) {
        if (lockfd >= 0 && errno == EWOULDBLOCK)
            sim_errorf("sweep: another sweep is running on %s (lock %s)", o->db, lock);
        else
            sim_errorf("sweep: %s: %s", lock, strerror(errno));
        if (lockfd >= 0)
            close(lockfd);
        return SIM_EXIT_FAIL;
    }
    /* Creating the schema here means the runs never race to create it. */
    if (res_open(o->db, RES_OPEN_CREATE, &r.db, err, sizeof(err))) {
        sim_errorf("sweep: %s", err);
        close(lockfd);
        return SIM_EXIT_FAIL;
    }
    r.pending = malloc((sw->npts ? sw->npts : 1) * sizeof(*r.pending));
    r.failed_pts = malloc((sw->npts ? sw->npts : 1) * sizeof(*r.failed_pts));
    r.failed_why = calloc(sw->npts ? sw->npts : 1, sizeof(*r.failed_why));
    r.slots = calloc(o->jobs, sizeof(*r.slots));
    if (!r.pending || !r.failed_pts || !r.failed_why || !r.slots) {
        sim_errorf("sweep: out of memory");
        goto out;
    }
    size_t skipped = 0;
    for (size_t i = 0; i < sw->npts; i++) {
        if (res_have_config(r.db, sw->pts[i].config_hash, sw->pts[i].seed))
            skipped++;
        else
            r.pending[r.npending++] = i;
    }
    sim_infof("sweep: %zu point%s: %zu already in %s, %zu to run with -j %u", sw->npts,
              sw->npts == 1 ? "" : "s", skipped, o->db, r.npending, o->jobs);
    r.t0 = now_s();
    int rc = run_loop(&r);
    if (o->tty && r.npending)
        progress(&r, true);
    char took[32];
    fmt_duration(now_s() - r.t0, took, sizeof(took));
    if (rc == -EINTR)
        sim_infof("sweep: interrupted: done %zu, skipped %zu (already in %s), failed %zu, "
                  "stopped %zu, not started %zu, in %s", r.done, skipped, o->db, r.failed,
                  r.stopped, r.npending - r.next, took);
    else
        sim_infof("sweep: done %zu, skipped %zu (already in %s), failed %zu, in %s", r.done,
                  skipped, o->db, r.failed, took);
    if (r.results_nonzero)
        sim_infof("sweep: %zu run%s ended with exit status 1 (guest crash or --max-insns): "
                  "recorded results, not failures", r.results_nonzero,
                  r.results_nonzero == 1 ? "" : "s");
    for (size_t i = 0; i < r.failed; i++) {
        char log[PATH_MAX + 128];
        log_path(&r, r.failed_pts[i], log, sizeof(log));
        sim_infof("sweep: failed: %s: %s; log %s", sw->pts[r.failed_pts[i]].desc,
                  r.failed_why[i] ? r.failed_why[i] : "?", log);
    }
    if (!r.failed && !rc && r.done + skipped == sw->npts)
        status = SIM_EXIT_OK;
out:
    for (size_t i = 0; r.failed_why && i < r.failed; i++)
        free(r.failed_why[i]);
    free(r.failed_why);
    free(r.failed_pts);
    free(r.pending);
    free(r.slots);
    res_close(r.db);
    close(lockfd);
    return status;
}

/* ---- --emit-jobs ---- */

static int write_file(const char *dir, const char *name, bool exec, const char *text, char *err,
                      size_t errlen)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f)) {
        int e = errno ? errno : EIO;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    if (exec)
        chmod(path, 0755);
    return 0;
}

/* Shell-quote into a growing buffer. */
static int append_quoted(char **buf, size_t *len, size_t *cap, const char *s, bool space)
{
    size_t need = strlen(s) * 4 + 4;
    if (*len + need + 2 > *cap) {
        size_t nc = (*len + need + 2) * 2;
        char *nb = realloc(*buf, nc);
        if (!nb)
            return -ENOMEM;
        *buf = nb;
        *cap = nc;
    }
    if (space)
        (*buf)[(*len)++] = ' ';
    int n = sim_sweep_shell_quote(s, *buf + *len, *cap - *len);
    if (n < 0)
        return -ENOMEM;
    *len += (size_t)n;
    return 0;
}

int sim_sweep_emit_jobs(const struct sim_sweep *sw, const char *dir, const char *db,
                        const char *exe, size_t *njobs, char *err, size_t errlen)
{
    char adir[PATH_MAX], dbs[PATH_MAX + 8], adb[PATH_MAX], aexe[PATH_MAX];
    int rc = mkdir_p(dir);
    *njobs = 0;
    if (rc) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(-rc));
        return rc;
    }
    if (!realpath(dir, adir) || !realpath(exe, aexe)) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return rc;
    }
    snprintf(dbs, sizeof(dbs), "%s/dbs", adir);
    if ((rc = mkdir_p(dbs))) {
        snprintf(err, errlen, "cannot create %s: %s", dbs, strerror(-rc));
        return rc;
    }
    /* the merged database as an absolute path (it need not exist yet) */
    if (db[0] == '/' || !getcwd(adb, sizeof(adb)))
        snprintf(adb, sizeof(adb), "%s", db);
    else {
        size_t l = strlen(adb);
        snprintf(adb + l, sizeof(adb) - l, "/%s", db);
    }
    bool *done = calloc(sw->npts ? sw->npts : 1, sizeof(*done));
    if (!done)
        return -ENOMEM;
    if ((rc = sim_sweep_stored(sw, db, done, err, errlen))) {
        free(done);
        return rc;
    }
    char *jobs = NULL;
    size_t len = 0, cap = 0, n = 0;
    rc = 0;
    for (size_t i = 0; i < sw->npts && !rc; i++) {
        const struct sim_sweep_point *p = &sw->pts[i];
        char jobdb[PATH_MAX + 160];
        snprintf(jobdb, sizeof(jobdb), "%s/%s-%llu.db", dbs, p->config_hash,
                 (unsigned long long)p->seed);
        if (done[i])
            continue;
        /* a job that already ran (its own database has the run) is not emitted again */
        if (!access(jobdb, F_OK)) {
            struct res_db *jd;
            char jerr[256];
            if (!res_open(jobdb, RES_OPEN_READONLY, &jd, jerr, sizeof(jerr))) {
                bool have = res_have_config(jd, p->config_hash, p->seed);
                res_close(jd);
                if (have)
                    continue;
            }
        }
        rc = append_quoted(&jobs, &len, &cap, aexe, false);
        for (int a = 0; a < p->nargs && !rc; a++)
            rc = append_quoted(&jobs, &len, &cap, p->args[a], true);
        if (!rc)
            rc = append_quoted(&jobs, &len, &cap, "--db", true);
        if (!rc)
            rc = append_quoted(&jobs, &len, &cap, jobdb, true);
        if (!rc) {
            jobs[len++] = '\n';
            jobs[len] = 0;
            n++;
        }
    }
    free(done);
    if (rc) {
        free(jobs);
        snprintf(err, errlen, "out of memory");
        return rc;
    }
    /* parallel --resume matches the job log by line number: a new jobs.txt needs a new log */
    char joblog[PATH_MAX + 16];
    snprintf(joblog, sizeof(joblog), "%s/joblog.txt", adir);
    if (unlink(joblog) && errno != ENOENT) {
        rc = -errno;
        free(jobs);
        snprintf(err, errlen, "%s: %s", joblog, strerror(-rc));
        return rc;
    }
    rc = write_file(adir, "jobs.txt", false, jobs ? jobs : "", err, errlen);
    free(jobs);
    if (rc)
        return rc;

    char qdir[PATH_MAX * 4 + 8], qexe[PATH_MAX * 4 + 8], qdb[PATH_MAX * 4 + 8];
    char text[4 * (PATH_MAX * 4 + 8) + 4096];
    if (sim_sweep_shell_quote(adir, qdir, sizeof(qdir)) < 0 ||
        sim_sweep_shell_quote(aexe, qexe, sizeof(qexe)) < 0 ||
        sim_sweep_shell_quote(adb, qdb, sizeof(qdb)) < 0) {
        snprintf(err, errlen, "path too long");
        return -ENAMETOOLONG;
    }
    snprintf(text, sizeof(text),
        "#!/bin/sh\n"
        "# Runs every line of jobs.txt (one `hvsim run`, each writing its own database in\n"
        "# dbs/) with GNU parallel, then merge.sh combines them. Written by `hvsim sweep\n"
        "# --emit-jobs` for %s.\n"
        "#\n"
        "# Many machines: add --sshloginfile FILE (one host per line, e.g. 8/user@host for 8\n"
        "# jobs there; ':' is this machine). Every host needs hvsim, the images and this\n"
        "# directory at the same paths (a shared file system), or add --transferfile/--return.\n"
        "# The job log makes a second run resume: --resume skips the lines already run.\n"
        "# Extra arguments go to parallel, e.g. ./run-parallel.sh --sshloginfile hosts -j 4\n"
        "#\n"
        "# A job exits 1 when its guest crashed or hit --max-insns: that run is recorded, a\n"
        "# result. Failed jobs (exit 2, or 1 without a run in their database) are listed by\n"
        "# `hvsim sweep SPEC --emit-jobs DIR` again, which writes only the jobs left to do.\n"
        "cd %s || exit 1\n"
        "parallel --joblog joblog.txt --resume \"$@\" < jobs.txt\n"
        "status=$?\n"
        "[ $status -eq 0 ] || echo \"run-parallel.sh: $status job(s) exited non-zero\" \\\n"
        "    \"(see Exitval in joblog.txt; 1 is a guest crash or --max-insns)\" >&2\n"
        "exec ./merge.sh\n", sw->path, qdir);
    if ((rc = write_file(adir, "run-parallel.sh", true, text, err, errlen)))
        return rc;
    snprintf(text, sizeof(text),
        "#!/bin/bash\n"
        "# Slurm job array: task i runs line i of jobs.txt (each writes its own database in\n"
        "# dbs/). Submit with `sbatch slurm.sbatch`; when all tasks are done run merge.sh (or\n"
        "# submit it with --dependency=afterany:JOBID). Written by `hvsim sweep --emit-jobs`\n"
        "# for %s.\n"
        "#SBATCH --job-name=hvsim-sweep\n"
        "#SBATCH --array=1-%zu\n"
        "#SBATCH --ntasks=1\n"
        "#SBATCH --cpus-per-task=1\n"
        "#SBATCH --output=%s/logs/%%A_%%a.log\n"
        "set -euo pipefail\n"
        "line=$(sed -n \"${SLURM_ARRAY_TASK_ID}p\" %s/jobs.txt)\n"
        "[ -n \"$line\" ] || { echo \"no line $SLURM_ARRAY_TASK_ID in jobs.txt\" >&2; exit 1; }\n"
        "eval \"$line\"\n", sw->path, n ? n : 1, adir, qdir);
    char logs[PATH_MAX + 8];
    snprintf(logs, sizeof(logs), "%s/logs", adir);
    if ((rc = mkdir_p(logs))) {
        snprintf(err, errlen, "cannot create %s: %s", logs, strerror(-rc));
        return rc;
    }
    if ((rc = write_file(adir, "slurm.sbatch", false, text, err, errlen)))
        return rc;
    snprintf(text, sizeof(text),
        "#!/bin/sh\n"
        "# Merges the job databases (dbs/*.db) into the sweep's database; runs already there\n"
        "# are skipped, so running it again is harmless. Written by `hvsim sweep --emit-jobs`.\n"
        "set -e\n"
        "cd %s\n"
        "set -- dbs/*.db\n"
        "[ -e \"$1\" ] || { echo \"merge.sh: no job databases in %s/dbs yet\" >&2; exit 1; }\n"
        "exec %s db merge \"$@\" -o %s\n", qdir, adir, qexe, qdb);
    if ((rc = write_file(adir, "merge.sh", true, text, err, errlen)))
        return rc;
    *njobs = n;
    return 0;
}
