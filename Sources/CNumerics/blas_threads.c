// OpenBLAS's worker threads: a short spin window instead of ~0.1 s of busy-waiting.
//
// After each threaded call, an OpenBLAS (pthreads build) worker spins on sched_yield() for
// 2^28 TSC cycles (≈ 0.1 s at 2.6 GHz) before it sleeps on a condition variable; OpenBLAS's
// constructor starts the workers, so even a process that never calls BLAS burns ≈ 0.1 s of CPU.
// While a worker spins it holds one of the cores our own parallel loops need. OpenBLAS reads the
// window's exponent (OPENBLAS_THREAD_TIMEOUT, 4…30) from the environment in its constructor and
// applies it whenever it starts its workers. So we re-read the environment with the exponent
// set, stop the workers (`blas_thread_shutdown_`, OpenBLAS's own fork handler), and the next
// threaded call starts them again (`exec_blas` → `blas_thread_init`) with the short window.
//
// Every symbol is looked up at run time in the library that serves `cblas_dgemm`, so another
// BLAS (reference BLAS, an OpenMP or sequential OpenBLAS) links and runs unchanged: a no-op.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "CNumerics.h"

typedef void (*ntkb_read_env_fn)(void);
typedef int (*ntkb_int_fn)(void);

/// The entry points of OpenBLAS's pthreads thread pool, or all NULL.
typedef struct {
    ntkb_read_env_fn read_env;    // openblas_read_env: re-reads the OPENBLAS_* variables
    ntkb_int_fn shutdown;         // blas_thread_shutdown_: joins the workers
    const int *server_available;  // blas_server_avail: 1 while the workers exist
} ntkb_blas_pool;

/// Looks the pool up in the library serving cblas_dgemm; 0 unless it is a pthreads OpenBLAS
/// with every entry point (openblas_get_parallel() == 1: pthreads; 2 is OpenMP, 0 sequential).
static int ntkb_blas_pool_lookup(ntkb_blas_pool *pool) {
    memset(pool, 0, sizeof *pool);
    void *dgemm = dlsym(RTLD_DEFAULT, "cblas_dgemm");
    Dl_info info;
    if (dgemm == NULL || dladdr(dgemm, &info) == 0 || info.dli_fname == NULL) return 0;
    void *library = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
    if (library == NULL) return 0;
    ntkb_int_fn parallel = (ntkb_int_fn)dlsym(library, "openblas_get_parallel");
    pool->read_env = (ntkb_read_env_fn)dlsym(library, "openblas_read_env");
    pool->shutdown = (ntkb_int_fn)dlsym(library, "blas_thread_shutdown_");
    pool->server_available = (const int *)dlsym(library, "blas_server_avail");
    // Drops only the reference taken by dlopen above: the library is a link-time dependency.
    dlclose(library);
    return parallel != NULL && parallel() == 1 && pool->read_env != NULL && pool->shutdown != NULL
        && pool->server_available != NULL;
}

static int applied_exponent = 0;

int ntkb_blas_set_worker_spin(int exponent) {
    ntkb_blas_pool pool;
    if (exponent < 4 || exponent > 30 || !ntkb_blas_pool_lookup(&pool)) return 0;
    static const char name[] = "OPENBLAS_THREAD_TIMEOUT";
    const char *outside = getenv(name);
    char *saved = outside != NULL ? strdup(outside) : NULL;
    char value[16];
    snprintf(value, sizeof value, "%d", exponent);
    setenv(name, value, 1);
    pool.read_env();
    // Child processes see the environment as it was.
    if (saved != NULL) {
        setenv(name, saved, 1);
        free(saved);
    } else {
        unsetenv(name);
    }
    pool.shutdown();
    applied_exponent = exponent;
    return 1;
}

int ntkb_blas_worker_spin(void) { return applied_exponent; }

int ntkb_blas_workers_running(void) {
    ntkb_blas_pool pool;
    if (!ntkb_blas_pool_lookup(&pool)) return -1;
    return *(volatile const int *)pool.server_available != 0;
}

// At load time, before main and before any other thread exists (OpenBLAS's own constructor has
// run: a library's dependencies are initialized first). A user's OPENBLAS_THREAD_TIMEOUT wins.
__attribute__((constructor)) static void ntkb_blas_short_spin_at_load(void) {
    if (getenv("OPENBLAS_THREAD_TIMEOUT") != NULL) return;
    ntkb_blas_set_worker_spin(NTKB_BLAS_WORKER_SPIN_EXPONENT);
}
