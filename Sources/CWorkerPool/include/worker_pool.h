#ifndef WORKER_POOL_H
#define WORKER_POOL_H

// One pool of worker threads for the whole process, under `Parallel.forEach`: body(context, i)
// for i < count, spread over the calling thread and the pool's workers, returning when all are
// done. Workers spin briefly after each job before they sleep, so a decoding step's six products
// in a row each start within a microsecond (Dispatch's concurrentPerform took about 65 µs to
// hand half of a 100 µs job to its second thread). A call made while the pool is busy (from
// inside a body, or from another thread) runs its indices on its own thread, in order.
void wp_parallel_for(long count, void (*body)(void *context, long index), void *context);

#endif
