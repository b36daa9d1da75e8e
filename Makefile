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
SCANNER      := target/$(HARNESS_PROF)/aks-scan
BUNDLE       := target/$(HARNESS_PROF)/bundle
REGISTRY     ?= registry.example.com/aks-baseline-policies
PROFILE      ?= pci-dss
RAW          = target/$(TARGET)/release/$(subst -,_,$(1)).wasm
# Modules as shipped (before annotation): the release build shrunk by binaryen's wasm-opt.
OPT_DIR      := target/wasm-opt
WASM_OPT     ?= wasm-opt
WASM_OPT_FLAGS := -Oz --strip-debug --strip-producers --enable-bulk-memory --enable-sign-ext \
                  --enable-mutable-globals --enable-nontrapping-float-to-int --enable-multivalue \
                  --enable-reference-types

.PHONY: all help toolchain tools binaryen optimize bench bench-quick build harness dist examples test test-rust test-cases test-scan \
        digests sbom keygen sign verify test-repro ssl-deps \
        check-fresh check-fmt sizes artifacthub clean fmt lint fuzz registry-deps push render deploy profiles \
        playground playground-serve playground-tools browser-deps test-playground conformance conformance-binaries sessions \
        new-policy test-scaffold bench-kwctl bench-policy-server bench-runner-inputs wrk

all: dist examples ## build every policy module, annotate it into dist/, evaluate the examples

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

toolchain: ## install the pinned toolchain's wasm32-wasip1 target if missing
	@command -v cargo >/dev/null || { echo "cargo not found: install rustup first"; exit 2; }
	@rustup target list --installed 2>/dev/null | grep -qx '$(TARGET)' || rustup target add $(TARGET)

tools: ## install xmllint (Debian libxml2-utils) when missing: the JUnit report is checked against its XSD
	@command -v xmllint >/dev/null || { \
	  echo "installing libxml2-utils (xmllint)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq libxml2-utils >/dev/null; \
	  command -v xmllint >/dev/null || { echo "xmllint is needed by make test (apt-get install libxml2-utils)"; exit 2; }; }

binaryen: ## install Debian's binaryen (wasm-opt) when missing: modules are shrunk with wasm-opt -Oz
	@command -v $(WASM_OPT) >/dev/null || { \
	  echo "installing binaryen (wasm-opt)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq binaryen >/dev/null; \
	  command -v $(WASM_OPT) >/dev/null || { echo "wasm-opt is needed (apt-get install binaryen)"; exit 2; }; }

optimize: build binaryen ## shrink every release module with wasm-opt -Oz into target/wasm-opt/<id>.wasm
	@mkdir -p $(OPT_DIR)
	@for p in $(POLICIES); do \
	  raw=target/$(TARGET)/release/$${p//-/_}.wasm; out=$(OPT_DIR)/$$p.wasm; \
	  if [ ! -f $$out ] || [ $$raw -nt $$out ]; then echo "$$raw $$out"; fi; \
	done | xargs -r -n 2 -P "$$(nproc)" sh -c '$(WASM_OPT) $(WASM_OPT_FLAGS) -o "$$1.tmp" "$$0" && mv "$$1.tmp" "$$1"'

# Reproducible modules (docs/supply-chain.md): the checkout path and cargo's home are remapped in
# the wasm build only (panic locations and build-script paths would otherwise carry them), so
# the same commit and toolchain give the same bytes in any directory on any machine. The harness
# and the tests keep their own flags.
CARGO_HOME_DIR := $(or $(CARGO_HOME),$(HOME)/.cargo)
WASM_BUILD_ENV = CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS="--remap-path-prefix=$(1)=/build --remap-path-prefix=$(CARGO_HOME_DIR)=/cargo"
# Provenance annotated into every module: the repository, the commit (with -dirty for a tree
# with uncommitted changes; "unknown" outside git) and the digest of the module before annotation.
SOURCE_REPOSITORY ?= https://github.com/aks-baseline-policies/aks-baseline-policies
ifndef SOURCE_COMMIT
SOURCE_COMMIT := $(shell c=$$(git rev-parse HEAD 2>/dev/null) && { git diff --quiet HEAD 2>/dev/null && echo $$c || echo $$c-dirty; } || echo unknown)
endif

build: toolchain ## build every policy for wasm32-wasip1 in release mode (tuned for size), paths remapped
	$(call WASM_BUILD_ENV,$(CURDIR)) $(CARGO) build --release --target $(TARGET) $(addprefix -p ,$(POLICIES))

ssl-deps: ## install Debian's libssl-dev and pkg-config when missing: the sigstore crate's crypto backend is the system OpenSSL
	@pkg-config --exists openssl 2>/dev/null || { \
	  echo "installing libssl-dev and pkg-config (OpenSSL for the sigstore crate)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq libssl-dev pkg-config >/dev/null; }

harness: toolchain ssl-deps ## build the host-test harness, the scanner (aks-scan) and the bundle tool
	$(CARGO) build --profile $(HARNESS_PROF) -p host-test -p scanner -p bundle-tool

registry-deps: ## install Debian's docker-registry (the real registry the OCI tests start on 127.0.0.1) if missing
	@command -v docker-registry >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq docker-registry >/dev/null; }

push: sbom ## push every module and its SBOM: make push REGISTRY=host[:port]/prefix [TAG=latest] [PUSH_FLAGS=--insecure-http|--ca-file F]
	$(BUNDLE) push --dist $(DIST) --registry $(REGISTRY) $(if $(TAG),--tag $(TAG)) $(PUSH_FLAGS)

render: harness ## print a profile's Kubewarden manifests: make render PROFILE=pci-dss REGISTRY=... [RENDER_FLAGS="--group | --policy-server-image IMG --verification-key cosign.pub"]
	@$(BUNDLE) render --profile $(PROFILE) --registry $(REGISTRY) $(RENDER_FLAGS)

# ---- writing a policy (docs/writing-a-policy.md) ----
SHAPE        ?= pod
comma        := ,
# `make new-policy` needs the harness binaries; the scaffold test runs it in a scratch copy with
# the binaries already built (NEW_POLICY_DEPS= HOST_TEST=... BUNDLE=...).
NEW_POLICY_DEPS ?= harness

new-policy: $(NEW_POLICY_DEPS) ## scaffold policies/<ID>: make new-policy ID=<id> [SHAPE=pod|object|rbac|context] [ROW=P64] [CONTROLS="ASB 7.3, PCI 7.1.2"] [PROFILES=aks-baseline,pci-dss]
	@test -n "$(ID)" || { echo "usage: make new-policy ID=<id> [SHAPE=pod|object|rbac|context] [ROW=..] [CONTROLS=..] [PROFILES=a,b]"; exit 2; }
	$(BUNDLE) new-policy --id '$(ID)' --shape '$(SHAPE)' --released "$$(date -u +%Y-%m-%dT00:00:00Z)" \
	  $(if $(ROW),--row '$(ROW)') $(if $(CONTROLS),--controls '$(CONTROLS)') \
	  $(foreach p,$(subst $(comma), ,$(PROFILES)),--profile '$(p)')
	$(HOST_TEST) artifacthub --root . --out artifacthub
	$(BUNDLE) deploy --out deploy --registry $(REGISTRY)
	playground/gen-registry.sh
	@echo "next: edit policies/$(ID)/src/rule.rs, its cases and README, then: make dist && $(HOST_TEST) test $(ID) (docs/writing-a-policy.md)"

test-scaffold: harness toolchain ## make new-policy of every shape in a scratch copy: structure checks, wasm build, its cases through the .wasm (~90 s; part of make test)
	AKS_BUNDLE=$(abspath $(BUNDLE)) AKS_HOST_TEST=$(abspath $(HOST_TEST)) \
	  $(CARGO) test --profile $(HARNESS_PROF) -p workspace-tests --test structure -- --ignored --nocapture scaffold

profiles: harness ## list the profiles and their policies
	@$(BUNDLE) profiles

deploy: harness ## regenerate the kustomize tree deploy/ (base + one overlay per profile)
	$(BUNDLE) deploy --out deploy --registry $(REGISTRY)

ANNOTATE = $(HOST_TEST) annotate -m policies/$(1)/metadata.yml -u policies/$(1)/README.md \
  --annotation org.opencontainers.image.source=$(SOURCE_REPOSITORY) \
  --annotation org.opencontainers.image.revision=$(SOURCE_COMMIT) \
  --annotation io.aks-baseline-policies/module-digest=sha256:$$(sha256sum $(2) | cut -d' ' -f1) \
  -o $(3) $(2)

dist: optimize harness ## annotate each module (wasm-opt output) with its metadata.yml, README.md and provenance into dist/<id>.wasm
	@mkdir -p $(DIST)
	@for p in $(POLICIES); do \
	  raw=$(OPT_DIR)/$$p.wasm; \
	  $(call ANNOTATE,$$p,$$raw,$(DIST)/$$p.wasm); \
	  echo "annotated $(DIST)/$$p.wasm ($$(stat -c %s $$raw) bytes before annotation)"; \
	done

digests: sbom ## write dist/SHA256SUMS (sha256sum format) of every module and SBOM in dist/
	cd $(DIST) && sha256sum $$(ls *.wasm *.sbom.json 2>/dev/null) > SHA256SUMS
	@echo "wrote $(DIST)/SHA256SUMS ($$(wc -l < $(DIST)/SHA256SUMS) files)"

sbom: dist ## write dist/<id>.sbom.json (CycloneDX 1.5) for every module, from its wasm32-wasip1 dependency tree
	$(BUNDLE) sbom --dist $(DIST)

KEY ?= cosign.key
PUB ?= $(basename $(KEY)).pub

keygen: harness ## make a cosign key pair: make keygen KEY=cosign.key (password from COSIGN_PASSWORD; writes cosign.key and cosign.pub)
	$(BUNDLE) keygen --prefix $(basename $(KEY))

sign: harness ## sign every pushed module and its SBOM by digest (cosign layout): make sign REGISTRY=... KEY=cosign.key [PUSH_FLAGS=...]
	$(BUNDLE) sign --key $(KEY) --registry $(REGISTRY) $(PUSH_FLAGS)

verify: harness ## verify every pushed module and SBOM is signed by PUB: make verify REGISTRY=... PUB=cosign.pub [PUSH_FLAGS=...]
	$(BUNDLE) verify --key $(PUB) --registry $(REGISTRY) $(PUSH_FLAGS)

# Builds one module (REPRO_POLICY) from `git archive HEAD` in two fresh directories, each with its
# own target directory, and compares the annotated modules byte for byte; it also fails when a
# module carries the checkout path or cargo's home. Costs two clean wasm builds of one policy.
REPRO_POLICY ?= no-privileged-containers
test-repro: harness binaryen ## build REPRO_POLICY twice in different directories from HEAD; the modules must be byte-identical and carry no absolute path
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	for side in a b/nested; do \
	  mkdir -p $$tmp/$$side; git archive HEAD | tar -x -C $$tmp/$$side; \
	  ( cd $$tmp/$$side && $(call WASM_BUILD_ENV,$$tmp/$$side) $(CARGO) build --quiet --locked --release --target $(TARGET) -p $(REPRO_POLICY) ); \
	  raw=$$tmp/$$side/$(call RAW,$(REPRO_POLICY)); \
	  if grep -aq -e "$$tmp" -e "$(CARGO_HOME_DIR)" $$raw; then echo "$$raw carries an absolute path"; exit 1; fi; \
	  $(WASM_OPT) $(WASM_OPT_FLAGS) -o $$tmp/$$side.opt.wasm $$raw; \
	  $(call ANNOTATE,$(REPRO_POLICY),$$tmp/$$side.opt.wasm,$$tmp/$$side.wasm); \
	done; \
	a=$$(sha256sum < $$tmp/a.wasm); b=$$(sha256sum < $$tmp/b/nested.wasm); \
	echo "$(REPRO_POLICY): $$a / $$b"; \
	if [ "$$a" != "$$b" ]; then echo "not reproducible: the two builds of $(REPRO_POLICY) differ"; exit 1; fi; \
	echo "$(REPRO_POLICY) is byte-identical across directories"

SCAN_EXAMPLES = $(HOST_TEST) scan --dist $(DIST) --profile examples/profile.yaml --cluster examples/cluster.yaml

examples: dist ## scan the bundled example repository (one compliant set, one not) with examples/profile.yaml
	@echo "== examples/compliant: expected to pass"
	$(SCAN_EXAMPLES) examples/compliant
	@echo "== examples/non-compliant: expected to be rejected"
	@rc=0; $(SCAN_EXAMPLES) examples/non-compliant || rc=$$?; \
	  if [ $$rc -ne 1 ]; then echo "expected the non-compliant examples to be rejected (exit 1), got $$rc"; exit 1; fi

test: check-fmt test-rust test-cases test-scan test-playground test-scaffold test-repro check-fresh ## formatting, every Rust test, every policy's cases through its built .wasm, the scanner on the examples, the playground, the scaffold, one module built twice byte-identical, generated files fresh

# Kubewarden's own runners for `make conformance` (reference binaries, never a build or test
# dependency): KWCTL= and POLICY_SERVER= name them; by default the ones next to the repository.
ANCHORS       := $(abspath ../shared/anchors)
KWCTL         ?= $(wildcard $(ANCHORS)/kwctl)
POLICY_SERVER ?= $(wildcard $(ANCHORS)/policy-server)
SIGSTORE_TRUST_CONFIG ?= $(wildcard $(ANCHORS)/sigstore-offline.json)
CONFORMANCE_JOBS ?= 2

conformance-binaries:
	@if [ -z "$(KWCTL)" ] || [ -z "$(POLICY_SERVER)" ] || [ ! -x "$(KWCTL)" ] || [ ! -x "$(POLICY_SERVER)" ]; then \
	  echo "make conformance needs Kubewarden's kwctl and policy-server 1.36: give KWCTL=/path/to/kwctl POLICY_SERVER=/path/to/policy-server"; \
	  echo "(by default ../shared/anchors/kwctl and ../shared/anchors/policy-server next to this repository; not found)"; exit 2; fi

conformance: conformance-binaries dist ## every case through kwctl and one policy-server, compared with host-test; writes docs/conformance.md (KWCTL=, POLICY_SERVER=, POLICY=<id> for a subset; not part of make test)
	env -u RUST_BACKTRACE $(HOST_TEST) conformance --root . --dist $(DIST) --kwctl "$(KWCTL)" --policy-server "$(POLICY_SERVER)" \
	  $(if $(SIGSTORE_TRUST_CONFIG),--sigstore-trust-config "$(SIGSTORE_TRUST_CONFIG)") --jobs $(CONFORMANCE_JOBS) $(POLICY)

# The bundle in Kubewarden's own runners, beside the official modules and the floor module
# (crates/benches/floor/floor.wat): `bench-report kwctl` / `bench-report policy-server`
# (crates/benches/src/runners.rs). OFFICIAL= names the directory of the official modules and
# their <name>-test_data/; BENCH_ROUNDS= the rounds; BENCH_SECONDS= the wrk run per target.
# Not part of make test; they rewrite their sections of BENCHMARKS.md.
OFFICIAL      ?= $(wildcard $(ANCHORS)/official)
BENCH_ROUNDS  ?= 3
BENCH_SECONDS ?= 10
WRK           ?= wrk
BENCH_REPORT  := target/$(HARNESS_PROF)/bench-report
RUNNER_FLAGS   = --dist $(DIST) --official "$(OFFICIAL)" --rounds $(BENCH_ROUNDS) \
  $(if $(SIGSTORE_TRUST_CONFIG),--sigstore-trust-config "$(SIGSTORE_TRUST_CONFIG)")

bench-runner-inputs:
	@if [ -z "$(OFFICIAL)" ] || [ ! -d "$(OFFICIAL)" ]; then \
	  echo "the runner benchmarks need the official Kubewarden modules: give OFFICIAL=/path/to/dir (holding <name>.wasm and <name>-test_data/)"; \
	  echo "(by default ../shared/anchors/official next to this repository; not found)"; exit 2; fi

wrk: ## install Debian's wrk (the HTTP load generator of make bench-policy-server) when missing
	@command -v $(WRK) >/dev/null || { \
	  echo "installing wrk"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk >/dev/null; \
	  command -v $(WRK) >/dev/null || { echo "wrk is needed (apt-get install wrk, or WRK=/path/to/wrk)"; exit 2; }; }

bench-kwctl: bench-runner-inputs ## kwctl bench: ours vs official vs the floor on the official test_data, host-test beside it, every module above the floor, growth; rewrites BENCHMARKS.md (KWCTL=, OFFICIAL=, BENCH_ROUNDS=)
	@if [ -z "$(KWCTL)" ] || [ ! -x "$(KWCTL)" ]; then \
	  echo "make bench-kwctl needs Kubewarden's kwctl 1.36: give KWCTL=/path/to/kwctl (by default ../shared/anchors/kwctl; not found)"; exit 2; fi
	$(MAKE) dist
	$(CARGO) build --profile $(HARNESS_PROF) -p benches --bin bench-report
	env -u RUST_BACKTRACE $(BENCH_REPORT) kwctl --kwctl "$(KWCTL)" $(RUNNER_FLAGS)

bench-policy-server: bench-runner-inputs wrk ## one policy-server with the bundle, the official modules, the floor and the pss-restricted group under wrk -t2 -c8, then the bundle alone (ready time, memory); rewrites BENCHMARKS.md (POLICY_SERVER=, OFFICIAL=, BENCH_ROUNDS=, BENCH_SECONDS=)
	@if [ -z "$(POLICY_SERVER)" ] || [ ! -x "$(POLICY_SERVER)" ]; then \
	  echo "make bench-policy-server needs Kubewarden's policy-server 1.36: give POLICY_SERVER=/path/to/policy-server (by default ../shared/anchors/policy-server; not found)"; exit 2; fi
	$(MAKE) dist
	$(CARGO) build --profile $(HARNESS_PROF) -p benches --bin bench-report
	env -u RUST_BACKTRACE $(BENCH_REPORT) policy-server --policy-server "$(POLICY_SERVER)" --wrk "$$(command -v $(WRK))" --seconds $(BENCH_SECONDS) $(RUNNER_FLAGS)

sessions: dist ## rewrite the recorded host-call sessions (policies/<id>/sessions/, kwctl's replay format) from the cases; review the diff
	$(HOST_TEST) sessions --root . --dist $(DIST) --write

test-rust: dist registry-deps tools ## unit and workspace tests (native; the OCI round trip uses dist/ and a local registry)
	HOST_TEST_REQUIRE_XMLLINT=1 $(CARGO) test --profile $(HARNESS_PROF) --workspace --exclude playground

test-cases: dist ## run every policies/<id>/cases.yaml through dist/<id>.wasm; the recorded host-call sessions still match
	$(HOST_TEST) test --dist $(DIST)
	$(HOST_TEST) sessions --root . --dist $(DIST)

test-scan: dist tools ## scan examples/ with the built bundle in every format: exit codes, SARIF and JUnit schemas
	HOST_TEST_DIST=$(abspath $(DIST)) HOST_TEST_REQUIRE_XMLLINT=1 \
	  $(CARGO) test --profile $(HARNESS_PROF) -p scanner --test scan_examples -- --include-ignored

artifacthub: harness ## regenerate artifacthub/ from metadata.yml, Cargo.toml and README.md (offline, deterministic)
	$(HOST_TEST) artifacthub --root . --out artifacthub

check-fresh: harness ## fail when the checked-in artifacthub/ or deploy/ differ from what `make artifacthub` / `make deploy` write
	@$(HOST_TEST) artifacthub --root . --out artifacthub --check || { echo "artifacthub/ is stale: run 'make artifacthub' and commit the result"; exit 1; }
	@$(BUNDLE) deploy --out deploy --check

sizes: optimize ## print every module's size and rewrite the size table in BENCHMARKS.md
	@{ echo "<!-- sizes:begin (generated by make sizes) -->"; \
	  echo "Measured $$(date -u +%Y-%m-%d) with \`make sizes\` ($$(rustc --version | cut -d' ' -f1-2), release profile: opt-level s, lto, codegen-units 1, panic abort, strip; then $$($(WASM_OPT) --version | cut -d' ' -f1-3) -Oz)."; \
	  echo; echo "| module | cargo build bytes | shipped bytes (wasm-opt -Oz, before annotation) |"; echo "|---|---:|---:|"; \
	  for p in $(POLICIES); do echo "| \`$$p\` | $$(stat -c %s target/$(TARGET)/release/$${p//-/_}.wasm) | $$(stat -c %s $(OPT_DIR)/$$p.wasm) |"; done; \
	  echo "<!-- sizes:end -->"; } > target/sizes.md
	@cat target/sizes.md
	@awk 'BEGIN{skip=0} /<!-- sizes:begin/{while((getline l < "target/sizes.md")>0) print l; skip=1; next} /<!-- sizes:end -->/{skip=0; next} !skip' BENCHMARKS.md > target/BENCHMARKS.md.new && mv target/BENCHMARKS.md.new BENCHMARKS.md

BENCH_ENV = CRITERION_HOME=$(abspath target/criterion)

bench: dist sizes ## measure size, per-request cost, native floor, scanner, start-up, growth; rewrite BENCHMARKS.md (not part of make test)
	$(BENCH_ENV) $(CARGO) bench --profile $(HARNESS_PROF) -p benches --bench admission
	$(CARGO) build --profile $(HARNESS_PROF) -p benches --bin bench-report
	$(BENCH_ENV) target/$(HARNESS_PROF)/bench-report --dist $(DIST)

bench-quick: dist ## the report alone with few samples and no criterion run, BENCHMARKS.md untouched (a smoke run)
	$(CARGO) build --profile $(HARNESS_PROF) -p benches --bin bench-report
	$(BENCH_ENV) target/$(HARNESS_PROF)/bench-report --dist $(DIST) --quick --no-write

FUZZ_TARGET  ?= image_ref
FUZZ_SECONDS ?= 60
# The targets that run the built modules through the harness: they need dist/, build wasmtime
# without AddressSanitizer (the guest is sandboxed; ASan on wasmtime's reservations only costs
# memory) and in their own target directory, so switching targets does not rebuild everything.
FUZZ_MODULE_TARGETS := modules settings
FUZZ_IS_MODULE = $(filter $(FUZZ_MODULE_TARGETS),$(FUZZ_TARGET))
fuzz: $(if $(filter $(FUZZ_MODULE_TARGETS),$(FUZZ_TARGET)),dist) ## run one cargo-fuzz target: make fuzz FUZZ_TARGET=quantity|hostpath|secrets|image_ref|glob|json|pod_extraction|modules|settings FUZZ_SECONDS=60 (see RELIABILITY.md)
	@command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	@[ -d fuzz/corpus/$(FUZZ_TARGET) ] || python3 fuzz/seeds.py || echo "no seeds (fuzz/seeds.py needs Python 3 with PyYAML): starting from an empty corpus"
	cd fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run -O -a $(if $(FUZZ_IS_MODULE),--features modules -s none --target-dir target/modules) \
	  $(FUZZ_TARGET) -- -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 -print_final_stats=1

fmt: ## format the code
	$(CARGO) fmt --all

check-fmt: ## fail when the code is not formatted as `make fmt` leaves it (part of make test)
	$(CARGO) fmt --all --check

lint: ## clippy on every crate, warnings denied
	$(CARGO) clippy --profile $(HARNESS_PROF) --workspace --all-targets -- -D warnings

# ---- the browser playground (playground/): the rules compiled for wasm32-unknown-unknown ----
# wasm-bindgen-cli must be exactly the version of the wasm-bindgen crate in Cargo.lock (the two share
# an ABI): read it from the lock, install it once into target/tools (ignored by git) with --locked.
WASM_BINDGEN_VERSION = $(shell awk '/^name = "wasm-bindgen"$$/{getline; gsub(/[^0-9.]/, ""); print; exit}' Cargo.lock)
TOOLS        := target/tools
WASM_BINDGEN := $(TOOLS)/bin/wasm-bindgen
PLAYGROUND_DIST := playground/dist
PLAYGROUND_PORT ?= 8089

playground-tools: ## install the wasm32-unknown-unknown target and wasm-bindgen-cli at Cargo.lock's wasm-bindgen version (into target/tools)
	@test -n "$(WASM_BINDGEN_VERSION)" || { echo "no wasm-bindgen package in Cargo.lock"; exit 2; }
	@rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@if ! $(WASM_BINDGEN) --version 2>/dev/null | grep -qx 'wasm-bindgen $(WASM_BINDGEN_VERSION)'; then \
	  echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) into $(TOOLS) (once; takes a few minutes)"; \
	  $(CARGO) install wasm-bindgen-cli --locked --version $(WASM_BINDGEN_VERSION) --root $(TOOLS) || { \
	    echo "wasm-bindgen-cli's own lock file names a dependency the registry does not serve (yanked or not mirrored):"; \
	    echo "installing the same wasm-bindgen-cli version with its dependencies resolved afresh"; \
	    $(CARGO) install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --root $(TOOLS); }; fi

playground: playground-tools ## build the static playground into playground/dist/ (index.html, app.js, style.css, wapc.js, playground.js and its .wasm)
	playground/gen-registry.sh
	$(CARGO) build --profile playground --target wasm32-unknown-unknown -p playground --lib
	@rm -rf $(PLAYGROUND_DIST) && mkdir -p $(PLAYGROUND_DIST)
	$(WASM_BINDGEN) --target web --no-typescript --remove-name-section --remove-producers-section \
	  --out-dir $(PLAYGROUND_DIST) target/wasm32-unknown-unknown/playground/playground.wasm
	cp playground/web/index.html playground/web/app.js playground/web/style.css playground/web/wapc.js $(PLAYGROUND_DIST)/
	@echo "playground/dist: $$(stat -c %s $(PLAYGROUND_DIST)/playground_bg.wasm) bytes of wasm"

playground-serve: playground ## serve playground/dist/ on http://127.0.0.1:$(PLAYGROUND_PORT)/
	@echo "http://127.0.0.1:$(PLAYGROUND_PORT)/"
	cd $(PLAYGROUND_DIST) && python3 -m http.server $(PLAYGROUND_PORT) --bind 127.0.0.1

browser-deps: ## install Debian's chromium and chromium-driver (for the browser test) if missing
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; }

test-playground: playground dist browser-deps ## the playground's tests: registry complete, agreement with dist/*.wasm on every case, the page in headless chromium
	PLAYGROUND_DIST_DIR=$(CURDIR)/$(PLAYGROUND_DIST) $(CARGO) test --profile $(HARNESS_PROF) -p playground

clean: ## remove build outputs
	$(CARGO) clean
	rm -rf $(DIST)
