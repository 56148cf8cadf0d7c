# Thin wrapper over meson/ninja and scripts/. Every target first makes sure
# the build dependencies are installed (scripts/install-deps is idempotent).
ARM64  := build/arm64
NATIVE := build/native
ASAN   := build/asan

.PHONY: all deps itsy unit unit-test unit-asan fuzz integration test run bench clean

all: itsy unit

deps:
	@scripts/install-deps

# The static aarch64 itsy binary: build/arm64/itsy.
itsy: deps
	@[ -f $(ARM64)/build.ninja ] || meson setup $(ARM64) --cross-file scripts/meson-aarch64.ini
	ninja -C $(ARM64)

# The native Check unit-test binaries.
unit: deps
	@[ -f $(NATIVE)/build.ninja ] || meson setup $(NATIVE)
	ninja -C $(NATIVE)

unit-test: unit
	meson test -C $(NATIVE) --print-errorlogs

# The unit tests under ASan, LeakSanitizer and UBSan (build/asan), and
# 20 s of every fuzzer (scripts/fuzz-*): two stages of 'make test' alone.
unit-asan: deps
	scripts/test --stages unit-asan

fuzz: deps
	scripts/test --stages fuzz

integration: itsy
	scripts/run-integration

# Unit tests natively and under sanitizers, short fuzzing runs, then
# integration tests in emulated arm64 hosts.
test: itsy unit
	scripts/test

# Boot the emulated arm64 host and, in it, the default guest to a shell.
run: itsy
	scripts/host --mode run

bench: itsy
	scripts/bench-boot

clean:
	rm -rf $(ARM64) $(NATIVE) $(ASAN) build/fuzz build/img build/logs
