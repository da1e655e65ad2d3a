/*
 * iam_shellword: one line of a file bash used to source, read as the
 * assignment it is and never run. The syntax, and why anything else is
 * refused, is in iam_config.h: KEY="value", KEY='value', KEY=value,
 * "export " in front, a '#' comment after blanks. Every line whose
 * meaning under bash would differ from its meaning here (expansions,
 * escapes, shell characters, spaces around '=') is an error.
 *
 * Knows no key names and no values: iam_config does. Pure: no
 * allocation, no state, safe from any thread.
 */
#ifndef IAM_SHELLWORD_H
#define IAM_SHELLWORD_H

#include <stddef.h>

/* A message of iam_shellword_line() for a line of @len bytes is shorter
 * than this: the key it names is part of the line. */
#define IAM_SHELLWORD_WHY_MAX(len) ((len) + 128)

/*
 * iam_shellword_line - split one line into its key and value.
 * @line: the line without its line ending; @line[@len] must be '\0'.
 *        Modified in place: the key and the value are terminated where
 *        they end.
 * @len: bytes in @line; a NUL byte among them is an error.
 * @ret_key, @ret_val: on 1, point into @line; NULL otherwise. The value
 *        is without its quotes and may be empty.
 * @why: receives what is wrong on -EINVAL ("KEY: unterminated double
 *       quote", "expected KEY=value", ...), without file or line;
 *       untouched otherwise. May be NULL when @whylen is 0; with
 *       IAM_SHELLWORD_WHY_MAX(@len) bytes the message is never cut.
 *
 * Returns 0 for a blank or comment line, 1 for an assignment, or -EINVAL
 * for anything else: control characters other than tab, NUL bytes,
 * expansions, escapes, unbalanced or misplaced quotes, shell characters
 * in an unquoted value, text after the value, a malformed key.
 */
int
iam_shellword_line(char *line, size_t len, char **ret_key, char **ret_val,
                   char *why, size_t whylen);

#endif
