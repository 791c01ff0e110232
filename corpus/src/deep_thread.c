/* A library built against glibc that runs 512 KiB of stack in a thread it
 * creates with default attributes (or, with -DSET_STACK, with a 1 MiB stack
 * it asks for): glibc's default thread stack (8 MiB) holds it, musl's
 * (128 KiB) does not. tests/alpine_rootfs.rs runs it under Alpine's loaders. */
#include <pthread.h>
#include <string.h>

static void *deep(void *arg) {
    volatile char frame[512 * 1024];
    memset((char *)frame, 1, sizeof frame);
    return (void *)(long)frame[(long)arg];
}

int run_deep(void) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
#ifdef SET_STACK
    pthread_attr_setstacksize(&attr, 1024 * 1024);
#endif
    pthread_t thread;
    void *result = 0;
    if (pthread_create(&thread, &attr, deep, (void *)7) != 0)
        return -1;
    pthread_join(thread, &result);
    return (int)(long)result;
}
