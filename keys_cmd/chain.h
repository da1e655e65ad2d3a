/*
 * chain: CHAIN_AUTHORIZED_KEYS_COMMAND, a second AuthorizedKeysCommand
 * (for example EC2 Instance Connect's eic_run_authorized_keys) run after
 * ours with the same arguments, its output passed through to sshd.
 */
#ifndef CHAIN_H
#define CHAIN_H

/*
 * chain_run - run @command (an absolute path, then words separated by
 * spaces; no shell, no expansion) with @argv[0..argc-1] appended, stdin on
 * /dev/null, stdout shared with ours (flushed first), and wait for it.
 * Its exit status is logged, not returned: a failing chained command must
 * not take our keys away (sshd ignores all output on a non-zero exit).
 * Returns 0, or -errno when it could not be started.
 */
int
chain_run(const char *command, int argc, char **argv);

#endif
