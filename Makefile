# The entry points: demo, test, bench, build, format, clean. Every target runs setup first
# (scripts/setup.sh: idempotent, installs only what is missing).
SHELL := /bin/bash
NATIVE := build/native
WASM := build/wasm
SANITIZE := build/sanitize
DIST := js/dist
GENERATED := js/src/generated/constants.ts
CMAKE_NATIVE := cmake -S . -B $(NATIVE) -G Ninja -DCMAKE_BUILD_TYPE=Release
CMAKE_WASM := cmake -S . -B $(WASM) -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/wasm32-wasi.cmake
CMAKE_SANITIZE := CC=clang-14 CXX=clang++-14 cmake -S . -B $(SANITIZE) -G Ninja \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo -DWSQ_SANITIZE=ON -DWSQ_FUZZ=ON
CXX_SOURCES = $(shell git ls-files 'core/*.h' 'core/*.cc' 'core/*.c')
TS_SOURCES = $(shell git ls-files 'js/*.ts' 'e2e/*.ts' 'scripts/*.mjs' 'examples/*.mjs' 'examples/*.js' 'bench/*.mjs' 'bench/*.js' 'e2e/*.mjs' 'e2e/*.js')

.PHONY: all setup build native wasm js sanitize test test-native test-sanitize test-js test-e2e stress fuzz demo bench format format-check clean distclean

all: build

setup:
	@scripts/setup.sh

native: setup
	@test -f $(NATIVE)/CMakeCache.txt || $(CMAKE_NATIVE) > /dev/null
	cmake --build $(NATIVE)

wasm: setup
	@test -f $(WASM)/CMakeCache.txt || $(CMAKE_WASM) > /dev/null
	cmake --build $(WASM)

# The constants shared with C are generated from the headers, then the TypeScript is compiled
# (js/dist/src, for Node) and the browser bundles built (js/dist/web), beside the wasm both use
# (js/dist/web/web-sqlite.wasm, and web-sqlite-cipher.wasm, the encryption build, for keys).
# Skipped when nothing it reads changed since the last build ($(DIST)/.built).
js: native wasm
	@mkdir -p $(dir $(GENERATED))
	@$(NATIVE)/wsq_gen_constants > $(NATIVE)/constants.ts
	@cmp -s $(NATIVE)/constants.ts $(GENERATED) || cp $(NATIVE)/constants.ts $(GENERATED)
	@if [ -f $(DIST)/.built ] && [ -z "$$(find js/src js/test js/tsconfig.json scripts/bundle.mjs \
		$(WASM)/web-sqlite.wasm $(WASM)/web-sqlite-cipher.wasm package-lock.json \
		-newer $(DIST)/.built -print -quit)" ]; then \
		echo "js: up to date"; \
	else \
		rm -rf $(DIST) && \
		npx tsc -p js/tsconfig.json && \
		mkdir -p $(DIST)/web && \
		cp $(WASM)/web-sqlite.wasm $(WASM)/web-sqlite-cipher.wasm $(DIST)/web/ && \
		node scripts/bundle.mjs && \
		touch $(DIST)/.built; \
	fi

build: native wasm js

test-native: native
	ctest --test-dir $(NATIVE) --output-on-failure
	$(NATIVE)/wsq_crash_sim 2000
	$(NATIVE)/wsq_crash_sim_cipher 1000

# The native suites again under AddressSanitizer + UndefinedBehaviorSanitizer (clang), the crash
# simulation, and a short run of each libFuzzer target (`make fuzz` runs them longer).
sanitize: setup
	@test -f $(SANITIZE)/CMakeCache.txt || $(CMAKE_SANITIZE) > /dev/null
	cmake --build $(SANITIZE)

test-sanitize: sanitize
	ctest --test-dir $(SANITIZE) --output-on-failure
	$(SANITIZE)/wsq_crash_sim 200
	$(SANITIZE)/wsq_crash_sim_cipher 100
	scripts/fuzz.sh 20

fuzz: sanitize
	scripts/fuzz.sh $${FUZZ_SECONDS:-600}

test-js: js
	node --test --test-reporter=spec $(DIST)/test/*.test.js

# Real browsers on the real OPFS: every suite in Chromium (Debian's, driven by playwright-core);
# the suites that take the engine as a parameter (e2e/harness.mjs) in Firefox ESR and WebKitGTK
# too, where a test the engine cannot run is skipped by a named capability, with the reason.
E2E_EVERY_ENGINE := e2e/promise-api.test.mjs e2e/sync-api.test.mjs e2e/js-storage-db.test.mjs \
	e2e/browser.test.mjs e2e/many-tabs.test.mjs e2e/chaos.test.mjs
# Firefox and WebKitGTK run side by side (their servers on ports of their own, e2e/server.mjs),
# and meanwhile the benchmarks' smoke runs (in Chromium; speed-node in Node), one after the
# other; each into a log, printed when all are done (a benchmark's only if it failed).
BENCH_SMOKE := opfs-journal oo1-inserts speed speed-node cold-ab peers-main many-tabs drivers \
	pg-sync encryption targets
test-e2e: js
	node --test --test-reporter=spec --test-concurrency=1 e2e/*.test.mjs
	@mkdir -p build
	WSQ_ENGINE=firefox node --test --test-reporter=spec --test-concurrency=1 $(E2E_EVERY_ENGINE) \
		> build/e2e-firefox.log 2>&1 & firefox=$$!; \
	WSQ_ENGINE=webkit node --test --test-reporter=spec --test-concurrency=1 $(E2E_EVERY_ENGINE) \
		> build/e2e-webkit.log 2>&1 & webkit=$$!; \
	bench=0; for b in $(BENCH_SMOKE); do \
		node bench/$$b.mjs --quick > build/bench-$$b.log 2>&1 || \
			{ echo "bench/$$b.mjs --quick failed:"; cat build/bench-$$b.log; bench=1; }; \
	done; \
	wait $$firefox; firefox=$$?; wait $$webkit; webkit=$$?; \
	cat build/e2e-firefox.log build/e2e-webkit.log; \
	echo "Firefox: exit $$firefox; WebKitGTK: exit $$webkit; benchmark smoke runs: exit $$bench"; \
	test $$firefox = 0 && test $$webkit = 0 && test $$bench = 0

# The chaos run of tabs ending (e2e/chaos.test.mjs) for 10 minutes and its reduced case 100
# times in Chromium, then 10 minutes in Firefox (docs/RELIABILITY.md); make test runs it for 45 s
# in each.
stress: js
	WSQ_CHAOS_SECONDS=600 WSQ_CHAOS_TRIALS=100 node --test --test-reporter=spec e2e/chaos.test.mjs
	WSQ_ENGINE=firefox WSQ_CHAOS_SECONDS=600 node --test --test-reporter=spec e2e/chaos.test.mjs

# The tests keep their scratch files and browser profiles (OPFS, IndexedDB) in RAM, /dev/shm,
# where there is one: a flush there costs nothing, and no test asserts what a flush to a disk
# adds (the crash simulation does, over its own double of the disk). The benchmarks (make bench)
# keep them on the disk.
test-native test-sanitize test-js test-e2e stress: export TMPDIR := $(if $(wildcard /dev/shm/.),/dev/shm,$(or $(TMPDIR),/tmp))

# The three builds of sqlite3.c (native, wasm, sanitizers) each take one core: they go at once.
test:
	$(MAKE) --no-print-directory -j3 native wasm sanitize
	$(MAKE) --no-print-directory build
	$(MAKE) --no-print-directory test-native
	$(MAKE) --no-print-directory test-sanitize
	$(MAKE) --no-print-directory test-js
	$(MAKE) --no-print-directory test-e2e
	$(MAKE) --no-print-directory format-check

# The playground at http://127.0.0.1:8080 (examples/playground/); the Node example is
# examples/node-demo.mjs.
demo: build
	node examples/serve-playground.mjs

bench: build
	node bench/node-insert.mjs
	node bench/out-of-memory.mjs
	node bench/opfs-journal.mjs
	node bench/oo1-inserts.mjs
	node bench/speed.mjs
	node bench/peers-main.mjs
	node bench/many-tabs.mjs
	node bench/drivers.mjs
	node bench/bytes.mjs
	node bench/bundlers.mjs
	node bench/pg-sync.mjs
	node bench/encryption.mjs
	node bench/targets.mjs

format: setup
	@clang-format-14 -i $(CXX_SOURCES)
	@npx prettier --log-level warn --write $(TS_SOURCES)

format-check: setup
	@clang-format-14 --dry-run --Werror $(CXX_SOURCES)
	@npx prettier --log-level warn --check $(TS_SOURCES)

clean:
	rm -rf $(NATIVE) $(WASM) $(SANITIZE) $(DIST) $(GENERATED)

distclean: clean
	rm -rf build node_modules
