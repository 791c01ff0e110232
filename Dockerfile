# The muslcheck image: the static binary and a CA bundle (for the package-index
# lookups), nothing else. tools/build-dist.sh writes dist/rootfs/ first, and also
# assembles this same image without an engine (dist/oci/, dist/muslcheck-VERSION-oci.tar).
#   docker build -t muslcheck .
#   docker run --rm -v "$PWD:/src:ro" muslcheck .
FROM scratch
COPY dist/rootfs/ /
WORKDIR /src
ENTRYPOINT ["/muslcheck"]
