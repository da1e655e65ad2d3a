/*
 * iam_log: where iam-sync, iam-authorized-keys and lib/ send messages.
 *
 * Messages go to syslog with the facility given to iam_log_init(), and also
 * to stderr when stderr is a terminal or the caller asked for it (--verbose,
 * tests). The sink is process-global and must be set up before any thread
 * starts; iam_log() itself is then safe to call from any thread.
 *
 * The NSS module never uses this file: a library must not openlog().
 *
 * Never pass credentials, Authorization headers or raw response bodies.
 */
#ifndef IAM_LOG_H
#define IAM_LOG_H

#include <stdbool.h>
#include <syslog.h>

/*
 * iam_log_init - open the sink.
 * @ident: syslog ident ("iam-sync"); must stay valid for the process.
 * @facility: LOG_AUTHPRIV, LOG_DAEMON, ...
 * @to_stderr: also copy every message to stderr (a terminal always gets it).
 * @max_priority: messages less urgent than this (e.g. LOG_DEBUG when
 *                LOG_INFO is given) are dropped everywhere.
 */
void
iam_log_init(const char *ident, int facility, bool to_stderr, int max_priority);

/*
 * iam_log_facility_parse - "authpriv", "auth", "daemon", "user",
 * "local0".."local7" to a LOG_* facility.
 * Returns 0 and sets *ret_facility, or -EINVAL for an unknown name.
 */
int
iam_log_facility_parse(const char *name, int *ret_facility);

/*
 * iam_log - one message at @priority (LOG_ERR, LOG_WARNING, LOG_NOTICE,
 * LOG_INFO, LOG_DEBUG). Without iam_log_init() it goes to stderr only.
 * The message is one line: bytes outside printable ASCII (newlines,
 * escape sequences, UTF-8) and the backslash are written as \xHH, so a
 * logged string cannot forge a line or reach the terminal. Up to 1023
 * bytes are kept before escaping.
 */
void
iam_log(int priority, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
