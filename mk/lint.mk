# Static checks of the C sources.
#
#   make lint          the checks below; each prints
#                      "lint: TOOL: ok" or "lint: TOOL: FAILED", and lint
#                      fails if one of them did
#   make lint-banned   functions nobody may call, anywhere (unbounded,
#                      not thread-safe, or with a safer equivalent)
#                      (and the NSS recursion hazards under nss_iam/)
#   make lint-cppcheck cppcheck (warning, portability, performance)
#   make lint-tidy     clang-tidy with .clang-tidy, over lib/ nss_iam/
#                      keys_cmd/ sync/
#   make lint-man      every key of lib/iam_config.c's table is set in
#                      bold on some line of man/nss-iam.conf.5
#   make format-check  clang-format --dry-run --Werror with .clang-format
#                      (part of make lint: the tree is kept formatted)
#
# False positives are suppressed, each with its reason, in
# .cppcheck-suppressions and in the "suppress:" comments of .clang-tidy.

LINT_DIR = $(BUILD)/lint
LINT_DIRS := lib lib/snapshot lib/aws nss_iam keys_cmd sync
LINT_SRC = $(sort $(wildcard $(LINT_DIRS:%=%/*.c)))
# Every C file of the tree, for the banned-function and format checks.
LINT_ALL_C = $(sort $(shell find . \( -path ./build -o -path ./.git -o \
	-path ./cache \) -prune -o -name '*.[ch]' -print | sed 's,^\./,,'))
LINT_CFLAGS = $(filter-out -MMD -MP,$(ALL_CFLAGS))
LINT_TIDY_JOBS ?= 2

# Unbounded writes (gets, sprintf, vsprintf, strcpy, strcat), a copy that
# does not terminate (strncpy), hidden static state that is not
# thread-safe (strtok, strerror, localtime, gmtime), silent parse failures
# (atoi, atol), and a shell (system, popen): each has a safer equivalent
# used instead (snprintf, strtok_r, strerrordesc_np, gmtime_r, strtoul,
# fork/exec).
LINT_BANNED := gets|sprintf|vsprintf|strcpy|strcat|strncpy|strtok|atoi|atol|strerror|localtime|gmtime|system|popen
LINT_BANNED_NSS := getpw[a-z_]*|getgr[a-z_]*|initgroups

# awk program: prints FILE:LINE: TEXT for each call of a banned function
# outside comments and string literals.
define LINT_BANNED_AWK
{
    line = $$0
    gsub(/"([^"\\]|\\.)*"/, "\"\"", line)
    gsub(/\/\*([^*]|\*+[^*\/])*\*+\//, "", line)
    if (incomment) {
        if (line !~ /\*\//)
            next
        sub(/^.*\*\//, "", line)
        incomment = 0
    }
    if (line ~ /\/\*/) {
        sub(/\/\*.*$$/, "", line)
        incomment = 1
    }
    sub(/\/\/.*$$/, "", line)
    if (line ~ /(^|[^A-Za-z0-9_])($(LINT_BANNED))[ \t]*\(/ ||
        (FILENAME ~ /^nss_iam\// &&
         line ~ /(^|[^A-Za-z0-9_])($(LINT_BANNED_NSS))[ \t]*\(/)) {
        print FILENAME ":" FNR ": " $$0
        found++
    }
}
FNR == 1 { incomment = 0 }
END { exit found ? 1 : 0 }
endef
export LINT_BANNED_AWK

# awk program: reads the "suppress:" entries of .clang-tidy, then
# clang-tidy's diagnostics; prints the findings that no entry covers.
define LINT_TIDY_AWK
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$$/, "", s); return s }
FILENAME == ".clang-tidy" {
    if ($$0 ~ /^# suppress: /) {
        file = $$3; check = $$4
    } else if ($$0 ~ /^#   line: /) {
        text = $$0; sub(/^#   line: /, "", text)
        supp[file SUBSEP check SUBSEP trim(text)] = 1
    }
    next
}
/: (warning|error): / {
    loc = $$0; sub(/: (warning|error): .*$$/, "", loc)
    n = split(loc, part, ":")
    path = part[1]; sub("^" root "/", "", path)
    lineno = part[2] + 0
    checks = $$0
    if (checks ~ /\[[^]]+\]$$/) {
        sub(/^.*\[/, "", checks); sub(/\]$$/, "", checks)
    } else
        checks = ""
    src = ""
    for (i = 1; i <= lineno && (getline l < path) > 0; i++)
        if (i == lineno) src = trim(l)
    close(path)
    ok = 0
    if ($$0 ~ /: warning: /) {
        m = split(checks, c, ",")
        for (i = 1; i <= m; i++)
            if ((path SUBSEP c[i] SUBSEP src) in supp) ok = 1
    }
    if (!ok && !(($$0) in seen)) {
        seen[$$0] = 1
        print path ":" lineno ": " substr($$0, length(loc) + 3)
        found++
    }
}
END { exit found ? 1 : 0 }
endef
export LINT_TIDY_AWK

.PHONY: lint lint-banned lint-cppcheck lint-tidy lint-shell lint-man \
	format-check

# Every shell script of the tree: the packages' editors and maintainer
# scripts run as root on every host; the tests decide what passes.
LINT_SHELL = $(sort $(wildcard scripts/*.sh tests/*.sh tests/*/*.sh \
	tests/integration/lib/*.sh fuzz/*.sh debian/*.preinst debian/*.postinst \
	debian/*.postrm debian/*.prerm .ci/run))

lint:
	@fail=0; \
	for t in lint-banned lint-cppcheck lint-tidy lint-shell lint-man \
	    format-check; do \
	    $(MAKE) --no-print-directory $$t || fail=1; \
	done; \
	exit $$fail

lint-banned:
	@if awk "$$LINT_BANNED_AWK" $(LINT_ALL_C); then \
	    echo "lint: banned functions: ok"; \
	else \
	    echo "lint: banned functions: FAILED (LINT_BANNED in mk/lint.mk says why each is banned)"; \
	    exit 1; \
	fi

lint-shell:
	@if shellcheck -x -P SCRIPTDIR $(LINT_SHELL); then \
	    echo "lint: shellcheck: ok"; \
	else \
	    echo "lint: shellcheck: FAILED"; \
	    exit 1; \
	fi

# The keys are the table's '{ "NAME", KIND_' lines; a key the man page
# never names is a setting nobody can find. No key found at all means
# the table changed shape and this check with it.
LINT_MAN_KEYS = $(shell sed -n 's/^ *{ "\([A-Z0-9_]*\)", KIND_.*/\1/p' \
	lib/iam_config.c)

lint-man:
	@missing=; \
	for k in $(LINT_MAN_KEYS); do \
	    grep -qE "^\.(B|BR|RB|BI|IB) (.*[^A-Z0-9_])?$$k([^A-Z0-9_]|$$)" \
	        man/nss-iam.conf.5 || missing="$$missing $$k"; \
	done; \
	if [ -z "$(LINT_MAN_KEYS)" ]; then \
	    missing=" (no key found in lib/iam_config.c)"; \
	fi; \
	if [ -z "$$missing" ]; then \
	    echo "lint: man page keys: ok"; \
	else \
	    echo "man/nss-iam.conf.5 does not document:$$missing"; \
	    echo "lint: man page keys: FAILED"; \
	    exit 1; \
	fi

lint-cppcheck:
	@mkdir -p $(LINT_DIR)
	@if cppcheck --quiet --enable=warning,portability,performance \
	    --error-exitcode=1 --inline-suppr --std=c11 --library=posix \
	    --library=gnu -D_GNU_SOURCE -Ilib/snapshot -Ilib -Ilib/aws \
	    -j$(LINT_TIDY_JOBS) \
	    --suppressions-list=.cppcheck-suppressions \
	    --cppcheck-build-dir=$(LINT_DIR) \
	    --template='{file}:{line}: {severity}: {message} [{id}]' \
	    $(LINT_SRC); then \
	    echo "lint: cppcheck: ok"; \
	else \
	    echo "lint: cppcheck: FAILED"; \
	    exit 1; \
	fi

# The compile database clang-tidy needs, from the Makefile's own flags.
$(LINT_DIR)/compile_commands.json: $(MAKEFILE_LIST) $(LINT_SRC)
	@mkdir -p $(@D)
	@{ sep=' '; echo '['; \
	for f in $(LINT_SRC); do \
	    printf '%s{ "directory": "%s", "file": "%s",\n' "$$sep" \
	        "$(CURDIR)" "$$f"; \
	    printf '   "command": "%s %s -c %s" }\n' "$(CC)" \
	        "$(LINT_CFLAGS)" "$$f"; \
	    sep=','; \
	done; echo ']'; } >$@.tmp && mv $@.tmp $@

# One clang-tidy log per source, kept until the source, a header, the
# checks or the flags change, so a second `make lint` only re-reads them.
LINT_TIDY_LOGS = $(LINT_SRC:%.c=$(LINT_DIR)/tidy/%.log)
LINT_HDRS = $(wildcard $(LINT_DIRS:%=%/*.h))

$(LINT_TIDY_LOGS): $(LINT_DIR)/tidy/%.log: %.c $(LINT_HDRS) .clang-tidy \
		Makefile | $(LINT_DIR)/compile_commands.json
	@mkdir -p $(@D)
	@if clang-tidy -p $(LINT_DIR) --quiet $< >$@.tmp 2>$@.err; then \
	    mv $@.tmp $@; \
	else \
	    grep -h 'error:' $@.tmp $@.err | head -n 20; \
	    echo "$<: clang-tidy could not check this file"; \
	    exit 1; \
	fi

lint-tidy: | $(LINT_DIR)/compile_commands.json
	@$(MAKE) --no-print-directory -s -k -j$(LINT_TIDY_JOBS) $(LINT_TIDY_LOGS); \
	rc=$$?; \
	for f in $(LINT_TIDY_LOGS); do \
	    if [ -f $$f ]; then cat $$f; fi; \
	done >$(LINT_DIR)/clang-tidy.log; \
	if awk -v root="$(CURDIR)" "$$LINT_TIDY_AWK" .clang-tidy \
	    $(LINT_DIR)/clang-tidy.log && [ $$rc -eq 0 ]; then \
	    echo "lint: clang-tidy: ok"; \
	else \
	    echo "lint: clang-tidy: FAILED (logs: $(LINT_DIR)/tidy/)"; \
	    exit 1; \
	fi

format-check:
	@n=0; total=0; \
	for f in $(LINT_ALL_C); do \
	    total=$$((total + 1)); \
	    if ! clang-format --dry-run --Werror "$$f" >/dev/null 2>&1; then \
	        echo "format-check: $$f would change"; \
	        n=$$((n + 1)); \
	    fi; \
	done; \
	if [ $$n -eq 0 ]; then \
	    echo "format-check: $$total files"; \
	    echo "lint: clang-format: ok"; \
	else \
	    echo "format-check: $$n of $$total files would change" \
	        "(clang-format -i FILE shows how)"; \
	    echo "lint: clang-format: FAILED"; \
	    exit 1; \
	fi
