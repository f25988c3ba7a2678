# Berth: a container runtime in Swift.  `make help` lists the targets.

SWIFT        ?= swift
PREFIX       ?= /usr/local
BINDIR       ?= $(PREFIX)/bin
SYSTEMDDIR   ?= /etc/systemd/system
MANDIR       ?= $(PREFIX)/share/man
BASHCOMPDIR  ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR   ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR  ?= $(PREFIX)/share/fish/vendor_completions.d
MANUALS       = .build/plugins/GenerateManual/outputs
CONFIG       ?= debug
BUILD_FLAGS  ?=
OUT          ?= out
BIN           = .build/$(CONFIG)
BINARIES      = berthd berth-shim berth
FUZZ_SECONDS      ?= 30
FUZZ_TEST_SECONDS ?= 30

.DEFAULT_GOAL := help
.PHONY: leaks torture fuzz bench-daemon bench-pull proto help deps build test test-unit check-shim demo bench lint fmt install clean test-image completions man

help: ## Show this help.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

deps: ## Install every Debian package the project uses (idempotent; needs root).
	@hack/deps.sh

build: ## Build berthd, berth-shim (also as containerd-shim-berth-v2) and berth.
	$(SWIFT) build -c $(CONFIG) $(BUILD_FLAGS)
	@ln -sf berth-shim $(BIN)/containerd-shim-berth-v2
	@echo "built: $(addprefix $(BIN)/,$(BINARIES)) $(BIN)/containerd-shim-berth-v2"

test-image: ## Build the busybox OCI test image offline into $(OUT)/image.
	@hack/make-test-image.sh $(OUT)/image >/dev/null

test: deps test-image ## Run every test suite (as root: executor and mount tests included).
	$(SWIFT) build -c $(CONFIG) $(BUILD_FLAGS) --build-tests
	@ln -sf berth-shim $(BIN)/containerd-shim-berth-v2
	@hack/check-shim.sh $(BIN)/berth-shim
	$(SWIFT) test -c $(CONFIG) $(BUILD_FLAGS) --skip-build --no-parallel
	@FUZZ_SECONDS=$(FUZZ_TEST_SECONDS) hack/fuzz.sh

fuzz: deps ## Build the libFuzzer targets in .build-fuzz and run each for FUZZ_SECONDS (default 30).
	@FUZZ_SECONDS=$(FUZZ_SECONDS) hack/fuzz.sh

check-shim: build ## Check the shim's link budget (no full Foundation).
	@hack/check-shim.sh $(BIN)/berth-shim

demo: deps build test-image ## Build, then run a busybox container that prints a line, and clean up.
	@hack/demo.sh $(BIN) $(OUT)/image

bench: deps test-image ## Run the benchmarks (release build) and print medians and ratios.
	$(SWIFT) build -c release $(BUILD_FLAGS)
	@hack/bench.sh .build/release $(OUT)/image

SWIFT_FILES = find Package.swift Sources Tests -name '*.swift' -not -path '*/Generated/*'

TORTURE_OPS  ?= 500
TORTURE_SEED ?= 20261129

torture: deps test-image ## Crash torture: TORTURE_OPS lifecycle operations, berthd and shims SIGKILLed at random (seed TORTURE_SEED).
	$(SWIFT) build -c $(CONFIG) $(BUILD_FLAGS) --build-tests
	@ln -sf berth-shim $(BIN)/containerd-shim-berth-v2
	TORTURE_OPS=$(TORTURE_OPS) TORTURE_SEED=$(TORTURE_SEED) $(SWIFT) test -c $(CONFIG) $(BUILD_FLAGS) --skip-build \
		--filter DaemonTortureTests

LEAK_CYCLES ?= 1000

leaks: deps test-image ## Leak accounting: LEAK_CYCLES ctr run --rm through berthd; fds, mounts, cgroups, processes back to baseline, RSS +5 % at most.
	$(SWIFT) build -c $(CONFIG) $(BUILD_FLAGS) --build-tests
	@ln -sf berth-shim $(BIN)/containerd-shim-berth-v2
	LEAK_CYCLES=$(LEAK_CYCLES) $(SWIFT) test -c $(CONFIG) $(BUILD_FLAGS) --skip-build --filter DaemonLeakTests

bench-daemon: deps ## Idle memory: release berthd beside a private containerd 1.6 (RSS, PSS, ratios).
	$(SWIFT) build -c release $(BUILD_FLAGS) --product berthd
	@hack/bench-daemon.sh .build/release

bench-pull: deps ## Pull benchmark: Berth vs containerd 1.6 on a ~190 MB image from a loopback registry.
	@hack/bench-pull.sh

lint: ## Check formatting and style with swift-format (strict; generated code excluded).
	$(SWIFT_FILES) -print0 | xargs -0 $(SWIFT) format lint --strict --parallel

fmt: ## Format the sources in place with swift-format (generated code excluded).
	$(SWIFT_FILES) -print0 | xargs -0 $(SWIFT) format format --in-place --parallel

completions: build ## Generate berth's bash, zsh and fish completion scripts into $(OUT)/completions.
	@mkdir -p $(OUT)/completions
	$(BIN)/berth --generate-completion-script bash > $(OUT)/completions/berth.bash
	$(BIN)/berth --generate-completion-script zsh > $(OUT)/completions/_berth
	$(BIN)/berth --generate-completion-script fish > $(OUT)/completions/berth.fish

man: ## Generate man pages for berth and berthd, one per subcommand, into $(OUT)/man/man1 (offline).
	rm -rf $(MANUALS) $(OUT)/man
	$(SWIFT) package plugin generate-manual --multi-page --configuration $(CONFIG)
	@mkdir -p $(OUT)/man/man1
	cp $(MANUALS)/berth/*.1 $(MANUALS)/berthd/*.1 $(OUT)/man/man1/

install: ## Build in release mode; install the binaries, completions, man pages and the berthd systemd unit.
	$(SWIFT) build -c release $(BUILD_FLAGS)
	$(MAKE) --no-print-directory completions man CONFIG=release
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 0644 $(OUT)/man/man1/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(OUT)/completions/berth.bash $(DESTDIR)$(BASHCOMPDIR)/berth
	install -m 0644 $(OUT)/completions/_berth $(DESTDIR)$(ZSHCOMPDIR)/_berth
	install -m 0644 $(OUT)/completions/berth.fish $(DESTDIR)$(FISHCOMPDIR)/berth.fish
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(addprefix .build/release/,$(BINARIES)) $(DESTDIR)$(BINDIR)/
	ln -sf berth-shim $(DESTDIR)$(BINDIR)/containerd-shim-berth-v2
	install -d $(DESTDIR)$(SYSTEMDDIR)
	sed 's|/usr/local/bin|$(BINDIR)|g' hack/berthd.service > $(DESTDIR)$(SYSTEMDDIR)/berthd.service
	@echo "installed; run 'systemctl daemon-reload && systemctl enable --now berthd'"

proto: ## Regenerate the committed protobuf Swift code (hack/gen-proto.sh).
	@hack/gen-proto.sh

clean: ## Remove build products and generated test images.
	rm -rf .build .build-fuzz $(OUT)
