/*
 * chain: CHAIN_AUTHORIZED_KEYS_COMMAND, a second AuthorizedKeysCommand
 * (for example EC2 Instance Connect's eic_run_authorized_keys) run after
 * ours, its output passed to sshd after our keys.
 *
 * The command is written as in sshd_config: a program and arguments
 * carrying sshd's %-tokens. sshd expands them for its own command only,
 * so they reach us literally; chain_prepare() expands them, the way sshd
 * does (misc.c percent_expand: each argument on its own, in one pass, so
 * a value that holds a '%' is never expanded again), from what sshd gave
 * us. chain.c is pure; chain_run.c runs the result.
 */
#ifndef CHAIN_H
#define CHAIN_H

#include <stddef.h>

/* Most words a chained command line may have, the program included. */
#define CHAIN_MAX_WORDS 16
/* How long the chained command may take, output and exit included. */
#define CHAIN_TIMEOUT_MS 10000
/* Most output passed on; more means none of it is. */
#define CHAIN_OUTPUT_MAX (256 * 1024)

/*
 * The values of the tokens. NULL: not given to us in this call (no %k
 * among our arguments, a malformed %U, an offered key that is a
 * certificate ...).
 */
struct chain_tokens {
    const char *user;        /* %u, as sshd passed it */
    const char *uid;         /* %U, a canonical uid */
    const char *key;         /* %k, base64 */
    const char *type;        /* %t, the key type inside %k */
    const char *fingerprint; /* %f, "SHA256:..." of %k */
};

struct chain_cmd {
    char *argv[CHAIN_MAX_WORDS + 1]; /* heap strings, NULL-terminated */
};

/*
 * chain_prepare - @command split on spaces and tabs (no shell, no
 * quoting), each argument after the program expanded from @t: %u %U %k
 * %t %f, and %% for one '%'.
 * @err: receives the reason on failure (NUL-terminated, @errlen bytes).
 *
 * Returns 0 with @ret filled (free it with chain_cmd_free());
 *  -EINVAL  the command itself is wrong whatever the call: the program is
 *           not an absolute path, a word holds a quote or a backslash
 *           (sshd's quoting is not supported), more than CHAIN_MAX_WORDS
 *           words, an unknown token or a '%' at the end of a word;
 *  -ENODATA the command is right but a token it uses has no value in
 *           this call;
 *  -ENOMEM.
 * On failure @ret holds nothing to free. Thread-safe.
 */
int
chain_prepare(const char *command, const struct chain_tokens *t,
              struct chain_cmd *ret, char *err, size_t errlen);

/* chain_cmd_free - frees what chain_prepare() allocated; NULL-safe. */
void
chain_cmd_free(struct chain_cmd *cmd);

/*
 * chain_run - run @cmd and pass its output on to our stdout.
 *
 * Like sshd with its own command: the program and every directory above
 * it must be owned by root and not writable by group or others; it runs
 * without a shell, with stdin on /dev/null, stderr shared (sshd discards
 * it) and stdout captured. Its output reaches our stdout only when it
 * exits 0 within CHAIN_TIMEOUT_MS having written at most
 * CHAIN_OUTPUT_MAX bytes; past the time it is killed, with its process
 * group. Every failure is logged here.
 *
 * Returns 0 when its output was passed on (possibly empty), -EPERM for an
 * untrusted program, -ETIMEDOUT, -EFBIG, -EIO for a non-zero exit or a
 * failed write, another -errno when it could not be run.
 */
int
chain_run(const struct chain_cmd *cmd);

#endif
