#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

struct pool {
    pthread_mutex_t lock;
    size_t next;
    size_t ntasks;
    int error;
    int (*fn)(size_t, struct aws_http *, void *);
    void *arg;
};

/* The next task index, or ntasks once done or failed. */
static size_t
take(struct pool *p)
{
    size_t i;

    pthread_mutex_lock(&p->lock);
    i = p->error ? p->ntasks : p->next;
    if (i < p->ntasks)
        p->next++;
    pthread_mutex_unlock(&p->lock);
    return i;
}

static void
fail(struct pool *p, int r)
{
    pthread_mutex_lock(&p->lock);
    if (!p->error)
        p->error = r;
    pthread_mutex_unlock(&p->lock);
}

static void *
worker(void *arg)
{
    struct pool *p = arg;
    struct aws_http h;
    size_t i;
    int r;

    r = aws_http_init(&h);
    if (r < 0) {
        fail(p, r);
        return NULL;
    }
    while ((i = take(p)) < p->ntasks) {
        r = p->fn(i, &h, p->arg);
        if (r < 0)
            fail(p, r);
    }
    aws_http_destroy(&h);
    return NULL;
}

int
pool_run(size_t ntasks, unsigned nthreads,
         int (*fn)(size_t i, struct aws_http *h, void *arg), void *arg)
{
    struct pool p = { PTHREAD_MUTEX_INITIALIZER, 0, ntasks, 0, fn, arg };
    pthread_t *th;
    unsigned n, started = 0;

    if (ntasks == 0)
        return 0;
    n = nthreads ? nthreads : 1;
    if (n > ntasks)
        n = (unsigned)ntasks;
    th = calloc(n, sizeof(*th));
    if (!th)
        return -ENOMEM;
    for (; started < n; started++)
        if (pthread_create(&th[started], NULL, worker, &p) != 0)
            break;
    if (started == 0)
        p.error = -EAGAIN;
    while (started > 0)
        pthread_join(th[--started], NULL);
    free(th);
    pthread_mutex_destroy(&p.lock);
    return p.error;
}
