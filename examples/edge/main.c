/* Classify digits with the exported library: reads images.bin (int64 count, int64 pixels per
   image, then count * pixels float32 values in [0, 1]) and prints each image's digit, one a line.
   Build: <cc> -O2 -DBATCH=64 -I BUILD/<target> main.c BUILD/<target>/libclassify.a -lm
   BATCH must be the batch size the library was exported with (export_digits.py --batch). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"

#ifndef BATCH
#define BATCH 64
#endif

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s images.bin\n", argv[0]);
        return 2;
    }
    FILE *in = fopen(argv[1], "rb");
    int64_t header[2];
    if (!in || fread(header, sizeof(int64_t), 2, in) != 2) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }
    int64_t count = header[0], pixels = header[1];
    float *batch = malloc(sizeof(float) * BATCH * pixels);
    int64_t digits[BATCH];
    if (!batch) return 3;
    for (int64_t start = 0; start < count; start += BATCH) {
        int64_t n = count - start < BATCH ? count - start : BATCH;
        memset(batch, 0, sizeof(float) * BATCH * pixels); /* the last batch: padded with zeros */
        if (fread(batch, sizeof(float) * pixels, (size_t)n, in) != (size_t)n) {
            fprintf(stderr, "%s: short read\n", argv[1]);
            return 2;
        }
        int rc = classify(batch, BATCH, pixels, digits);
        if (rc != TJ_OK) {
            fprintf(stderr, "classify failed with error %d (pixels per image: %lld)\n", rc, (long long)pixels);
            return 1;
        }
        for (int64_t i = 0; i < n; i++) printf("%lld\n", (long long)digits[i]);
    }
    free(batch);
    fclose(in);
    return 0;
}
