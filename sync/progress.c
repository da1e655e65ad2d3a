#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws_client.h"

/* Redraws at most this often: a terminal is slower than a fast fetch. */
#define REDRAW_MS 100

void
progress_init(struct progress *p)
{
    memset(p, 0, sizeof(*p));
    /* Under systemd stderr may be a journal stream, never a terminal;
     * JOURNAL_STREAM also covers a terminal handed through it. */
    p->on = isatty(STDERR_FILENO) && !getenv("JOURNAL_STREAM");
    pthread_mutex_init(&p->lock, NULL);
    p->start_ms = aws_client_now_ms();
    p->phase = "starting";
}

/* The line, under the lock. The estimate is the phase's pace so far. */
static void
draw(struct progress *p, int64_t now)
{
    unsigned long done = p->calls - p->base;
    double secs = (double)(now - p->start_ms) / 1000.0;
    char planned[32] = "?", left[48] = "";

    if (p->planned) {
        snprintf(planned, sizeof(planned), "%lu", p->planned);
        if (done > 0 && done < p->planned)
            snprintf(left, sizeof(left), ", about %.0f s left",
                     secs / (double)p->calls * (double)(p->planned - done));
    }
    fprintf(stderr,
            "\r\033[Kiam-sync: %s: %lu of %s calls, %lu retries, "
            "%.1f s%s",
            p->phase, done, planned, p->retries, secs, left);
    fflush(stderr);
    p->drawn_ms = now;
    p->shown = true;
}

void
progress_phase(struct progress *p, const char *phase, unsigned long planned)
{
    if (!p->on)
        return;
    pthread_mutex_lock(&p->lock);
    p->phase = phase;
    p->planned = planned;
    p->base = p->calls;
    draw(p, aws_client_now_ms());
    pthread_mutex_unlock(&p->lock);
}

void
progress_call(void *arg, unsigned long calls, unsigned long retries)
{
    struct progress *p = arg;
    int64_t now;

    if (!p->on)
        return;
    now = aws_client_now_ms();
    pthread_mutex_lock(&p->lock);
    /* reports from threads may come out of order: keep the highest */
    if (calls > p->calls)
        p->calls = calls;
    if (retries > p->retries)
        p->retries = retries;
    if (now - p->drawn_ms >= REDRAW_MS)
        draw(p, now);
    pthread_mutex_unlock(&p->lock);
}

void
progress_end(struct progress *p)
{
    if (p->on && p->shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->shown = false;
    if (p->on)
        pthread_mutex_destroy(&p->lock);
    p->on = false;
}
