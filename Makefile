# NTKBridge — the two set-up commands for a fresh Debian machine are `make reproduce` and
# `make test`; both install the system packages they need first (as root, or with sudo).

SWIFT        ?= swift
CONFIG       ?= release
APT_PACKAGES := libopenblas-dev liblapacke-dev libgsl-dev pkg-config gnuplot-nox libpng-dev libzip-dev
BIN          := .build/$(CONFIG)
# The MPI product (make mpi) only: OpenMPI and ScaLAPACK from Debian.
MPI_PACKAGES := libopenmpi-dev libscalapack-openmpi-dev openmpi-bin
MPI_BIN      := MPI/.build/$(CONFIG)
QUICK        ?=

.PHONY: all deps mpi-deps install-packages toolchain build test bench reproduce fuzz clean mpi mpi-test bench-mpi

all: build

## Install the Debian packages the toolkit links against (and gnuplot for figures), if missing.
deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(APT_PACKAGES)"

mpi-deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(MPI_PACKAGES)"

install-packages:
	@missing=""; \
	for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
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
## The MPI tests run too when OpenMPI and ScaLAPACK are installed (then they must pass).
test: deps toolchain
	$(SWIFT) build --build-tests -c $(CONFIG)
	$(SWIFT) test --skip-build -c $(CONFIG)
	@if $(MPI_INSTALLED); then $(MAKE) --no-print-directory mpi-test; \
	else echo "make test: OpenMPI/ScaLAPACK not installed, MPI tests skipped (make mpi installs them)"; fi

MPI_INSTALLED = ( for p in $(MPI_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || exit 1; done; command -v mpirun >/dev/null )

## ntkbridge-mpi: the separate package MPI/ against OpenMPI and ScaLAPACK (installed if missing).
mpi: mpi-deps toolchain
	$(SWIFT) build -c $(CONFIG) --product ntkbridge
	@# SwiftPM keeps the build plan of MPI/ when files are added to the root package: re-plan.
	@rm -f MPI/.build/$(CONFIG).yaml MPI/.build/$(CONFIG)/description.json
	$(SWIFT) build -c $(CONFIG) --package-path MPI

## ntkbridge-mpi under mpirun -np 2 and -np 4 against the serial command (loopback).
mpi-test: mpi
	$(SWIFT) build --build-tests -c $(CONFIG) --package-path MPI
	$(SWIFT) test --skip-build -c $(CONFIG) --package-path MPI

## Strong scaling of ntkbridge-mpi on 1, 2 and 4 processes (kernel n = 8000, Φ assembly and solve).
bench-mpi: mpi
	NTKBRIDGE="$(BIN)/ntkbridge" NTKBRIDGE_MPI="$(MPI_BIN)/ntkbridge-mpi" Experiments/cluster/bench-mpi.sh

## Benchmarks, each beside a reference measured in the same run.
bench: deps toolchain
	$(SWIFT) build -c $(CONFIG) --product Benchmarks
	$(SWIFT) build -c $(CONFIG) --product ntkbridge
	$(BIN)/Benchmarks

## The experiments of Experiments/ on built-in defaults (QUICK=1: a smaller, faster version).
reproduce: build
	@QUICK="$(QUICK)" NTKBRIDGE="$(BIN)/ntkbridge" Experiments/reproduce.sh

## libFuzzer on the readers (CSV, JSON task file, .npy), FUZZ_RUNS inputs each from the seed
## corpus in Tests/FuzzCorpus (not part of `make test`). Built with -sanitize=fuzzer into its own
## .build-fuzz; new corpus entries go to .build-fuzz/corpus, crashing inputs to .build-fuzz/findings
## (fork mode: a crash is recorded and fuzzing goes on; the exit status says whether any was found).
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
	  SWIFT_BACKTRACE=enable=no .build-fuzz/release/$$target -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
	    -runs=$(FUZZ_RUNS) -max_len=4096 -timeout=10 \
	    -artifact_prefix=.build-fuzz/findings/$$target- .build-fuzz/corpus/$$corpus Tests/FuzzCorpus/$$corpus \
	    > .build-fuzz/$$target.log 2>&1 || status=1; \
	  grep -E "^#[0-9]+:" .build-fuzz/$$target.log | tail -1 | sed "s/^/  $$target: inputs /"; \
	  crashes=$$(ls .build-fuzz/findings | grep -c "^$$target-crash" || true); \
	  echo "  $$target: $$crashes crashing inputs saved in .build-fuzz/findings/$$target-crash-*"; \
	  [ "$$crashes" = 0 ] || status=1; \
	done; exit $$status

clean:
	rm -rf .build .build-fuzz MPI/.build
