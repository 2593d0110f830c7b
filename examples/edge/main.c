/* Classify digits with the exported library: reads images.bin (int64 count, int64 pixels per
   image, then count * pixels float32 values in [0, 1]) and prints each image's digit, one a line.
   Build: <cc> -O2 -I BUILD/<target> main.c BUILD/<target>/libclassify.a -lm
   The library takes the batch size at run time: all the file's images go in one call. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "classify.h"

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s images.bin\n", argv[0]);
        return 2;
    }
    FILE *in = fopen(argv[1], "rb");
    int64_t header[2];
    if (!in || fread(header, sizeof(int64_t), 2, in) != 2 || header[0] < 0 || header[1] < 0) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }
    int64_t count = header[0], pixels = header[1];
    if (count == 0) return 0; /* (the library's sizes are at least 1) */
    float *images = malloc(sizeof(float) * (size_t)(count * pixels));
    int64_t *digits = malloc(sizeof(int64_t) * (size_t)count);
    if (!images || !digits) return 3;
    if (fread(images, sizeof(float) * (size_t)pixels, (size_t)count, in) != (size_t)count) {
        fprintf(stderr, "%s: short read\n", argv[1]);
        return 2;
    }
    int rc = classify(images, count, pixels, digits);
    if (rc != TJ_OK) {
        fprintf(stderr, "classify failed with error %d (pixels per image: %lld)\n", rc, (long long)pixels);
        return 1;
    }
    for (int64_t i = 0; i < count; i++) printf("%lld\n", (long long)digits[i]);
    free(digits);
    free(images);
    fclose(in);
    return 0;
}
