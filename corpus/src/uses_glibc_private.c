/* Needs GLIBC_PRIVATE from libc.so.6 (glibc 2.34+ keeps __resolv_context_get
 * there), as a program linked with parts of glibc's static libresolv does
 * (imageio-ffmpeg 0.8.1's ffmpeg). No manylinux policy allows the node. */
extern void *__resolv_context_get(void);
void *use_private(void) { return __resolv_context_get(); }
