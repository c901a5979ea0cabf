// OpenBLAS's CBLAS interface (Debian: libopenblas-dev installs it as <cblas.h>).
#include <cblas.h>
// OpenBLAS extensions: thread count control, so benchmarks and the encoder agree on cores.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
