# Entente: `make run` starts a demo node, `make test` runs every test.
SHELL := /bin/bash
BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
ifdef CI
CMAKE_FLAGS += -DENTENTE_WERROR=ON
endif

.PHONY: all setup build run test bench fuzz asan clean

all: build

setup:
	@./scripts/setup.sh

build: setup
	@./scripts/build-console.sh
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@./scripts/run-node.sh $(BUILD)/src/app/entente

test: build
	@./scripts/test.sh $(BUILD)

bench: setup
	@./scripts/bench.sh

clean:
	rm -rf $(BUILD) build-asan build-fuzz
