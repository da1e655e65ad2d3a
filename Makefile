# nss-iam build. GNU make; no configure step.
#
#   make            build/iam-sync, build/iam-authorized-keys,
#                   build/libnss_iam.so.2
#   make check      every test (unit, sanitizers, valgrind, integration)
#   make demo       the whole thing on an emulated IAM, in a namespace
#   make bench      performance figures
#   make install    DESTDIR, PREFIX, LIBDIR honoured
#   make deb|rpm    packages

CC ?= cc
PREFIX ?= /usr
SBINDIR ?= $(PREFIX)/sbin
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
LIBDIR ?= $(PREFIX)/lib/$(MULTIARCH)
MANDIR ?= $(PREFIX)/share/man
LIBEXECDIR ?= $(PREFIX)/libexec
SYSCONFDIR ?= /etc
DESTDIR ?=
BUILD ?= build

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes
HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(HARDEN) -fPIC $(CFLAGS) \
	-Ilib/snapshot -Ilib -Ilib/aws -MMD -MP
LDHARDEN := -Wl,-z,relro,-z,now
LDFLAGS ?=

# lib/ in three layers, one folder each (docs/design.md, "Layers"):
# lib/snapshot/: the snapshot format's read side, all the NSS module may
# link (libc and liblmdb only) ...
LIB_CORE := $(sort $(wildcard lib/snapshot/*.c))
# ... lib/: names, ids, keys, configuration, logging, files ...
LIB_REST := $(sort $(wildcard lib/*.c))
# ... lib/aws/: the AWS client (libcurl, OpenSSL, json-c), for iam-sync and
# iam-verify-key.
LIB_AWS := $(sort $(wildcard lib/aws/*.c))
LIB_SRC := $(LIB_CORE) $(LIB_REST) $(LIB_AWS)
LIBS := -llmdb -lcrypto -lcurl -ljson-c -lm

NSS_SRC := $(wildcard nss_iam/*.c)
# iam-verify-key (VERIFY_ONLINE) is apart, so that the keys command run
# on every login links neither libcurl nor json-c.
VERIFY_SRC := keys_cmd/verify_main.c keys_cmd/online.c
KEYS_SRC := $(filter-out $(VERIFY_SRC),$(wildcard keys_cmd/*.c))
SYNC_SRC := $(wildcard sync/*.c)
UNIT_SRC := tests/unit/test_rec.c tests/unit/test_db.c tests/unit/test_pack.c \
	tests/unit/test_keyline.c tests/unit/test_name.c tests/unit/test_id.c \
	tests/unit/test_keys.c tests/unit/test_config.c tests/unit/test_sigv4.c \
	tests/unit/test_creds.c tests/unit/test_iam_json.c \
	tests/unit/test_ec2_tags.c tests/unit/test_model.c tests/unit/test_sha256.c \
	tests/unit/test_s3.c tests/unit/test_fleet.c tests/unit/test_diff.c \
	tests/unit/test_sshd_check.c tests/unit/test_log.c tests/unit/test_lines.c \
	tests/unit/test_client.c tests/unit/test_endpoint.c tests/unit/test_time.c \
	tests/unit/test_error.c tests/unit/test_file.c tests/unit/test_shellword.c \
	tests/unit/test_sudo_check.c tests/unit/test_explain.c \
	tests/unit/test_tag_keys.c tests/unit/test_terminate.c \
	tests/unit/test_shared.c tests/unit/test_sqs.c tests/unit/test_events.c \
	tests/unit/test_fetch_delta.c tests/unit/test_follow.c
TEST_HELPER_SRC := $(wildcard tests/helpers/*.c)
TEST_COMMON_SRC := $(wildcard tests/common/*.c)

OBJ = $(BUILD)/obj
LIB_OBJ := $(LIB_SRC:%.c=$(OBJ)/%.o)
NSS_OBJ := $(NSS_SRC:%.c=$(OBJ)/nss/%.o) $(LIB_CORE:%.c=$(OBJ)/nss/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HELPER_BIN := $(TEST_HELPER_SRC:tests/helpers/%.c=$(BUILD)/tests/%)
TEST_COMMON_OBJ := $(TEST_COMMON_SRC:%.c=$(OBJ)/%.o)
TESTLIB := $(BUILD)/libtestfixture.a

KEYS_OBJ := $(KEYS_SRC:%.c=$(OBJ)/%.o)
VERIFY_OBJ := $(VERIFY_SRC:%.c=$(OBJ)/%.o)
SYNC_OBJ := $(SYNC_SRC:%.c=$(OBJ)/%.o)

NSS_LIB := $(BUILD)/libnss_iam.so.2
KEYS_BIN := $(BUILD)/iam-authorized-keys
VERIFY_BIN := $(BUILD)/iam-verify-key
SYNC_BIN := $(BUILD)/iam-sync
PROGRAMS := $(NSS_LIB) $(KEYS_BIN) $(VERIFY_BIN) $(SYNC_BIN)

.PHONY: all check check-prep unit-tests test-helpers clean deps demo
.DELETE_ON_ERROR:

all: $(PROGRAMS)

$(OBJ)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# The module's objects: hidden visibility, so only what nss_iam.map
# exports (and what the sources mark default) leaves the .so.
$(OBJ)/nss/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fvisibility=hidden -c $< -o $@

# The keys command runs on every login: libc and LMDB only. OpenSSL
# alone would cost about 2 ms per call; lib/iam_sha256.c does its hashing.
$(KEYS_BIN): $(KEYS_OBJ) $(BUILD)/libiam.a
	$(CC) -pie $(LDHARDEN) -Wl,--as-needed $(LDFLAGS) -o $@ $(KEYS_OBJ) \
		$(BUILD)/libiam.a -llmdb

$(VERIFY_BIN): $(VERIFY_OBJ) $(BUILD)/libiam.a
	$(CC) -pie $(LDHARDEN) $(LDFLAGS) -o $@ $(VERIFY_OBJ) $(BUILD)/libiam.a \
		$(LIBS)

$(SYNC_BIN): $(SYNC_OBJ) $(BUILD)/libiam.a
	$(CC) -pie $(LDHARDEN) $(LDFLAGS) -o $@ $(SYNC_OBJ) $(BUILD)/libiam.a \
		$(LIBS) -lpthread

# Where the keys command finds iam-verify-key when it is not beside it.
$(OBJ)/keys_cmd/verify.o: ALL_CFLAGS += \
	-DIAM_LIBEXECDIR='"$(LIBEXECDIR)/nss-iam"'

$(BUILD)/libiam.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(NSS_LIB): $(NSS_OBJ) nss_iam/nss_iam.map
	$(CC) -shared -Wl,-soname,libnss_iam.so.2 -Wl,-z,defs $(LDHARDEN) \
		-Wl,--version-script=nss_iam/nss_iam.map $(LDFLAGS) \
		-o $@ $(NSS_OBJ) -llmdb

$(TESTLIB): $(TEST_COMMON_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

TEST_CFLAGS = $(ALL_CFLAGS) -Itests/common
TEST_LIBS = $(TESTLIB) $(BUILD)/libiam.a $(LIBS) -lcmocka -lpthread

$(BUILD)/tests/test_%: tests/unit/test_%.c $(BUILD)/libiam.a $(TESTLIB)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(LDFLAGS) -o $@ $< $(TEST_LIBS)

# Test programs that exercise the NSS module's objects in-process.
$(BUILD)/tests/nss_%: tests/helpers/nss_%.c $(NSS_OBJ) $(BUILD)/libiam.a \
		$(TESTLIB)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -Inss_iam $(LDFLAGS) -o $@ $< $(NSS_OBJ) \
		$(TEST_LIBS)

$(BUILD)/tests/%: tests/helpers/%.c $(BUILD)/libiam.a $(TESTLIB)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(LDFLAGS) -o $@ $< $(TEST_LIBS)

# The keys command's decision and chained command line, tested apart
# from its main().
KEYS_TESTED_OBJ := $(OBJ)/keys_cmd/keys.o $(OBJ)/keys_cmd/chain.o
$(BUILD)/tests/test_keys: tests/unit/test_keys.c $(KEYS_TESTED_OBJ) \
		$(BUILD)/libiam.a $(TESTLIB)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -Ikeys_cmd $(LDFLAGS) -o $@ $< \
		$(KEYS_TESTED_OBJ) $(TEST_LIBS)

$(BUILD)/tests/test_shared: tests/unit/test_shared.c $(KEYS_TESTED_OBJ) \
		$(BUILD)/libiam.a $(TESTLIB)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -Ikeys_cmd $(LDFLAGS) -o $@ $< \
		$(KEYS_TESTED_OBJ) $(TEST_LIBS)

# iam-sync's decisions (model, state, diff), tested apart from its main().
SYNC_TESTED_OBJ := $(OBJ)/sync/model.o $(OBJ)/sync/model_shared.o \
	$(OBJ)/sync/state.o $(OBJ)/sync/diff.o $(OBJ)/sync/fetch.o \
	$(OBJ)/sync/pool.o $(OBJ)/sync/tag_keys.o
$(BUILD)/tests/test_model: tests/unit/test_model.c $(SYNC_TESTED_OBJ) \
		$(BUILD)/libiam.a $(TESTLIB)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -Isync $(LDFLAGS) -o $@ $< $(SYNC_TESTED_OBJ) \
		$(TEST_LIBS)

$(BUILD)/tests/test_explain: tests/unit/test_explain.c $(SYNC_TESTED_OBJ) \
		$(OBJ)/sync/explain.o $(BUILD)/libiam.a $(TESTLIB)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -Isync $(LDFLAGS) -o $@ $< $(SYNC_TESTED_OBJ) \
		$(OBJ)/sync/explain.o $(TEST_LIBS)

$(BUILD)/tests/test_diff: tests/unit/test_diff.c $(SYNC_TESTED_OBJ) \
		$(BUILD)/libiam.a $(TESTLIB)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -Isync $(LDFLAGS) -o $@ $< $(SYNC_TESTED_OBJ) \
		$(TEST_LIBS)

$(BUILD)/tests/test_sudo_check: tests/unit/test_sudo_check.c \
		$(OBJ)/sync/sudo_check.o $(BUILD)/libiam.a $(TESTLIB)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -Isync $(LDFLAGS) -o $@ $< \
		$(OBJ)/sync/sudo_check.o $(TEST_LIBS)

$(BUILD)/tests/test_tag_keys: tests/unit/test_tag_keys.c $(SYNC_TESTED_OBJ) \
		$(BUILD)/libiam.a $(TESTLIB)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -Isync $(LDFLAGS) -o $@ $< $(SYNC_TESTED_OBJ) \
		$(TEST_LIBS)

# The incremental fetch, against a full fetch of the same fake account.
DELTA_TESTED_OBJ := $(OBJ)/sync/fetch_delta.o $(OBJ)/sync/fetch_drift.o \
	$(OBJ)/sync/fetch.o $(OBJ)/sync/pool.o $(OBJ)/sync/tag_keys.o
$(BUILD)/tests/test_fetch_delta: tests/unit/test_fetch_delta.c \
		$(DELTA_TESTED_OBJ) $(BUILD)/libiam.a $(TESTLIB)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -Isync $(LDFLAGS) -o $@ $< $(DELTA_TESTED_OBJ) \
		$(TEST_LIBS)

# The follower's loop, against a scripted queue, IAM, S3 and clock.
FOLLOW_TESTED_OBJ := $(OBJ)/sync/follow.o $(OBJ)/sync/events.o \
	$(DELTA_TESTED_OBJ)
$(BUILD)/tests/test_follow: tests/unit/test_follow.c $(FOLLOW_TESTED_OBJ) \
		$(BUILD)/libiam.a $(TESTLIB)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -Isync $(LDFLAGS) -o $@ $< $(FOLLOW_TESTED_OBJ) \
		$(TEST_LIBS)

$(BUILD)/tests/test_terminate: tests/unit/test_terminate.c \
		$(OBJ)/sync/terminate.o $(BUILD)/libiam.a $(TESTLIB)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -Isync $(LDFLAGS) -o $@ $< $(OBJ)/sync/terminate.o \
		$(TEST_LIBS)

$(BUILD)/tests/test_events: tests/unit/test_events.c $(OBJ)/sync/events.o \
		$(BUILD)/libiam.a $(TESTLIB)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -Isync $(LDFLAGS) -o $@ $< $(OBJ)/sync/events.o \
		$(TEST_LIBS)

$(BUILD)/tests/test_sshd_check: tests/unit/test_sshd_check.c \
		$(OBJ)/sync/sshd_check.o $(BUILD)/libiam.a $(TESTLIB)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -Isync $(LDFLAGS) -o $@ $< \
		$(OBJ)/sync/sshd_check.o $(TEST_LIBS)

# The fleet object (build, verify, decode, select), its signing keys and
# what an instance remembers.
FLEET_TESTED_OBJ := $(OBJ)/sync/fleet_obj.o $(OBJ)/sync/fleet_sign.o \
	$(OBJ)/sync/fleet_state.o \
	$(OBJ)/sync/fetch.o $(OBJ)/sync/pool.o $(OBJ)/sync/tag_keys.o
$(BUILD)/tests/test_fleet: tests/unit/test_fleet.c $(FLEET_TESTED_OBJ) \
		$(BUILD)/libiam.a $(TESTLIB)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -Isync $(LDFLAGS) -o $@ $< $(FLEET_TESTED_OBJ) \
		$(TEST_LIBS)

unit-tests: $(UNIT_BIN)
test-helpers: $(HELPER_BIN)

deps:
	sh scripts/deps.sh build

# One command on a fresh machine: install what is missing, build the
# normal and the sanitizer trees, run every suite, print one summary line.
# Fragments (mk/*.mk) add what their suites need to check-prep::.
check-prep:: all unit-tests test-helpers

check:
	sh scripts/deps.sh check
	$(MAKE) check-prep
	$(MAKE) BUILD=build/asan CFLAGS="-O1 -g -fno-omit-frame-pointer \
		-fsanitize=address,undefined -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined" unit-tests test-helpers
	bash tests/run.sh

# The whole thing on an emulated IAM, with real ssh logins (scripts/demo.sh).
demo:
	sh scripts/deps.sh demo
	$(MAKE) all
	bash scripts/demo.sh

clean:
	rm -rf build

# Packaging, benchmarks, fuzzing and static analysis live in their own
# fragments.
-include $(sort $(wildcard mk/*.mk))

-include $(shell find $(BUILD) -type f -name '*.d' 2>/dev/null)
