# aks-baseline-policies: the one entry point. `make help` lists the targets.
#
# A fresh machine needs only `make` (build every module and evaluate the bundled examples) and
# `make test` (every test). Both install what they need themselves.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := all

CARGO        ?= cargo
TARGET       := wasm32-wasip1
HARNESS_PROF := harness
POLICIES     := $(sort $(notdir $(patsubst %/Cargo.toml,%,$(wildcard policies/*/Cargo.toml))))
DIST         := dist
HOST_TEST    := target/$(HARNESS_PROF)/host-test
RAW          = target/$(TARGET)/release/$(subst -,_,$(1)).wasm

.PHONY: all help toolchain build harness dist examples test test-rust test-cases check-fresh \
        sizes artifacthub clean fmt lint

all: dist examples ## build every policy module, annotate it into dist/, evaluate the examples

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

toolchain: ## install the pinned toolchain's wasm32-wasip1 target if missing
	@command -v cargo >/dev/null || { echo "cargo not found: install rustup first"; exit 2; }
	@rustup target list --installed 2>/dev/null | grep -qx '$(TARGET)' || rustup target add $(TARGET)

build: toolchain ## build every policy for wasm32-wasip1 in release mode (tuned for size)
	$(CARGO) build --release --target $(TARGET) $(addprefix -p ,$(POLICIES))

harness: toolchain ## build the host-test harness
	$(CARGO) build --profile $(HARNESS_PROF) -p host-test

dist: build harness ## annotate each module with its metadata.yml and README.md into dist/<id>.wasm
	@mkdir -p $(DIST)
	@for p in $(POLICIES); do \
	  raw=target/$(TARGET)/release/$${p//-/_}.wasm; \
	  $(HOST_TEST) annotate -m policies/$$p/metadata.yml -u policies/$$p/README.md -o $(DIST)/$$p.wasm $$raw; \
	  echo "annotated $(DIST)/$$p.wasm ($$(stat -c %s $$raw) bytes before annotation)"; \
	done

examples: dist ## evaluate the bundled example manifests (one compliant, one not) with the harness
	@echo "== examples/compliant: expected to pass"
	$(HOST_TEST) scan --dist $(DIST) examples/compliant
	@echo "== examples/non-compliant: expected to be rejected"
	@$(HOST_TEST) scan --dist $(DIST) examples/non-compliant; rc=$$?; \
	  if [ $$rc -ne 1 ]; then echo "expected the non-compliant examples to be rejected (exit 1), got $$rc"; exit 1; fi

test: test-rust test-cases ## every Rust test, then every policy's cases through its built .wasm

test-rust: toolchain ## unit and workspace tests (native)
	$(CARGO) test --profile $(HARNESS_PROF) --workspace

test-cases: dist ## run every policies/<id>/cases.yaml through dist/<id>.wasm
	$(HOST_TEST) test --dist $(DIST)

sizes: build ## print the size of every module before annotation
	@for p in $(POLICIES); do printf '%-32s %8s bytes\n' $$p $$(stat -c %s target/$(TARGET)/release/$${p//-/_}.wasm); done

fmt: ## format the code
	$(CARGO) fmt --all

lint: ## clippy on every crate, warnings denied
	$(CARGO) clippy --profile $(HARNESS_PROF) --workspace --all-targets -- -D warnings

clean: ## remove build outputs
	$(CARGO) clean
	rm -rf $(DIST)
