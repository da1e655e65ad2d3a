#include "iam_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The sink; set once by iam_log_init() before threads start. */
static struct {
    bool syslog_open;
    bool to_stderr;
    int max_priority;
    const char *ident;
} sink = { false, true, LOG_INFO, NULL };

static const struct {
    const char *name;
    int facility;
} facilities[] = {
    { "authpriv", LOG_AUTHPRIV }, { "auth", LOG_AUTH },
    { "daemon", LOG_DAEMON },     { "user", LOG_USER },
    { "local0", LOG_LOCAL0 },     { "local1", LOG_LOCAL1 },
    { "local2", LOG_LOCAL2 },     { "local3", LOG_LOCAL3 },
    { "local4", LOG_LOCAL4 },     { "local5", LOG_LOCAL5 },
    { "local6", LOG_LOCAL6 },     { "local7", LOG_LOCAL7 },
};

void
iam_log_init(const char *ident, int facility, bool to_stderr, int max_priority)
{
    sink.ident = ident;
    sink.to_stderr = to_stderr || isatty(STDERR_FILENO);
    sink.max_priority = max_priority;
    openlog(ident, LOG_PID, facility);
    sink.syslog_open = true;
}

int
iam_log_facility_parse(const char *name, int *ret_facility)
{
    size_t i;

    for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++) {
        if (strcmp(name, facilities[i].name) == 0) {
            *ret_facility = facilities[i].facility;
            return 0;
        }
    }
    return -EINVAL;
}

static const char *
priority_word(int priority)
{
    switch (priority) {
    case LOG_EMERG:
    case LOG_ALERT:
    case LOG_CRIT:
    case LOG_ERR:
        return "error";
    case LOG_WARNING:
        return "warning";
    case LOG_NOTICE:
        return "notice";
    case LOG_INFO:
        return "info";
    default:
        return "debug";
    }
}

/*
 * Messages quote strings that others control: IAM names and key bodies,
 * EC2 tag values, AWS error texts, the names in a TLS certificate. A
 * newline in one would forge a line of its own on stderr (journald and
 * log files split there) and an escape sequence would drive the terminal
 * of whoever reads it. So every byte outside printable ASCII is written
 * as \xHH, and so is the backslash itself, which keeps an escape from
 * being faked. @out gets as many whole escapes as fit.
 */
static void
escape(const char *in, char *out, size_t out_size)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    unsigned char ch;

    for (; *in; in++) {
        ch = (unsigned char)*in;
        if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
            if (n + 1 >= out_size)
                break;
            out[n++] = (char)ch;
            continue;
        }
        if (n + 4 >= out_size)
            break;
        out[n++] = '\\';
        out[n++] = 'x';
        out[n++] = hex[ch >> 4];
        out[n++] = hex[ch & 0xf];
    }
    out[n] = '\0';
}

void
iam_log(int priority, const char *fmt, ...)
{
    va_list ap;
    char msg[1024];
    char safe[4 * sizeof(msg)]; /* room for every byte escaped */

    /* A facility may come with the priority (LOG_AUTHPRIV | LOG_NOTICE):
     * only the priority is compared and named. */
    if (LOG_PRI(priority) > sink.max_priority)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    escape(msg, safe, sizeof(safe));
    if (sink.syslog_open)
        syslog(priority, "%s", safe);
    if (sink.to_stderr)
        fprintf(stderr, "%s%s%s: %s\n", sink.ident ? sink.ident : "",
                sink.ident ? ": " : "", priority_word(LOG_PRI(priority)), safe);
}
