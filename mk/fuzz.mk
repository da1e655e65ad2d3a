# Fuzzing: the libFuzzer targets fuzz/fuzz_NAME.c, built with clang
# against the lib/ sources compiled with the same sanitizers and coverage
# (not $(BUILD)/libiam.a, which has no coverage instrumentation).
#
#   make fuzz-build   build $(BUILD)/fuzz/fuzz_NAME for every target
#   make fuzz         fuzz each target for FUZZ_SECONDS (default 60)
#   make fuzz-check   each target for FUZZ_CHECK_SECONDS (default 30),
#                     TAP on stdout, exec counts in $(BUILD)/fuzz-stats.txt
#   make fuzz-seeds   regenerate the binary seeds of fuzz/corpus/rec/
#
# Seeds are committed under fuzz/corpus/NAME/; what `make fuzz` finds is
# kept in $(BUILD)/fuzz/corpus/NAME/ for the next run (fuzz-check starts
# from the seeds alone each time); inputs that once crashed live in
# fuzz/regressions/NAME/ and are replayed first by fuzz and fuzz-check.

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CHECK_SECONDS ?= 30
FUZZ_DIR = $(BUILD)/fuzz
FUZZ_NAMES := $(sort $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c)))
FUZZ_BIN = $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz_%)
FUZZ_LIB_OBJ = $(LIB_SRC:%.c=$(FUZZ_DIR)/obj/%.o)
# No _FORTIFY_SOURCE: its checked copies would hide overflows from
# AddressSanitizer's interceptors.
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	-Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
	-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all -Ilib/snapshot -Ilib -Ilib/aws -MMD -MP

.PHONY: fuzz-build fuzz fuzz-check fuzz-seeds check-prep

fuzz-build: $(FUZZ_BIN)

$(FUZZ_LIB_OBJ): $(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

# The fleet object reader lives in sync/: its target links those files.
FUZZ_SYNC_SRC := sync/fleet_obj.c sync/fleet_sign.c sync/fetch.c sync/pool.c \
	sync/tag_keys.c sync/events.c
FUZZ_SYNC_OBJ = $(FUZZ_SYNC_SRC:%.c=$(FUZZ_DIR)/obj/%.o)

$(FUZZ_SYNC_OBJ): $(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Isync -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/fuzz_fleet_obj: $(FUZZ_SYNC_OBJ)
$(FUZZ_DIR)/fuzz_fleet_obj: FUZZ_EXTRA = -Isync $(FUZZ_SYNC_OBJ) -lpthread

# The event reader (sync/events.c): what anyone who can send to the
# queue controls.
$(FUZZ_DIR)/fuzz_events: $(FUZZ_DIR)/obj/sync/events.o
$(FUZZ_DIR)/fuzz_events: FUZZ_EXTRA = -Isync $(FUZZ_DIR)/obj/sync/events.o

$(FUZZ_BIN): $(FUZZ_DIR)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_LIB_OBJ)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Ifuzz -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_EXTRA) $(FUZZ_LIB_OBJ) $(LIBS)

fuzz: fuzz-build
	bash fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS) \
		$(BUILD)/fuzz-stats.txt $(FUZZ_NAMES)

fuzz-check: fuzz-build
	@bash fuzz/run.sh --fresh $(FUZZ_DIR) $(FUZZ_CHECK_SECONDS) \
		$(BUILD)/fuzz-stats.txt $(FUZZ_NAMES)

$(FUZZ_DIR)/mkseeds: fuzz/mkseeds.c $(BUILD)/libiam.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libiam.a $(LIBS)

fuzz-seeds: $(FUZZ_DIR)/mkseeds
	@mkdir -p fuzz/corpus/rec
	$(FUZZ_DIR)/mkseeds fuzz/corpus/rec

# `make check` runs test_fuzz.sh, which needs the targets built.
check-prep:: fuzz-build
