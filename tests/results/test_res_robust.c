/* tests/results/test_res_robust.c - what must survive: a corrupted file is reported by the
 * check; a writer killed with SIGKILL at a random moment leaves an intact database in which
 * every run has all its rows (one transaction per run); a lock held by another writer makes a
 * write wait for the busy timeout and then fail with "database is locked", nothing written. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "res_testutil.h"

#define CRASH_COUNTERS 3000

static void note(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "  check: %s\n", msg);
}

static void test_corrupt(void)
{
    char path[512], err[256];
    struct res_db *db;
    rt_path(path, sizeof(path), "res_robust_corrupt");
    CHECK_EQ(res_open(path, RES_OPEN_CREATE, &db, err, sizeof(err)), 0);
    if (!db)
        return;
    for (unsigned t = 1; t <= 20; t++) {
        struct rt_run r;
        rt_run_init(&r, t, 300);
        CHECK(rt_write(db, &r, err, sizeof(err)) > 0);
        rt_run_destroy(&r);
    }
    CHECK_EQ(res_check(db, NULL, NULL), 0);
    res_close(db); /* checkpoints the WAL into the file */

    struct stat sb;
    CHECK_EQ(stat(path, &sb), 0);
    CHECK(sb.st_size > 64 * 4096);
    FILE *f = fopen(path, "r+b");
    unsigned char junk[4096];
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (unsigned char)(i * 131 + 7);
    fseek(f, (sb.st_size / 2) & ~4095L, SEEK_SET);
    fwrite(junk, 1, sizeof(junk), f);
    fclose(f);

    int r = res_open(path, RES_OPEN_READONLY, &db, err, sizeof(err));
    if (r < 0) {
        /* acceptable: refused at open as malformed */
        CHECK(strstr(err, "malformed") || strstr(err, "not a database"));
    } else {
        int n = res_check(db, note, NULL);
        CHECK(n > 0);
        res_close(db);
    }
}

/* Child: write runs forever, each a large transaction; report the first commit on the pipe. */
static void crash_child(const char *path, int fd)
{
    struct res_db *db;
    char err[256];
    if (res_open(path, 0, &db, err, sizeof(err)) < 0)
        _exit(3);
    struct rt_run r;
    rt_run_init(&r, 1, 0);
    uint64_t *ctr[CRASH_COUNTERS];
    for (unsigned i = 0; i < CRASH_COUNTERS; i++)
        if (!(ctr[i] = sim_stats_addf(&r.stats, "count", "test counter", "c.%u", i)))
            _exit(6);
    struct res_event ev[400];
    for (int i = 0; i < 400; i++)
        ev[i] = (struct res_event){(uint64_t)i, 0, "tick", "event detail text"};
    for (unsigned t = 1;; t++) {
        for (unsigned i = 0; i < CRASH_COUNTERS; i++)
            *ctr[i] = (uint64_t)t * 1000 + i;
        r.run.seed = t;
        if (res_write_run(db, &r.run, &r.stats, r.hc, 2, ev, 400, r.sm, 2, err, sizeof(err)) <= 0)
            _exit(4);
        if (t == 1 && write(fd, "x", 1) != 1)
            _exit(5);
    }
}

static void test_sigkill(unsigned iter, unsigned seed)
{
    char path[512], err[256];
    struct res_db *db;
    char name[64];
    snprintf(name, sizeof(name), "res_robust_kill%u", iter);
    rt_path(path, sizeof(path), name);
    CHECK_EQ(res_open(path, RES_OPEN_CREATE, &db, err, sizeof(err)), 0);
    res_close(db);

    int pfd[2];
    CHECK_EQ(pipe(pfd), 0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(pfd[0]);
        crash_child(path, pfd[1]);
    }
    close(pfd[1]);
    char c;
    CHECK_EQ(read(pfd[0], &c, 1), 1); /* at least one run committed */
    close(pfd[0]);
    unsigned delay_us = (seed * 2654435761u) % 150000u;
    fprintf(stderr, "sigkill iteration %u: kill after %u us (seed %u)\n", iter, delay_us, seed);
    usleep(delay_us);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    CHECK_EQ(res_open(path, 0, &db, err, sizeof(err)), 0); /* recovers the WAL */
    if (!db)
        return;
    CHECK_EQ(res_check(db, note, NULL), 0);
    res_close(db);
    long long runs = rt_scalar(path, "SELECT count(*) FROM runs");
    fprintf(stderr, "  %lld complete runs stored\n", runs);
    CHECK(runs >= 1);
    /* no partial run: every run has all its counters, events, hypercalls and samples */
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM runs r WHERE "
             "(SELECT count(*) FROM counters WHERE run_id = r.id) != %d OR "
             "(SELECT count(*) FROM events WHERE run_id = r.id) != 400 OR "
             "(SELECT count(*) FROM hypercalls WHERE run_id = r.id) != 2 OR "
             "(SELECT count(*) FROM samples WHERE run_id = r.id) != 2 OR "
             "(SELECT value FROM counters WHERE run_id = r.id AND name = 'c.%d') != "
             "r.seed * 1000 + %d",
             CRASH_COUNTERS, CRASH_COUNTERS - 1, CRASH_COUNTERS - 1);
    CHECK_EQ(rt_scalar(path, sql), 0);
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM counters WHERE run_id NOT IN "
                             "(SELECT id FROM runs)"), 0);
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM events WHERE run_id NOT IN "
                             "(SELECT id FROM runs)"), 0);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_locked(void)
{
    char path[512], err[256];
    struct res_db *db;
    rt_path(path, sizeof(path), "res_robust_lock");
    CHECK_EQ(res_open(path, RES_OPEN_CREATE, &db, err, sizeof(err)), 0);
    if (!db)
        return;
    struct rt_run r;
    rt_run_init(&r, 1, 10);

    /* another connection holds the write lock */
    sqlite3 *other;
    CHECK_EQ(sqlite3_open(path, &other), SQLITE_OK);
    CHECK_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    res_set_busy_timeout(db, 200);
    double t0 = now_s();
    CHECK_EQ(rt_write(db, &r, err, sizeof(err)), -EBUSY);
    double waited = now_s() - t0;
    CHECK(waited >= 0.15); /* the busy timeout was honoured */
    char want[600];
    snprintf(want, sizeof(want), "%s: database is locked", path);
    CHECK_STR(err, want);
    CHECK_EQ(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM runs"), 0);
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM counters"), 0);

    /* a lock released within the timeout: the write waits and succeeds */
    fflush(NULL);
    int pfd[2];
    CHECK_EQ(pipe(pfd), 0);
    pid_t pid = fork();
    if (pid == 0) {
        sqlite3 *h;
        close(pfd[0]);
        if (sqlite3_open(path, &h) != SQLITE_OK ||
            sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            _exit(3);
        if (write(pfd[1], "x", 1) != 1)
            _exit(4);
        usleep(300000);
        sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
        _exit(0);
    }
    close(pfd[1]);
    char c;
    CHECK_EQ(read(pfd[0], &c, 1), 1);
    close(pfd[0]);
    res_set_busy_timeout(db, RES_BUSY_TIMEOUT_MS);
    t0 = now_s();
    CHECK_EQ(rt_write(db, &r, err, sizeof(err)), 1);
    CHECK(now_s() - t0 >= 0.1);
    int status;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM counters WHERE run_id = 1"), 10);

    /* a readers' view during a write lock: reading still works (WAL) */
    CHECK_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    struct res_db *ro;
    CHECK_EQ(res_open(path, RES_OPEN_READONLY, &ro, err, sizeof(err)), 0);
    if (ro) {
        CHECK(res_have_config(ro, "cfg1", 1));
        res_close(ro);
    }
    sqlite3_exec(other, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(other);
    rt_run_destroy(&r);
    res_close(db);
}

/* Parallel sweep workers: several processes create the same new database at once and write
 * runs concurrently; creation, migration and the writes serialise on the lock. */
static void test_concurrent_writers(void)
{
    char path[512], err[256];
    rt_path(path, sizeof(path), "res_robust_concurrent");
    enum { NPROC = 6, NRUNS = 8 };
    pid_t pids[NPROC];
    fflush(NULL);
    for (int p = 0; p < NPROC; p++) {
        if ((pids[p] = fork()) == 0) {
            struct res_db *db;
            if (res_open(path, RES_OPEN_CREATE, &db, err, sizeof(err)) < 0) {
                fprintf(stderr, "worker %d: %s\n", p, err);
                _exit(3);
            }
            for (unsigned t = 0; t < NRUNS; t++) {
                struct rt_run r;
                rt_run_init(&r, (unsigned)p * 100 + t, 50);
                if (rt_write(db, &r, err, sizeof(err)) <= 0) {
                    fprintf(stderr, "worker %d: %s\n", p, err);
                    _exit(4);
                }
                rt_run_destroy(&r);
            }
            res_close(db);
            _exit(0);
        }
    }
    for (int p = 0; p < NPROC; p++) {
        int status = 0;
        waitpid(pids[p], &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM runs"), NPROC * NRUNS);
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM counters"), NPROC * NRUNS * 50);
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM schema_version"), 1);
    struct res_db *db;
    CHECK_EQ(res_open(path, RES_OPEN_READONLY, &db, err, sizeof(err)), 0);
    if (db) {
        CHECK_EQ(res_check(db, note, NULL), 0);
        res_close(db);
    }
}

static void test_readonly_paths(void)
{
    char path[512], err[256];
    struct res_db *db;
    /* a directory that does not exist */
    snprintf(path, sizeof(path), "%s/no-such-dir-%d/x.db", test_tmpdir(), (int)getpid());
    CHECK(res_open(path, RES_OPEN_CREATE, &db, err, sizeof(err)) < 0);
    CHECK(strstr(err, "unable to open") != NULL);
    /* a read-only file (permissions do not bind root, so only checked as a normal user) */
    rt_path(path, sizeof(path), "res_robust_ro");
    CHECK_EQ(res_open(path, RES_OPEN_CREATE, &db, err, sizeof(err)), 0);
    res_close(db);
    chmod(path, 0444);
    if (geteuid() != 0) {
        CHECK_EQ(res_open(path, 0, &db, err, sizeof(err)), -EROFS);
        CHECK(strstr(err, "read-only") != NULL);
    }
    /* read-only opens work on it and refuse writes */
    CHECK_EQ(res_open(path, RES_OPEN_READONLY, &db, err, sizeof(err)), 0);
    if (db) {
        struct rt_run r;
        rt_run_init(&r, 1, 1);
        CHECK_EQ(rt_write(db, &r, err, sizeof(err)), -EROFS);
        CHECK_EQ(res_migrate(db, NULL, NULL, err, sizeof(err)), -EROFS);
        rt_run_destroy(&r);
        res_close(db);
    }
    chmod(path, 0644);
}

int main(void)
{
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    test_corrupt();
    for (unsigned i = 0; i < 3; i++)
        test_sigkill(i, seed + i);
    test_locked();
    for (int i = 0; i < 3; i++)
        test_concurrent_writers();
    test_readonly_paths();
    return test_summary();
}
