/*
 * fuzz.h: what every libFuzzer target in fuzz/ shares.
 *
 * Each target defines LLVMFuzzerTestOneInput(), calls fuzz_init() once
 * from LLVMFuzzerInitialize() and states its invariants with FUZZ_ASSERT:
 * a broken invariant aborts, which libFuzzer reports as a crash and saves
 * the input, exactly as it does for a sanitizer finding.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iam_log.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv);
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)                                                      \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__,         \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* Drops every iam_log() message: the parsers log each refusal, and a
 * fuzzer refuses millions of inputs. Nothing reaches syslog either. */
static inline void
fuzz_init(void)
{
    iam_log_init("fuzz", LOG_USER, false, -1);
}

/* A heap copy of @data with a NUL after it; the caller frees it. An exact
 * size lets AddressSanitizer catch a read past the end. */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* A heap copy of @data without a terminator (for parsers that take a
 * length): any read past @size is an ASan report. */
static inline char *
fuzz_dup(const uint8_t *data, size_t size)
{
    char *s = malloc(size ? size : 1);

    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    return s;
}

/* True when @s (NUL-terminated within @size bytes) holds a NUL. */
static inline int
fuzz_is_cstr(const char *s, size_t size)
{
    return memchr(s, '\0', size) != NULL;
}

#endif
