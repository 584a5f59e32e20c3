# NTKBridge — the two set-up commands for a fresh Debian machine are `make reproduce` and
# `make test`; both install the system packages they need first (as root, or with sudo).

SWIFT        ?= swift
CONFIG       ?= release
APT_PACKAGES := libopenblas-dev liblapacke-dev libgsl-dev pkg-config gnuplot-nox
BIN          := .build/$(CONFIG)
QUICK        ?=

.PHONY: all deps toolchain build test bench reproduce fuzz clean

all: build

## Install the Debian packages the toolkit links against (and gnuplot for figures), if missing.
deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else \
	    echo "make deps: missing Debian packages:$$missing. Install them as root (apt-get install$$missing), then run make again." >&2; \
	    exit 1; fi; \
	  echo "make deps: installing$$missing"; \
	  $$sudo apt-get update && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y --no-install-recommends $$missing; \
	fi

toolchain:
	@command -v $(SWIFT) >/dev/null 2>&1 || { echo "make: the Swift toolchain (swift 6) is not on PATH" >&2; exit 1; }

build: deps toolchain
	$(SWIFT) build -c $(CONFIG)

## Unit, reference-vector and command-line tests (release build: the numerics are tested as they run).
test: deps toolchain
	$(SWIFT) build --build-tests -c $(CONFIG)
	$(SWIFT) test --skip-build -c $(CONFIG)

## Benchmarks, each beside a reference measured in the same run.
bench: deps toolchain
	$(SWIFT) build -c $(CONFIG) --product Benchmarks
	$(BIN)/Benchmarks

## The experiments of Experiments/ on built-in defaults (QUICK=1: a smaller, faster version).
reproduce: build
	@QUICK="$(QUICK)" NTKBRIDGE="$(BIN)/ntkbridge" Experiments/reproduce.sh

## libFuzzer on the readers (CSV, JSON task file, .npy), FUZZ_RUNS inputs each from the seed
## corpus in Tests/FuzzCorpus (not part of `make test`). Built with -sanitize=fuzzer into its own
## .build-fuzz; new corpus entries go to .build-fuzz/corpus, crashing inputs to .build-fuzz/findings.
FUZZ_RUNS    ?= 1000000
FUZZ_TARGETS := FuzzCSV:csv FuzzTaskFile:json FuzzNpy:npy
fuzz: deps toolchain
	for target in FuzzCSV FuzzTaskFile FuzzNpy; do \
	  NTKBRIDGE_FUZZ=1 $(SWIFT) build -c release --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer -Xswiftc -use-ld=lld \
	    --product $$target || exit 1; \
	done
	@mkdir -p .build-fuzz/findings; status=0; \
	for pair in $(FUZZ_TARGETS); do \
	  target=$${pair%%:*}; corpus=$${pair##*:}; mkdir -p .build-fuzz/corpus/$$corpus; \
	  echo "make fuzz: $$target on Tests/FuzzCorpus/$$corpus, $(FUZZ_RUNS) runs"; \
	  .build-fuzz/release/$$target -runs=$(FUZZ_RUNS) -max_len=4096 -timeout=10 -print_final_stats=1 \
	    -artifact_prefix=.build-fuzz/findings/$$target- .build-fuzz/corpus/$$corpus Tests/FuzzCorpus/$$corpus \
	    > .build-fuzz/$$target.log 2>&1 || status=1; \
	  grep -E "^Done|stat::number_of_executed_units|ERROR|SUMMARY|Test unit written" .build-fuzz/$$target.log | sed "s/^/  $$target: /"; \
	done; exit $$status

clean:
	rm -rf .build .build-fuzz
