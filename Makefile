# netpol-record: one non-recursive GNU Makefile. (The goals that build call
# this same file once more, after install/deps.sh: see "Dependencies first"
# below.)
#
# Sources are found by directory: lib/ nft/ cni/ recorderd/ cli/ (each with
# its subfolders) become a static archive each; cni/main.c, recorderd/main.c
# and cli/main.c are the three programs. Each program links only the
# archives of the layers it may use (PROG_LAYERS), so a call across the
# layering fails to link. Every tests/unit/test_<module>.c is a cmocka
# program linked against all archives (the linker takes only what it
# needs).

PREFIX    ?= /usr/local
DESTDIR   ?=
CNI_BINDIR ?= /opt/cni/bin
BUILD     ?= build
CC        ?= cc
V         ?= 0
SAN       ?=

PKGS      := libmnl libnftnl libnetfilter_conntrack json-c yaml-0.1 sqlite3 libcurl
WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wformat=2 -Wwrite-strings
ifeq ($(CI),true)
WARN      += -Werror
endif
ifeq ($(WERROR),1)
WARN      += -Werror
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
TEST_LIBS  := $(shell pkg-config --libs cmocka 2>/dev/null)

# OPT is the optimisation level; CFLAGS/LDFLAGS from the command line are
# added after ours (a command-line CFLAGS would otherwise replace them).
OPT       ?= -O2 -g
ALL_CFLAGS = $(OPT) -std=gnu11 $(WARN) -D_GNU_SOURCE -I. $(PKG_CFLAGS) $(SAN) -MMD -MP $(CFLAGS)
ALL_LDFLAGS = $(SAN) $(LDFLAGS)
LDLIBS    += $(PKG_LIBS) -lm -lpthread
# The CNI plugin is exec'd once per pod ADD/DEL; loading and relocating
# libsqlite3, libjson-c and libnftnl at every start costs about 1 ms of
# the ADD (`make bench`). They are linked in from the Debian -dev
# packages' archives; libmnl ships no archive and stays shared.
CNI_LDLIBS := -Wl,-Bstatic -lnftnl -ljson-c -lsqlite3 -Wl,-Bdynamic \
	-lmnl -lm -lpthread

# Graphviz lays out the report's drawing (cli/report/report_gv.c): only
# the CLI links it (and the unit tests, which link every archive). Its dot
# layout and core renderers are linked in and no plugin configuration is
# read, so that text is measured by Graphviz's own font metrics and not by
# the machine's fonts: the same report gives the same drawing everywhere.
GV_PLUGINDIR := $(shell pkg-config --variable=libdir libgvc 2>/dev/null)/graphviz
CLI_CFLAGS := $(shell pkg-config --cflags libcgraph libgvc 2>/dev/null)
CLI_LIBS   := $(shell pkg-config --libs libcgraph libgvc 2>/dev/null) \
	-L$(GV_PLUGINDIR) -Wl,-rpath,$(GV_PLUGINDIR) \
	-lgvplugin_dot_layout -lgvplugin_core
$(BUILD)/obj/cli/%.o: ALL_CFLAGS += $(CLI_CFLAGS)

ifeq ($(V),0)
Q := @
say = @printf '  %-6s %s\n' $(1) $(2);
else
Q :=
say =
endif

COMPONENTS := cli recorderd cni nft lib
PROGS      := $(BUILD)/netpol-record-cni $(BUILD)/netpol-recorderd $(BUILD)/netpol-record

srcs_of   = $(filter-out $(1)/main.c,$(wildcard $(1)/*.c $(1)/*/*.c))
objs_of   = $(patsubst %.c,$(BUILD)/obj/%.o,$(call srcs_of,$(1)))
ARCHIVES  := $(foreach c,$(COMPONENTS),$(BUILD)/lib$(c).a)
# What each program may use, highest layer first (the link order).
CNI_ARCHIVES  := $(BUILD)/libcni.a $(BUILD)/libnft.a $(BUILD)/liblib.a
RD_ARCHIVES   := $(BUILD)/librecorderd.a $(BUILD)/libnft.a $(BUILD)/liblib.a
CLI_ARCHIVES  := $(BUILD)/libcli.a $(BUILD)/liblib.a

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
UNIT_HELPERS := $(filter-out tests/unit/test_%.c,$(wildcard tests/unit/*.c))
UNIT_HELPER_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(UNIT_HELPERS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_REPLAY_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz-replay/%,$(FUZZ_SRCS))
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRCS))

.PHONY: all archives deps check unit integration asan fuzz bench demo \
        install fresh-check clean help
.DEFAULT_GOAL := all

# Dependencies first, then a second make that builds.
#
# The pkg-config flags above (PKG_CFLAGS, PKG_LIBS, TEST_LIBS) are read when
# make parses this file, before any recipe runs. On a machine where
# install/deps.sh is about to install the -dev packages they come out empty,
# and every link made with them fails. So each target that builds is two
# makes: the first runs install/deps.sh with the package sets the target
# needs, then starts a second make (DEPS_DONE=1) for the same target. The
# second make parses this file again, after the packages are in place, and
# does all the building; nothing the first make evaluated reaches it.
# `make DEPS_DONE=1 TARGET` skips install/deps.sh.
ifndef DEPS_DONE

# The first make runs its goals one after the other (`make check demo`
# must not build the same tree twice at once); each second make still
# builds with -j.
.NOTPARALLEL:

all install:
	$(Q)sh install/deps.sh build
	$(Q)$(MAKE) --no-print-directory DEPS_DONE=1 $@

check unit integration asan bench demo:
	$(Q)sh install/deps.sh build test
	$(Q)$(MAKE) --no-print-directory DEPS_DONE=1 $@

fuzz:
	$(Q)sh install/deps.sh build fuzz
	$(Q)$(MAKE) --no-print-directory DEPS_DONE=1 $@

endif

archives: $(ARCHIVES)

deps:
	$(Q)sh install/deps.sh build test

# make builds files only when something needs them; a program's objects are
# not intermediates to delete afterwards (GNU make would remove
# build/obj/tests/tools/*.o after each link and rebuild them next time).
.SECONDARY:

$(BUILD)/obj/%.o: %.c
	$(call say,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

define archive_rule
$(BUILD)/lib$(1).a: $(call objs_of,$(1))
	$$(call say,AR,$$@)
	$$(Q)mkdir -p $$(dir $$@)
	$$(Q)rm -f $$@
	$$(Q)ar rcs $$@ $$^
endef
$(foreach c,$(COMPONENTS),$(eval $(call archive_rule,$(c))))

$(BUILD)/netpol-record-cni: $(BUILD)/obj/cni/main.o $(CNI_ARCHIVES)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(CNI_ARCHIVES) $(CNI_LDLIBS)

$(BUILD)/netpol-recorderd: $(BUILD)/obj/recorderd/main.o $(RD_ARCHIVES)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(RD_ARCHIVES) $(LDLIBS)

$(BUILD)/netpol-record: $(BUILD)/obj/cli/main.o $(CLI_ARCHIVES)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(CLI_ARCHIVES) $(LDLIBS) $(CLI_LIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(UNIT_HELPER_OBJS) $(ARCHIVES)
	$(call say,LD,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(UNIT_HELPER_OBJS) $(ARCHIVES) $(LDLIBS) $(CLI_LIBS) $(TEST_LIBS)

# Every fuzz target also builds with gcc against a replay main, so make check
# runs each seed corpus through the real parsers without libFuzzer.
$(BUILD)/fuzz-replay/%: $(BUILD)/obj/tests/fuzz/%.o $(BUILD)/obj/tests/fuzz/replay_main.o $(ARCHIVES)
	$(call say,LD,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/obj/tests/fuzz/replay_main.o $(ARCHIVES) $(LDLIBS)

$(BUILD)/tools/%: $(BUILD)/obj/tests/tools/%.o $(ARCHIVES)
	$(call say,LD,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(ARCHIVES) $(LDLIBS)

# The goals as the second make (DEPS_DONE=1) builds and runs them; the
# first make, above, only runs install/deps.sh and starts this one.
ifdef DEPS_DONE

all: $(PROGS)

# make check: build, run unit then integration tests. tests/run prints one
# "N passed, N failed" line and fails on any failure. The integration tests
# and the benchmarks use the tests/tools programs; nothing else builds them.
check: $(PROGS) $(TOOL_BINS) $(UNIT_BINS) $(FUZZ_REPLAY_BINS)
	$(Q)BUILD=$(BUILD) sh tests/run $(UNIT_BINS) $(FUZZ_REPLAY_BINS)

unit: $(UNIT_BINS) $(FUZZ_REPLAY_BINS)
	$(Q)BUILD=$(BUILD) TESTS=unit sh tests/run $(UNIT_BINS) $(FUZZ_REPLAY_BINS)

integration: $(PROGS) $(TOOL_BINS)
	$(Q)BUILD=$(BUILD) TESTS=integration sh tests/run

# The same suite under AddressSanitizer and UndefinedBehaviorSanitizer, in a
# build tree of its own. Graphviz loses memory in its own layout, which
# LeakSanitizer is told to leave out (tests/lsan.supp).
asan:
	$(Q)LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
		$(MAKE) --no-print-directory BUILD=build-asan \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
		OPT="-O1 -g" check

# libFuzzer with ASan + UBSan, built by clang in build-fuzz/.
FUZZ_SECONDS ?= 60
fuzz:
	$(Q)$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang \
		SAN="-fsanitize=address,undefined,fuzzer-no-link -fno-omit-frame-pointer" \
		OPT="-O1 -g" archives
	$(Q)sh tests/fuzz/run.sh $(FUZZ_SECONDS)

bench: $(PROGS) $(TOOL_BINS)
	$(Q)sh tests/bench/run.sh

demo: $(PROGS)
	$(Q)bash tests/demo/demo.sh

# The plugin lives in CNI_BINDIR, where container runtimes look for it; the
# link in $(PREFIX)/sbin puts `netpol-record-cni install` on root's PATH.
install: $(PROGS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(CNI_BINDIR)
	install -m 0755 $(BUILD)/netpol-record $(DESTDIR)$(PREFIX)/bin/netpol-record
	ln -sf netpol-record $(DESTDIR)$(PREFIX)/bin/kubectl-netpol_record
	install -m 0755 $(BUILD)/netpol-recorderd $(DESTDIR)$(PREFIX)/sbin/netpol-recorderd
	install -m 0755 $(BUILD)/netpol-record-cni $(DESTDIR)$(CNI_BINDIR)/netpol-record-cni
	ln -sf $(CNI_BINDIR)/netpol-record-cni $(DESTDIR)$(PREFIX)/sbin/netpol-record-cni
	install -d $(DESTDIR)/etc/netpol-record
	install -m 0644 conf/recorderd.yaml $(DESTDIR)/etc/netpol-record/recorderd.yaml
	if [ -d doc ] && ls doc/*.8 >/dev/null 2>&1; then \
		install -d $(DESTDIR)$(PREFIX)/share/man/man8; \
		install -m 0644 doc/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/; fi
	if [ -f install/systemd/netpol-recorderd.service ]; then \
		install -d $(DESTDIR)/lib/systemd/system; \
		sed 's|/usr/local/sbin/|$(PREFIX)/sbin/|' install/systemd/netpol-recorderd.service \
			>$(DESTDIR)/lib/systemd/system/netpol-recorderd.service; \
		chmod 0644 $(DESTDIR)/lib/systemd/system/netpol-recorderd.service; fi

endif

# The README's two commands, `make demo` then `make check`, in a Debian 12
# root made by debootstrap with nothing but a compiler, make, git and
# python3 (root; needs the network to reach Debian's archive). See
# tests/fresh/fresh-check.sh.
fresh-check:
	$(Q)sh install/deps.sh fresh
	$(Q)bash tests/fresh/fresh-check.sh

clean:
	rm -rf $(BUILD) build-asan build-fuzz

help:
	@echo "netpol-record make targets (each one that builds first installs the Debian"
	@echo "packages it needs with install/deps.sh: root, unless they are all there):"
	@echo "  all          build build/netpol-record-cni, build/netpol-recorderd, build/netpol-record"
	@echo "  check        build, run the unit, fuzz-corpus replay and integration tests (root)"
	@echo "  unit         build and run the cmocka unit tests and the fuzz-corpus replay only"
	@echo "  integration  build, run the network-namespace integration tests only (root)"
	@echo "  asan         the check suite under AddressSanitizer + UBSan (build-asan/)"
	@echo "  fuzz         libFuzzer targets for every parser, built by clang (FUZZ_SECONDS=N each)"
	@echo "  bench        measured speed, side by side with references (root)"
	@echo "  demo         a whole node in namespaces, recorded and exported to demo-out/ (root)"
	@echo "  install      install binaries, config, man pages, systemd unit (PREFIX, DESTDIR, CNI_BINDIR)"
	@echo "  fresh-check  make demo, then make check, in a fresh Debian 12 root (root, network)"
	@echo "  deps         only install the Debian packages (install/deps.sh)"
	@echo "  clean        remove build trees"
	@echo "Variables: V=1 (verbose), WERROR=1, PREFIX, DESTDIR, CNI_BINDIR,"
	@echo "  DEPS_DONE=1 (skip install/deps.sh)"

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
