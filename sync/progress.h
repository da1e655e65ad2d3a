/*
 * progress: one line on a terminal that says how far a sync is: its
 * phase, the AWS calls made of those planned, retries, the time taken and
 * an estimate of the time left. Redrawn in place ("\r", erase to the end
 * of the line) as calls complete. Only when stderr is a terminal and the
 * journal does not take it (JOURNAL_STREAM unset): a timer's run, a pipe
 * or a file never gets it.
 */
#ifndef PROGRESS_H
#define PROGRESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct progress {
    bool on;
    pthread_mutex_t lock; /* the workers' calls report concurrently */
    int64_t start_ms;
    int64_t drawn_ms;      /* when the line was last drawn */
    const char *phase;     /* static string */
    unsigned long planned; /* calls this phase plans, 0 = unknown */
    unsigned long base;    /* calls made before this phase */
    unsigned long calls;
    unsigned long retries;
    bool shown; /* a line is on the screen */
};

/* progress_init - on when fd 2 is a terminal and JOURNAL_STREAM is unset. */
void
progress_init(struct progress *p);

/* progress_phase - a new phase that plans @planned calls (0: unknown). */
void
progress_phase(struct progress *p, const char *phase, unsigned long planned);

/* progress_call - the aws_client on_call callback (@arg: the progress). */
void
progress_call(void *arg, unsigned long calls, unsigned long retries);

/* progress_end - erase the line, so that what follows starts clean. */
void
progress_end(struct progress *p);

#endif
