// The process's worker pool (see worker_pool.h).
//
// A job lives in `pool`, guarded as follows: the caller fills it and opens it under `lock`,
// then bumps `generation`; a worker that sees a new generation joins the job under `lock` only
// while it is open (counting itself in `participants`), then takes indices from `next` until
// they run out, counting each in `finished`. The caller runs indices too, waits until all are
// finished, closes the job under `lock`, and waits until no participant is left before the job's
// fields can change again.
#include "worker_pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

// Pauses a worker spins for a new job before it sleeps: about 0.3 ms.
#define SPIN_PAUSES (1L << 14)

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    _Atomic long generation;
    int open;       // under lock
    int sleepers;   // under lock
    _Atomic int participants;
    _Atomic long next, finished;
    long count;
    void (*body)(void *, long);
    void *context;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static _Atomic int busy;
static _Thread_local int inside;
static pthread_once_t started = PTHREAD_ONCE_INIT;
static long worker_count;

static inline void pause_briefly(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

// Waits while *value < target (or > 0 for participants): spins first, then yields the core to
// any other thread (a `caption batch` reader decoding the next photos) between looks.
static void wait_until_at_least(_Atomic long *value, long target) {
    long spins = 0;
    while (atomic_load_explicit(value, memory_order_acquire) < target) {
        if (++spins < SPIN_PAUSES) pause_briefly(); else sched_yield();
    }
}

static void run_indices(void) {
    long i;
    while ((i = atomic_fetch_add_explicit(&pool.next, 1, memory_order_relaxed)) < pool.count) {
        pool.body(pool.context, i);
        atomic_fetch_add_explicit(&pool.finished, 1, memory_order_release);
    }
}

static void *work(void *unused) {
    (void)unused;
    inside = 1;  // a body's own parallel loops run on this thread
    long seen = atomic_load(&pool.generation);
    for (;;) {
        long spins = 0;
        while (atomic_load_explicit(&pool.generation, memory_order_acquire) == seen) {
            if (++spins < SPIN_PAUSES) { pause_briefly(); continue; }
            pthread_mutex_lock(&pool.lock);
            pool.sleepers++;
            while (atomic_load(&pool.generation) == seen) pthread_cond_wait(&pool.wake, &pool.lock);
            pool.sleepers--;
            pthread_mutex_unlock(&pool.lock);
        }
        int joined = 0;
        pthread_mutex_lock(&pool.lock);
        seen = atomic_load(&pool.generation);
        if (pool.open) {
            atomic_fetch_add(&pool.participants, 1);
            joined = 1;
        }
        pthread_mutex_unlock(&pool.lock);
        if (joined) {
            run_indices();
            atomic_fetch_sub_explicit(&pool.participants, 1, memory_order_release);
        }
    }
    return 0;
}

static void start_workers(void) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    for (long k = 1; k < cores; k++) {
        pthread_t thread;
        if (pthread_create(&thread, &attributes, work, 0) == 0) worker_count++;
    }
    pthread_attr_destroy(&attributes);
}

void wp_parallel_for(long count, void (*body)(void *, long), void *context) {
    if (count <= 0) return;
    int idle = 0;
    if (count == 1 || inside || !atomic_compare_exchange_strong(&busy, &idle, 1)) {
        for (long i = 0; i < count; i++) body(context, i);
        return;
    }
    pthread_once(&started, start_workers);
    if (worker_count == 0) {
        atomic_store(&busy, 0);
        for (long i = 0; i < count; i++) body(context, i);
        return;
    }
    pthread_mutex_lock(&pool.lock);
    pool.body = body;
    pool.context = context;
    pool.count = count;
    atomic_store(&pool.next, 0);
    atomic_store(&pool.finished, 0);
    pool.open = 1;
    atomic_fetch_add_explicit(&pool.generation, 1, memory_order_release);
    if (pool.sleepers > 0) pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.lock);

    inside = 1;
    run_indices();
    inside = 0;
    wait_until_at_least(&pool.finished, count);
    pthread_mutex_lock(&pool.lock);
    pool.open = 0;
    pthread_mutex_unlock(&pool.lock);
    for (long spins = 0; atomic_load_explicit(&pool.participants, memory_order_acquire) > 0;) {
        if (++spins < SPIN_PAUSES) pause_briefly(); else sched_yield();
    }
    atomic_store(&busy, 0);
}
