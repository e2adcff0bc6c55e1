# Build, test and package the Rust replacement of centreon_office365_exchange_api.pl.
#
#   make build      release binary: target/release/centreon_office365_exchange_api
#   make test       the test suite (cargo test --release); installs the servers the tests
#                   run (nsd, redis-server, memcached) from Debian's packages when missing
#   make bench      criterion benchmarks
#   make demo       runs every mode against the bundled mock of Microsoft's endpoints
#   make rpm        target/generate-rpm/*.rpm  (installs cargo-generate-rpm if missing)
#   make deb        target/debian/*.deb        (installs cargo-deb if missing)
#   make install    PREFIX=/usr DESTDIR=       (the binary, its .pl twin, the Icinga 2 CheckCommand)
#   make clean

CARGO   ?= cargo
PREFIX  ?= /usr
DESTDIR ?=

BIN        := centreon_office365_exchange_api
RELEASE    := target/release/$(BIN)
PLUGINDIR  := $(PREFIX)/lib/centreon/plugins
# Where Icinga 2's `include <plugins-contrib>` loads command definitions from.
ICINGA2DIR := $(PREFIX)/share/icinga2/include/plugins-contrib.d
ICINGA2CMD := packaging/icinga2/office365-exchange.conf

# Centreon's Perl packages are versioned by date (e.g. 20250115), which sorts above
# this crate's 0.x versions. Epoch 1 makes every build of ours newer than any Perl
# build, so a plain `dnf upgrade` / `apt upgrade` replaces the Perl plugin. The RPM
# gets its epoch from [package.metadata.generate-rpm] epoch = 1 in Cargo.toml;
# cargo-deb has no manifest key for it, so the Debian version is given here.
EPOCH       := 1
VERSION      = $(shell $(CARGO) pkgid 2>/dev/null | sed 's/.*[#@]//')
DEB_VERSION  = $(EPOCH):$(VERSION)-1

.PHONY: all build test test-servers bench demo rpm deb install clean

all: build

build:
	$(CARGO) build --release

test: test-servers
	$(CARGO) test --release

# Real servers the tests start on free loopback ports, from Debian's packages: NSD for
# the mail-domains DNS tests, Redis and memcached for the shared-state tests.
TEST_SERVERS := nsd redis-server memcached
test-servers:
	@missing=; for p in $(TEST_SERVERS); do \
	    command -v $$p >/dev/null || [ -x /usr/sbin/$$p ] || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	        echo "installing$$missing (apt-get)"; \
	        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq$$missing >/dev/null; \
	    else \
	        echo "the tests need$$missing: sudo apt-get install -y$$missing" >&2; exit 1; \
	    fi; \
	fi

bench:
	$(CARGO) bench

# The mock is an example target (tests/mock/mockgraph.rs) so that it is built with the
# same toolchain and needs nothing from the network.
demo: build
	$(CARGO) build --release --example mockgraph
	packaging/demo.sh

# cargo-generate-rpm packages what is already built; it does not compile.
rpm: build
	@$(CARGO) generate-rpm --version >/dev/null 2>&1 || $(CARGO) install --locked cargo-generate-rpm
	$(CARGO) generate-rpm
	@ls -1 target/generate-rpm/*.rpm

deb: build
	@$(CARGO) deb --version >/dev/null 2>&1 || $(CARGO) install --locked cargo-deb
	$(CARGO) deb --no-build --deb-version '$(DEB_VERSION)'
	@# cargo-deb puts the epoch in the file name (pkg_1:0.1.0-1_amd64.deb); Debian's
	@# own tools leave it out, and a ':' in a file name trips scp and friends.
	@cd target/debian && for f in *_[0-9]*:*.deb; do \
	    [ -e "$$f" ] && mv -f "$$f" "$$(echo "$$f" | sed 's/_[0-9]*:/_/')"; \
	done; true
	@ls -1 target/debian/*.deb

# Two real files, not a symlink: Centreon commands call the .pl name, and some
# engines/wrappers resolve the script path, so a symlink could surface under the
# other name. The binary does not care which name it runs under.
# `install` builds only if the binary is missing, so `sudo make install` after
# `make build` does not need cargo in root's PATH.
install: | $(RELEASE)
	install -d '$(DESTDIR)$(PLUGINDIR)'
	install -m 0755 '$(RELEASE)' '$(DESTDIR)$(PLUGINDIR)/$(BIN)'
	install -m 0755 '$(RELEASE)' '$(DESTDIR)$(PLUGINDIR)/$(BIN).pl'
	install -d '$(DESTDIR)$(ICINGA2DIR)'
	install -m 0644 '$(ICINGA2CMD)' '$(DESTDIR)$(ICINGA2DIR)/'

$(RELEASE):
	$(CARGO) build --release

clean:
	$(CARGO) clean
	rm -f -- *.rpm *.deb
