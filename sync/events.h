/*
 * events: IAM's own announcements of its changes, read as hints.
 *
 * IAM write calls reach EventBridge as "AWS API Call via CloudTrail"
 * events (source aws.iam); a rule sends them to the SQS queue of
 * EVENT_QUEUE_URL. Each message body is one such event. An event is a
 * hint, never a source of truth: it names only what to read again from
 * IAM (a user's keys, a user, a group's members, a user's tags). Anyone
 * who can send to the queue can therefore cause at most a re-read: what
 * is published is always what IAM answers.
 *
 * Hints arriving together are gathered into one set, sorted and without
 * duplicates, so that a burst of events costs one read of each thing.
 */
#ifndef EVENTS_H
#define EVENTS_H

#include <stdbool.h>
#include <stddef.h>

/* What to read again. */
enum event_kind {
    EVENT_USER = 1,      /* GetUser: created, deleted, renamed */
    EVENT_USER_KEYS = 2, /* ListSSHPublicKeys (+ GetSSHPublicKey) */
    EVENT_USER_TAGS = 3, /* ListUserTags (only with TAG_KEYS) */
    EVENT_GROUP = 4,     /* GetGroup (only a configured group) */
};

struct event_hint {
    enum event_kind kind;
    char *name; /* a valid IAM user or group name */
};

/* More distinct hints than this in one set: a full read is cheaper
 * than re-reading each, and it bounds what a flood of messages costs. */
#define EVENT_HINTS_MAX 500

struct event_hints {
    struct event_hint *v; /* sorted by kind, then name; no duplicates */
    size_t n;
    /* A full read is needed instead: a message could not be read, or
     * there were more than EVENT_HINTS_MAX hints. */
    bool full;
    unsigned long events;    /* messages read as events we follow */
    unsigned long ignored;   /* well formed, but nothing to re-read */
    unsigned long malformed; /* could not be read (sets @full) */
};

/*
 * event_hints_add - read one message body (@len bytes, not necessarily
 * NUL-terminated) into @h.
 * @tags: TAG_KEYS is on (Tag/UntagUser name the user's tags).
 * @why (@why_len bytes): on 1 or -EBADMSG, a short reason for the log.
 * Returns 0 when hints were added; 1 when the event is well formed but
 * names nothing to re-read (another source or detail-type, a failed
 * call, an IAM action that changes nothing served); -EBADMSG when the
 * body is not such an event, or names something no IAM name can be
 * (then @h->full is set); -ENOMEM.
 */
int
event_hints_add(struct event_hints *h, const char *body, size_t len, bool tags,
                char *why, size_t why_len);

/* event_hints_merge - add @from's hints and counters to @into. */
int
event_hints_merge(struct event_hints *into, const struct event_hints *from);

/* event_hint_kind_name - "user", "keys", "tags", "group". */
const char *
event_hint_kind_name(enum event_kind kind);

void
event_hints_free(struct event_hints *h);

#endif
