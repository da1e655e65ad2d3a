/*
 * pool: run independent tasks on a few threads, each with its own HTTP
 * connection. Bounded concurrency is how iam-sync spreads its calls; the
 * shared aws_client rate limit keeps the total under IAM's budget.
 */
#ifndef POOL_H
#define POOL_H

#include <stddef.h>

#include "aws_http.h"

/*
 * pool_run - call @fn(i, http, arg) for every i in [0, @ntasks) on at most
 * @nthreads threads. The first task to fail stops the others from
 * starting new tasks; its return value is returned. Returns 0 when all
 * succeeded, -ENOMEM or another -errno if a thread or handle could not be
 * made, or the failing task's -errno.
 */
int
pool_run(size_t ntasks, unsigned nthreads,
         int (*fn)(size_t i, struct aws_http *h, void *arg), void *arg);

#endif
