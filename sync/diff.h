/*
 * diff: what a sync changes, for --dry-run, the summary line and the
 * MAX_REMOVE_PERCENT safety rule.
 */
#ifndef DIFF_H
#define DIFF_H

#include <stdbool.h>
#include <stdio.h>

#include "state.h"

struct diff_counts {
    unsigned users_added;
    unsigned users_removed;
    unsigned uids_changed;
    unsigned keys_added;
    unsigned keys_removed;
    unsigned keys_changed; /* status: Active / Inactive / expired */
    unsigned sudo_added;
    unsigned sudo_removed;
};

/*
 * diff_states - compare @old and @new. With @out, print one line per
 * change ("+ user NAME uid N", "- key ID of NAME (FP)", "~ key ID of NAME:
 * Active -> Inactive", "+ sudo NAME", ...), or with @json one JSON object
 * {"changes":[{...}], "counts":{...}}. Counts go to *ret.
 */
void
diff_states(const struct state *old, const struct state *new, FILE *out,
            bool json, struct diff_counts *ret);

/* diff_changed - true when anything an operator would see changed. */
bool
diff_changed(const struct diff_counts *d);

/*
 * diff_too_many_removed - the MAX_REMOVE_PERCENT rule: true when the
 * @removed users are more than @percent (0..100) of the @old_users the
 * snapshot in place serves. Exactly @percent is allowed; 0 refuses any
 * removal, 100 none. A first sync (@old_users 0) removes nobody.
 */
bool
diff_too_many_removed(unsigned removed, size_t old_users, unsigned percent);

#endif
