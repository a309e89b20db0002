# pgwal — make targets. `make test` is what CI runs.
GO          ?= go
FUZZTIME    ?= 10m
# A count, not a duration: go1.26's fuzz coordinator can report "context
# deadline exceeded" as a failure when a -fuzztime duration runs out
# (go.dev/issue/75804, fixed in go1.27).
SMOKETIME   ?= 20000x
BENCHTIME   ?= 150ms
BENCHCOUNT  ?= 5
DRAINFLAGS  ?= -countio
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
# package:target; the wire targets need unexported code, so they live in wire.
FUZZ_TARGETS := ./fuzz:FuzzDecode ./fuzz:FuzzRoundTrip ./fuzz:FuzzStream ./fuzz:FuzzServerCopyData \
	./fuzz:FuzzClientCopyData ./fuzz:FuzzLSN ./wire:FuzzBackendStream ./wire:FuzzFramer ./wire:FuzzSCRAM \
	./wire:FuzzAckTracker ./wire:FuzzResultParsers ./wire:FuzzSASLprep ./capture:FuzzCaptureReader \
	./value:FuzzNumBinaryToText ./value:FuzzNumText ./value:FuzzTimeBinary ./value:FuzzTimeText \
	./value:FuzzStrBinaryToText ./value:FuzzStrTextForm ./value:FuzzArrayBinaryToText ./value:FuzzArrayText \
	./value:FuzzRangeBinaryToText ./value:FuzzRangeText ./value:FuzzRecordBinaryToText ./value:FuzzRecordText \
	./value:FuzzJSONString ./txn:FuzzAssembler ./snapshot:FuzzBinaryCopy ./wire:FuzzCopyResponse

.PHONY: test fetch-postgres unit unit-386 fuzz-smoke lint fmt-check vet staticcheck bench bench-drain fuzz postgres testdata demo

## test: fetch PostgreSQL 14–18 if needed, lint, every test (real servers), the 32-bit run, each fuzz target briefly, the bench module's tests
test: fetch-postgres lint unit unit-386 fuzz-smoke
	cd bench && $(GO) vet ./... && $(GO) test -count=1 ./...

unit:
	$(GO) test -count=1 ./...

# unit-386: the unit tests of the codec, lsn, fuzz seeds, wire, capture, value, txn, snapshot, wal2json and changejson on a 32-bit int
# (lengths and counts from the wire must not overflow); -short leaves the
# real-server tests to the 64-bit run.
unit-386:
	GOARCH=386 $(GO) test -count=1 -short ./lsn ./codec ./fuzz ./wire ./capture ./value ./txn ./snapshot ./wal2json ./internal/changejson ./internal/growread

## fuzz-smoke: every fuzz target for SMOKETIME executions, so a broken target fails CI
fuzz-smoke:
	@for pt in $(FUZZ_TARGETS); do \
		p=$${pt%%:*}; t=$${pt##*:}; echo "fuzz $$p $$t for $(SMOKETIME)"; \
		$(GO) test $$p -run '^$$' -fuzz "^$$t\$$" -fuzztime $(SMOKETIME) -fuzzminimizetime 3s -parallel 1 >/tmp/pgwal-fuzz.log 2>&1 \
			|| { cat /tmp/pgwal-fuzz.log; exit 1; }; \
	done

## fuzz: every fuzz target for FUZZTIME (default 10m each)
fuzz:
	@for pt in $(FUZZ_TARGETS); do \
		p=$${pt%%:*}; t=$${pt##*:}; echo "fuzz $$p $$t for $(FUZZTIME)"; \
		$(GO) test $$p -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) || exit 1; \
	done

lint: fmt-check vet staticcheck

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) run $(STATICCHECK) ./...
	cd bench && $(GO) run $(STATICCHECK) ./...

## bench: the benchmarks, side by side with pglogrepl, in one run; writes the ratios to bench/README.md
bench:
	cd bench && $(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -count $(BENCHCOUNT) . | tee bench.out && $(GO) run ./cmd/benchreport -summary ../README.md < bench.out

## bench-drain: drain 1,000,000 row changes with pgwal (default, always batched, unbatched), pglogrepl+pgconn and pg_recvlogical, then a quiet stream's latency; writes bench/README.md
bench-drain:
	cd bench && $(GO) run ./drain $(DRAINFLAGS) && $(GO) run ./latency

## bench-e2e: drain 1,000,000 changes (narrow and wide tables) with pg_recvlogical+wal2json and pgwal stream --format wal2json on Debian's PostgreSQL 15; writes bench/README.md
bench-e2e:
	cd bench && $(GO) run ./e2e

# fetch-postgres: as make postgres, but outside CI a failed fetch (no npm, no
# network) only means the tests skip the versions that are missing.
fetch-postgres:
	@scripts/fetch-postgres.sh || [ "$$CI" != true ]

## postgres: fetch PostgreSQL 14–18 server binaries into the cache the tests use
postgres:
	scripts/fetch-postgres.sh

## testdata: regenerate the captured pgoutput corpus (peek and live-replication captures) and its golden JSON (needs PostgreSQL 14–18: make postgres)
testdata:
	$(GO) run ./internal/capture -out testdata/pgoutput
	$(GO) test ./codec -run '^TestCorpus$$' -count 1 -update
	$(GO) test ./internal/changejson -run '^TestGolden$$' -count 1 -update
	$(GO) test ./cmd/pgwal -run '^TestDecodeWal2JSONGolden$$' -count 1 -update

## demo: a throwaway PostgreSQL, a workload, and its live changes decoded for ~8 s
demo:
	$(GO) run ./internal/demo/cmd/demo
