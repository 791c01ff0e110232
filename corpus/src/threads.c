/* Starts a thread: linked on glibc >= 2.34 it needs pthread_create@GLIBC_2.34
   (libpthread merged into libc), which glibc 2.31 (Debian 11) does not define. */
#include <pthread.h>
#include <stdio.h>

static void *work(void *arg) { return arg; }

int main(void) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, work, NULL) != 0) return 1;
    pthread_join(thread, NULL);
    puts("joined");
    return 0;
}
