// Keeps dav1d (libheif's AV1 decoder for AVIF) from writing to stderr, which the CLI owns.
//
// libheif opens dav1d with dav1d's default settings, whose logger prints every complaint about
// a damaged stream ("Error parsing OBU data") to stderr, and dav1d_send_data prints "Input
// validation check ... failed" itself when libheif hands it an empty buffer. Neither can be
// configured through libheif's API, so this file interposes the two functions: the dynamic
// linker resolves libheif's calls to these definitions in the executable first, and each
// calls dav1d's own through dlsym(RTLD_NEXT). Decoding is unchanged; the error still comes back
// through libheif as a status, and the CLI prints it as one line. (Found by Fuzz/FuzzHEIF.)
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>

#include <dav1d/dav1d.h>

static void quiet_logger(void *cookie, const char *format, va_list arguments) {
    (void)cookie;
    (void)format;
    (void)arguments;
}

// dav1d's own functions, looked up once.
static void (*real_default_settings)(Dav1dSettings *);
static int (*real_send_data)(Dav1dContext *, Dav1dData *);
static pthread_once_t looked_up = PTHREAD_ONCE_INIT;

static void look_up(void) {
    *(void **)&real_default_settings = dlsym(RTLD_NEXT, "dav1d_default_settings");
    *(void **)&real_send_data = dlsym(RTLD_NEXT, "dav1d_send_data");
}

void dav1d_default_settings(Dav1dSettings *settings) {
    pthread_once(&looked_up, look_up);
    if (real_default_settings != NULL) {
        real_default_settings(settings);
    }
    settings->logger.cookie = NULL;
    settings->logger.callback = quiet_logger;
}

int dav1d_send_data(Dav1dContext *context, Dav1dData *data) {
    pthread_once(&looked_up, look_up);
    // The one input dav1d refuses by printing: a buffer with no bytes. dav1d would leave it
    // to the caller, and libheif never releases it (40 bytes per such file), so release it here;
    // releasing an already released Dav1dData is a no-op.
    if (real_send_data == NULL || (data != NULL && data->data != NULL && data->sz == 0)) {
        if (data != NULL) {
            dav1d_data_unref(data);
        }
        return DAV1D_ERR(EINVAL);
    }
    return real_send_data(context, data);
}
