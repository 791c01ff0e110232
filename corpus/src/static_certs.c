/* A static program that reads the CA bundle, as a TLS client does: it runs on
   scratch, and fails there when it needs the certificates. */
#include <stdio.h>

int main(void) {
    FILE *bundle = fopen("/etc/ssl/certs/ca-certificates.crt", "r");
    if (!bundle) { perror("ca bundle"); return 1; }
    fclose(bundle);
    return 0;
}
