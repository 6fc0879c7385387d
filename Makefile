# osckit build, test, benchmark and fuzz targets.
GO        ?= go
PKGS      ?= ./...
FUZZTIME  ?= 30s
BENCHCNT  ?= 10
BENCHTIME ?= 1s
STATICCHECK = honnef.co/go/tools/cmd/staticcheck@v0.8.2
BENCHSTAT   = golang.org/x/perf/cmd/benchstat@latest

# Every native fuzz target, as package:Target.
FUZZ_TARGETS = $(shell grep -rlE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . \
	| grep -v '^./bench/' | while read f; do d=$$(dirname $$f); \
	grep -oE '^func Fuzz[A-Za-z0-9_]*' $$f | sed "s|func |$$d:|"; done | sort -u)

.PHONY: all test peers vet unit race allocs bench bench-compare fuzz lint cover tidy

all: lint test

## test: everything CI runs: peers, vet (also for darwin, windows and freebsd), unit tests (fuzz seeds included), race detector, allocation gates, bench module build.
test: peers vet vet-cross unit race bench-vet

peers:
	bash .ci/install-peers.sh

vet:
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## vet-cross: go vet for the systems without recvmmsg, where the portable
## fallbacks build, and for 32-bit Linux (386, arm), where the kernel's
## structures have other sizes and int is 32 bits.
.PHONY: vet-cross
vet-cross:
	GOOS=darwin $(GO) vet $(PKGS)
	GOOS=windows $(GO) vet $(PKGS)
	GOOS=freebsd $(GO) vet $(PKGS)
	GOARCH=386 $(GO) vet $(PKGS)
	GOARCH=arm $(GO) vet $(PKGS)

# Unit tests without the race detector: this run includes the allocation
# gates (files built with !race) and every committed fuzz seed.
unit:
	$(GO) test -shuffle=on -count=1 -timeout 10m $(PKGS)

race:
	$(GO) test -race -shuffle=on -count=1 -timeout 15m $(PKGS)

## allocs: only the zero-allocation gates.
allocs:
	$(GO) test -run 'NoAllocs|Allocs' -count=1 $(PKGS)

# The bench module with its C and C++ columns (cgo; liblo-dev and
# liboscpack-dev from .ci/install-peers.sh): vet, then check the C codecs
# and the latency histogram once, so that they cannot rot.
bench-vet:
	cd bench && CGO_ENABLED=1 $(GO) vet ./...
	cd bench && CGO_ENABLED=1 $(GO) test -count=1 -run 'TestCPeers|TestHistogram|TestRoundTripWatchdog' ./...

## bench: osckit's own benchmarks.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -count 1 $(PKGS)

## bench-compare: osckit against the Go libraries, liblo (C) and oscpack (C++),
## as a benchstat table with one column per library (BENCH selects benchmarks;
## BENCH=UDPReceive BENCHTIME=3x for the receivers).
BENCH ?= Encode|Decode|Dispatch|RoundTrip$$
bench-compare:
	cd bench && CGO_ENABLED=1 $(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -benchtime $(BENCHTIME) -count $(BENCHCNT) . \
	  | sed -E 's#^(Benchmark[A-Za-z0-9]+)/([a-z0-9]+)-#\1/lib=\2-#' | tee bench.new.txt
	cd bench && $(GO) run $(BENCHSTAT) -col /lib bench.new.txt

## fuzz: each fuzz target for FUZZTIME.
fuzz:
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; \
	  echo "== $$pkg $$fn"; $(GO) test $$pkg -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) || exit 1; done

lint:
	$(GO) vet $(PKGS)
	$(GO) run $(STATICCHECK) $(PKGS)
	cd bench && $(GO) run $(STATICCHECK) ./...

cover:
	$(GO) test -coverprofile=cover.out $(PKGS) && $(GO) tool cover -func=cover.out | tail -1

tidy:
	$(GO) mod tidy && git diff --exit-code go.mod go.sum
