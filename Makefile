# medgate — two commands do all the set-up on a fresh Debian 12 machine:
#   make run    install what is missing, build, start a demo instance
#   make test   install what is missing, build with sanitizers, run every test
# Both are idempotent and safe to repeat.

BUILD      ?= build
PREFIX     ?= /usr
DESTDIR    ?=
TEST_BUILD ?= build-test
JOBS       ?= $(shell nproc)
DEMO_DIR   ?= $(if $(filter 0,$(shell id -u)),/var/lib/medgate/demo,$(CURDIR)/demo)
export MG_FUZZ_SECONDS ?= 8

.PHONY: all deps build run test test-only bench clean format install

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/build.ninja $(BUILD)/Makefile:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

run: build
	@bash scripts/demo.sh "$(BUILD)" "$(DEMO_DIR)"

$(TEST_BUILD)/Makefile:
	cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug \
		-DCMAKE_C_COMPILER=clang -DMG_SANITIZE=ON -DMG_FUZZ=ON

# The release build (what make run uses, gcc with _FORTIFY_SOURCE) must
# compile too; the tests run on the sanitizer build.
test: build $(TEST_BUILD)/Makefile
	cmake --build $(TEST_BUILD) -j $(JOBS)
	cd $(TEST_BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900

# Programs to PREFIX/sbin and PREFIX/bin, man pages, docs and the example
# configuration to PREFIX/share, systemd units, and the empty folders
# /etc/medgate and /var/lib/medgate (PREFIX/etc and PREFIX/var unless
# PREFIX is /usr); DESTDIR stages it elsewhere. Makes no account: the
# Debian package does (debian/), or see docs/install.md.
install: build
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX)
	cmake --build $(BUILD) -j $(JOBS)
	DESTDIR=$(DESTDIR) cmake --install $(BUILD)

bench: build
	bash bench/ingest-compare.sh --gateway $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(TEST_BUILD)
