# Benchmarks: `make bench` prints NSS, keys command and iam-sync figures
# side by side with their baselines and writes the tables to
# $(BUILD)/bench/results.md; `make bench-quick` is a short smoke run of
# the same script. Both need root (private mount namespace) and
# moto_server; see bench/run.sh.

BENCH_BIN := $(BUILD)/bench/nss_bench $(BUILD)/bench/exectime \
	$(BUILD)/bench/mkkeysnap

.PHONY: bench bench-quick bench-bins

bench-bins: $(BENCH_BIN)

$(BUILD)/bench/nss_bench: bench/nss_bench.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $<

$(BUILD)/bench/exectime: bench/exectime.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $<

$(BUILD)/bench/mkkeysnap: bench/mkkeysnap.c $(BUILD)/libiam.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libiam.a $(LIBS)

bench: all test-helpers bench-bins
	BUILD_DIR=$(abspath $(BUILD)) bash bench/run.sh

bench-quick: all test-helpers bench-bins
	BUILD_DIR=$(abspath $(BUILD)) bash bench/run.sh --quick

# Built (not run) with the tests, so the programs keep compiling.
check-prep:: bench-bins
