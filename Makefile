# mmlogd: one non-recursive GNU Makefile.  Every output goes to $(B)/.
#
#   make            build everything
#   make run        install missing build deps, build, run mmlogd under ./var/
#   make test       install missing deps, build, run every test (alias: check)
#   make asan       the same tests under ASan+UBSan, in build/asan/
#   make valgrind   the unit tests under valgrind
#   make bench      the benchmarks (tests/bench/)
#   make fuzz       build the libFuzzer harnesses (tests/fuzz/) with clang
#                   into $(B)/fuzz/ and run each for FUZZ_TIME seconds
#                   (default 60); fails on any crash, leak or timeout
#   make fuzz-replay  replay the kept fuzz inputs without clang (in test)
#   make install    DESTDIR, PREFIX (default /usr/local)
#   make uninstall  removes exactly what install put there
#   make deps       install missing Debian packages (needs root or sudo)

B		?= build
PREFIX		?= /usr/local
DESTDIR		?=
CC		?= cc
CFLAGS		?= -O2 -g
# Flags a user's CFLAGS cannot drop.
MML_CFLAGS	:= -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
		   -Wformat=2 -Wno-format-nonliteral -MMD -MP
# Hardening a user's CFLAGS cannot drop either: stack protector, PIE for
# the programs, full RELRO (-z relro -z now: the GOT is read-only before
# main() runs).  _FORTIFY_SOURCE needs an optimising build (glibc warns,
# and -Werror fails, at -O0) and is left out under the sanitizers, whose
# interceptors it would bypass.
HARDEN_CFLAGS	:= -fstack-protector-strong
ifneq ($(filter -O1 -O2 -O3 -Os -Og -Ofast,$(CFLAGS)),)
ifeq ($(filter -fsanitize=%,$(CFLAGS)),)
HARDEN_CFLAGS	+= -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2
endif
endif
HARDEN_LDFLAGS	:= -Wl,-z,relro,-z,now
PIE_CFLAGS	:= -fPIE
PIE_LDFLAGS	:= -pie
SYSTEMD_CFLAGS	:= $(shell pkg-config --cflags libsystemd 2>/dev/null)
SYSTEMD_LIBS	:= $(shell pkg-config --libs libsystemd 2>/dev/null || echo -lsystemd)
CHECK_CFLAGS	:= $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS	:= $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lpthread)
# Debian 12's libev-dev ships no .pc file; its header is in /usr/include,
# which keeps it a system header (under -I, ev_io_init() trips
# -Wstrict-aliasing at -O2).
EV_CFLAGS	:= $(shell pkg-config --cflags libev 2>/dev/null)
EV_LIBS		:= $(shell pkg-config --libs libev 2>/dev/null || echo -lev)
# mmlogctl's -g, as journalctl's: PCRE2 (libpcre2-dev).
PCRE2_CFLAGS	:= $(shell pkg-config --cflags libpcre2-8 2>/dev/null)
PCRE2_LIBS	:= $(shell pkg-config --libs libpcre2-8 2>/dev/null || echo -lpcre2-8)
# Only mmlog-forward links these: GnuTLS for RELP over TLS, libcurl
# (Debian: libcurl4-gnutls-dev, on the same GnuTLS) for HTTP(S) to
# systemd-journal-remote.
GNUTLS_CFLAGS	:= $(shell pkg-config --cflags gnutls 2>/dev/null)
GNUTLS_LIBS	:= $(shell pkg-config --libs gnutls 2>/dev/null || echo -lgnutls)
CURL_CFLAGS	:= $(shell pkg-config --cflags libcurl 2>/dev/null)
CURL_LIBS	:= $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl)

SOVERSION	:= 0
LIBVERSION	:= 0.1.0

PROTO_SRC	:= proto/wire.c proto/disk.c proto/walk.c proto/crc32c.c proto/util.c
PROTO_SRC	+= proto/tables.c
DAEMON_LIB_SRC	:= daemon/ring.c daemon/ringfile.c daemon/server.c daemon/control.c daemon/uids.c daemon/recover.c daemon/ringsync.c daemon/ringctl.c daemon/ringmeta.c \
		   daemon/ratelimit.c daemon/log.c daemon/sync.c daemon/conf.c \
		   daemon/resize.c daemon/entry.c daemon/syslog_parse.c daemon/kmsg.c \
		   daemon/journal.c daemon/stream.c daemon/intake.c daemon/listen.c \
		   daemon/syslog_in.c daemon/journal_in.c daemon/stdout_in.c \
		   daemon/kmsg_in.c
DAEMON_LIB_SRC	+= daemon/meta.c daemon/metatab.c
DAEMON_SRC	:= daemon/main.c $(DAEMON_LIB_SRC)
CLIENT_SRC	:= client/lib/client.c client/lib/sock.c
RINGREAD_SRC	:= client/ringread/read.c client/ringread/format.c \
		   client/ringread/cursor.c client/ringread/follow.c \
		   client/ringread/fields.c client/ringread/match.c \
		   client/ringread/tables.c
CTL_SRC		:= client/ctl/main.c client/ctl/opts.c client/ctl/util.c \
		   client/ctl/show.c client/ctl/write.c client/ctl/run.c \
		   client/ctl/status.c client/ctl/verify.c client/ctl/dump.c \
		   client/ctl/control.c client/ctl/pager.c client/ctl/boots.c \
		   $(RINGREAD_SRC)
FWD_SRC		:= client/forward/main.c client/forward/msg.c \
		   client/forward/relp.c client/forward/out.c $(RINGREAD_SRC)

# Each folder sees only the headers it may use (HACKING.md, The modules), so
# that a wrong include fails the build: proto/ sees itself; the daemon
# proto/ and daemon/; the library proto/ and client/lib/; the reader the
# library's internal socket helper too; mmlogctl and mmlog-forward the
# reader, each its own folder, never the other's.  Tests see everything.
INC_proto	:= -Iproto
INC_daemon	:= -Iproto -Idaemon $(EV_CFLAGS) $(SYSTEMD_CFLAGS)
INC_lib		:= -Iproto -Iclient/lib
INC_ringread	:= $(INC_lib) -Iclient/ringread
INC_ctl		:= $(INC_ringread) -Iclient/ctl $(PCRE2_CFLAGS)
INC_forward	:= $(INC_ringread) -Iclient/forward $(GNUTLS_CFLAGS) $(CURL_CFLAGS) \
		   $(SYSTEMD_CFLAGS)
INC_tests	:= -Iproto -Idaemon -Iclient/lib -Iclient/ringread -Iclient/ctl \
		   -Iclient/forward -Itests/bench -Itests/fuzz $(EV_CFLAGS) \
		   $(SYSTEMD_CFLAGS) $(CHECK_CFLAGS) $(PCRE2_CFLAGS)
# The include flags of a source file, by its folder.
inc = $(INC_$(if $(filter proto/%,$(1)),proto,$(if $(filter daemon/%,$(1)),daemon,$(if \
	$(filter client/lib/%,$(1)),lib,$(if $(filter client/ringread/%,$(1)),ringread,$(if \
	$(filter client/ctl/%,$(1)),ctl,$(if $(filter client/forward/%,$(1)),forward,tests)))))))
TEST_SRC	:= $(wildcard tests/check_*.c)
BENCH_SRC	:= $(wildcard tests/bench/*.c)
IT_HELPER_SRC	:= $(wildcard tests/it/*.c)

obj = $(patsubst %.c,$(B)/%.o,$(1))
pic = $(patsubst %.c,$(B)/pic/%.o,$(1))

MMLOGD		:= $(B)/mmlogd
MMLOGCTL	:= $(B)/mmlogctl
MMLOGFWD	:= $(B)/mmlog-forward
LIBSO		:= $(B)/libmmlogclient.so.$(SOVERSION)
LIBA		:= $(B)/libmmlogclient.a
PCFILE		:= $(B)/mmlogclient.pc
CHECKBIN	:= $(B)/check_mmlogd
BENCHBIN	:= $(B)/mmlog-bench
IT_HELPERS	:= $(patsubst tests/it/%.c,$(B)/it/%,$(IT_HELPER_SRC))

ALL := $(MMLOGD) $(MMLOGCTL) $(MMLOGFWD) $(LIBSO) $(B)/libmmlogclient.so $(LIBA) $(PCFILE)

.PHONY: all run test check asan valgrind bench bench-smoke install clean deps unit it \
	fuzz fuzz-build fuzz-replay
all: $(ALL)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(MML_CFLAGS) $(call inc,$<) $(HARDEN_CFLAGS) $(PIE_CFLAGS) -c -o $@ $<

$(B)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(MML_CFLAGS) $(call inc,$<) $(HARDEN_CFLAGS) -fPIC -fvisibility=hidden -DMMLOG_BUILDING_LIB -c -o $@ $<

$(MMLOGD): $(call obj,$(DAEMON_SRC) $(PROTO_SRC))
	$(CC) $(CFLAGS) $(LDFLAGS) $(HARDEN_LDFLAGS) $(PIE_LDFLAGS) -o $@ $^ $(EV_LIBS) $(SYSTEMD_LIBS) -lpthread

$(LIBSO): $(call pic,$(CLIENT_SRC) proto/wire.c) client/lib/libmmlogclient.map
	$(CC) $(CFLAGS) $(LDFLAGS) $(HARDEN_LDFLAGS) -shared -Wl,-soname,libmmlogclient.so.$(SOVERSION) \
	    -Wl,--version-script=client/lib/libmmlogclient.map -o $@ \
	    $(call pic,$(CLIENT_SRC) proto/wire.c) -lpthread

$(B)/libmmlogclient.so: $(LIBSO)
	ln -sf libmmlogclient.so.$(SOVERSION) $@

$(LIBA): $(call pic,$(CLIENT_SRC) proto/wire.c)
	rm -f $@
	ar rcs $@ $^

$(PCFILE): client/lib/mmlogclient.pc.in
	@mkdir -p $(B)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(LIBVERSION)|g' $< > $@

$(MMLOGCTL): $(call obj,$(CTL_SRC) $(PROTO_SRC)) $(LIBA)
	$(CC) $(CFLAGS) $(LDFLAGS) $(HARDEN_LDFLAGS) $(PIE_LDFLAGS) -o $@ $(call obj,$(CTL_SRC) $(PROTO_SRC)) $(LIBA) $(PCRE2_LIBS) -lpthread

$(MMLOGFWD): $(call obj,$(FWD_SRC) $(PROTO_SRC)) $(LIBA)
	$(CC) $(CFLAGS) $(LDFLAGS) $(HARDEN_LDFLAGS) $(PIE_LDFLAGS) -o $@ $(call obj,$(FWD_SRC) $(PROTO_SRC)) $(LIBA) \
	    $(GNUTLS_LIBS) $(CURL_LIBS) $(SYSTEMD_LIBS) -lpthread

$(CHECKBIN): $(call obj,$(TEST_SRC) $(DAEMON_LIB_SRC) $(PROTO_SRC) client/forward/msg.c client/forward/relp.c client/ringread/format.c client/ringread/fields.c client/ringread/match.c client/ringread/read.c client/ringread/tables.c client/ringread/cursor.c $(CLIENT_SRC))
	$(CC) $(CFLAGS) $(LDFLAGS) $(HARDEN_LDFLAGS) $(PIE_LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(EV_LIBS) $(SYSTEMD_LIBS) -lpthread

$(BENCHBIN): $(call obj,$(BENCH_SRC) $(PROTO_SRC)) $(LIBA)
	$(CC) $(CFLAGS) $(LDFLAGS) $(HARDEN_LDFLAGS) $(PIE_LDFLAGS) -o $@ $(call obj,$(BENCH_SRC) $(PROTO_SRC)) $(LIBA) -lpthread -lm

$(B)/it/%: $(B)/tests/it/%.o $(call obj,$(PROTO_SRC)) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $(HARDEN_LDFLAGS) $(PIE_LDFLAGS) -o $@ $< $(call obj,$(PROTO_SRC)) $(LIBA) -lpthread

deps:
	@sh tests/deps.sh

unit: $(CHECKBIN)
	CK_DEFAULT_TIMEOUT=60 $(CHECKBIN)

it: $(ALL) $(IT_HELPERS)
	sh tests/it/run.sh $(B)

test check: deps
	$(MAKE) all $(CHECKBIN) $(IT_HELPERS) $(BENCHBIN)
	sh tests/layout.sh
	$(MAKE) unit
	$(MAKE) it
	$(MAKE) fuzz-replay
	$(MAKE) bench-smoke

# A tiny run of every benchmark, to keep the bench working (no figures).
bench-smoke: $(ALL) $(BENCHBIN)
	$(BENCHBIN) --smoke --build $(B) --json $(B)/bench-smoke.json

# ASan+UBSan: the same suites, in their own build directory.
ASAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
asan: deps
	$(MAKE) B=build/asan CFLAGS="$(ASAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" \
	    all build/asan/check_mmlogd build/asan/mmlog-bench \
	    $(patsubst $(B)/%,build/asan/%,$(IT_HELPERS))
	CK_FORK=no ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    $(MAKE) B=build/asan CFLAGS="$(ASAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" unit
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    $(MAKE) B=build/asan CFLAGS="$(ASAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" it fuzz-replay bench-smoke

valgrind: $(CHECKBIN)
	CK_FORK=no valgrind --error-exitcode=1 --leak-check=full $(CHECKBIN)

run: deps
	$(MAKE) all
	@sh tests/run-dev.sh $(B)

bench: deps
	$(MAKE) all $(BENCHBIN)
	$(BENCHBIN) --build $(B)

clean:
	rm -rf build var

# Fuzzing (tests/fuzz/README.md).  The harnesses and every source they
# exercise are built with clang's libFuzzer, ASan and UBSan into
# $(B)/fuzz/; seeds come from $(B)/fuzz/mkseeds (real frames and rings
# made by the project's own encoders and writer) and tests/fuzz/corpus/
# (inputs kept because they once found a bug).  What a run finds is
# kept in $(B)/fuzz/corpus/NAME/, and a crash as $(B)/fuzz/crash-*.
FUZZ_CC		?= clang
FUZZ_TIME	?= 60
FUZZ_NAMES	:= wire server ring opts syslog kmsg journal stream relp
FB		:= $(B)/fuzz
FUZZ_SAN	:= -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS	:= -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_ENV	:= ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1 \
		   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Per harness: its sources besides tests/fuzz/fuzz_NAME.c and fuzz_util.c.
FUZZ_SRC_wire	:= $(PROTO_SRC)
FUZZ_SRC_server	:= $(DAEMON_LIB_SRC) $(PROTO_SRC)
FUZZ_SRC_ring	:= $(DAEMON_LIB_SRC) $(PROTO_SRC) client/ringread/read.c \
		   client/ringread/tables.c
FUZZ_SRC_journal := daemon/journal.c daemon/entry.c $(PROTO_SRC)
FUZZ_SRC_stream	:= daemon/stream.c daemon/entry.c $(PROTO_SRC)
FUZZ_SRC_opts	:= tests/fuzz/fuzz_opts_mmlogd.c daemon/conf.c daemon/log.c \
		   $(PROTO_SRC) $(CTL_SRC) $(CLIENT_SRC)
FUZZ_SRC_syslog	:= daemon/syslog_parse.c daemon/entry.c $(PROTO_SRC)
FUZZ_SRC_kmsg	:= daemon/kmsg.c daemon/syslog_parse.c daemon/entry.c $(PROTO_SRC)
FUZZ_SRC_relp	:= client/forward/relp.c proto/util.c
FUZZ_LIBS	:= $(EV_LIBS) $(SYSTEMD_LIBS) $(PCRE2_LIBS) -lpthread
# Run options: inputs up to 136 KiB (a whole small ring: data, boot table,
# seek index and metadata table), 10 s each.
FUZZ_RUN_OPTS	:= -timeout=10 -rss_limit_mb=2048 -max_len=139264 \
		   -close_fd_mask=3 -print_final_stats=1
fuzzobj = $(patsubst %.c,$(FB)/obj/%.o,$(1))
replayobj = $(patsubst %.c,$(B)/fuzz-replay/obj/%.o,$(1))

$(FB)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(MML_CFLAGS) $(call inc,$<) $(FUZZ_DEFS) -c -o $@ $<
$(B)/fuzz-replay/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(MML_CFLAGS) $(call inc,$<) $(FUZZ_DEFS) -c -o $@ $<
# The reader's pauses for a writer that a static file never has.
$(FB)/obj/client/ringread/read.o $(B)/fuzz-replay/obj/client/ringread/read.o: \
    FUZZ_DEFS := -Dnanosleep=mml_fuzz_nanosleep
# fuzz_opts links mmlogctl's command table (client/ctl/main.c), and has
# a main() of its own (libFuzzer's, or replay.c's).
$(FB)/obj/client/ctl/main.o $(B)/fuzz-replay/obj/client/ctl/main.o: \
    FUZZ_DEFS := -Dmain=mml_ctl_main

define FUZZ_template
$(FB)/fuzz_$(1): $(call fuzzobj,tests/fuzz/fuzz_$(1).c tests/fuzz/fuzz_util.c $(FUZZ_SRC_$(1)))
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $$@ $$^ $(FUZZ_LIBS)
$(B)/fuzz-replay/fuzz_$(1): $(call replayobj,tests/fuzz/fuzz_$(1).c tests/fuzz/fuzz_util.c tests/fuzz/replay.c $(FUZZ_SRC_$(1)))
	$(CC) $(CFLAGS) $(LDFLAGS) -o $$@ $$^ $(FUZZ_LIBS)
endef
$(foreach n,$(FUZZ_NAMES),$(eval $(call FUZZ_template,$(n))))

$(B)/fuzz-replay/mkseeds: $(call replayobj,tests/fuzz/mkseeds.c $(DAEMON_LIB_SRC) $(PROTO_SRC))
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(FUZZ_LIBS)

fuzz-build: $(patsubst %,$(FB)/fuzz_%,$(FUZZ_NAMES)) $(B)/fuzz-replay/mkseeds

# Each harness in turn for FUZZ_TIME seconds, from the seeds, the kept
# corpus and what earlier runs found.  libFuzzer exits non-zero on a
# crash, a leak, a timeout or a failed check, and so does make.
fuzz: fuzz-build
	rm -rf $(FB)/seeds
	$(B)/fuzz-replay/mkseeds $(FB)/seeds
	@for n in $(FUZZ_NAMES); do \
	    mkdir -p $(FB)/corpus/$$n || exit 1; \
	    echo "fuzz_$$n: $(FUZZ_TIME) s"; \
	    $(FUZZ_ENV) $(FB)/fuzz_$$n $(FUZZ_RUN_OPTS) \
		-max_total_time=$(FUZZ_TIME) -artifact_prefix=$(FB)/ \
		$(FB)/corpus/$$n $(FB)/seeds/$$n $$(ls -d tests/fuzz/corpus/$$n 2>/dev/null) \
		> $(FB)/fuzz_$$n.log 2>&1; rc=$$?; \
	    grep -E '^(stat::|Done|#[0-9]+.*DONE)' $(FB)/fuzz_$$n.log; \
	    if [ $$rc -ne 0 ]; then tail -n 60 $(FB)/fuzz_$$n.log; \
		echo "fuzz_$$n FAILED (exit $$rc); log: $(FB)/fuzz_$$n.log"; exit 1; fi; \
	done; echo "fuzz: $(words $(FUZZ_NAMES)) harnesses ran $(FUZZ_TIME) s each, nothing found"

# Every kept input and fresh seed through every harness, without
# libFuzzer: part of `make test` (and `make asan`).
fuzz-replay: $(patsubst %,$(B)/fuzz-replay/fuzz_%,$(FUZZ_NAMES)) $(B)/fuzz-replay/mkseeds
	rm -rf $(B)/fuzz-replay/seeds
	$(B)/fuzz-replay/mkseeds $(B)/fuzz-replay/seeds
	@for n in $(FUZZ_NAMES); do \
	    $(B)/fuzz-replay/fuzz_$$n $(B)/fuzz-replay/seeds/$$n $$(ls -d tests/fuzz/corpus/$$n 2>/dev/null) \
		2>$(B)/fuzz-replay/$$n.err || { cat $(B)/fuzz-replay/$$n.err; exit 1; }; \
	done

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# make install / uninstall: every file goes under $(DESTDIR)$(PREFIX); the
# daemon itself reads /etc/mmlogd.conf, of which an example (every key,
# commented out) is installed with the documentation.
BINDIR		?= $(PREFIX)/bin
SBINDIR		?= $(PREFIX)/sbin
LIBDIR		?= $(PREFIX)/lib
INCLUDEDIR	?= $(PREFIX)/include
MANDIR		?= $(PREFIX)/share/man
DOCDIR		?= $(PREFIX)/share/doc/mmlogd
SYSTEMDUNITDIR	?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR	?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR	?= $(PREFIX)/lib/tmpfiles.d
BASHCOMPDIR	?= $(PREFIX)/share/bash-completion/completions
MANPAGES	:= daemon/mmlogd.8 client/ctl/mmlogctl.1 client/lib/mmlog.3 \
		   client/forward/mmlog-forward.8

# The intakes' socket units (mmlogd(8), SYSTEMD and THE HOST'S SYSLOG DAEMON).
INTAKE_UNITS	:= systemd/mmlogd-syslog.socket systemd/mmlogd-devlog.socket \
		   systemd/mmlogd-journal.socket systemd/mmlogd-stdout.socket \
		   systemd/mmlogd-kmsg.socket systemd/mmlogd-stream.socket

# What install puts in place, and so exactly what uninstall removes.
INSTALLED	:= $(SBINDIR)/mmlogd $(BINDIR)/mmlogctl $(BINDIR)/mmlog-forward \
		   $(LIBDIR)/libmmlogclient.so.$(SOVERSION) \
		   $(LIBDIR)/libmmlogclient.so $(LIBDIR)/libmmlogclient.a \
		   $(LIBDIR)/pkgconfig/mmlogclient.pc $(INCLUDEDIR)/mmlog.h \
		   $(MANDIR)/man8/mmlogd.8 $(MANDIR)/man1/mmlogctl.1 \
		   $(MANDIR)/man3/mmlog.3 $(MANDIR)/man8/mmlog-forward.8 \
		   $(SYSTEMDUNITDIR)/mmlogd.service \
		   $(SYSTEMDUNITDIR)/mmlog-forward@.service \
		   $(SYSTEMDUNITDIR)/mmlogd.socket \
		   $(patsubst systemd/%,$(SYSTEMDUNITDIR)/%,$(INTAKE_UNITS)) \
		   $(SYSUSERSDIR)/mmlogd.conf $(TMPFILESDIR)/mmlogd.conf \
		   $(BASHCOMPDIR)/mmlogctl $(DOCDIR)/mmlogd.conf.example

.PHONY: install uninstall
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
	    $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR) \
	    $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
	    $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 $(MMLOGD) $(DESTDIR)$(SBINDIR)/mmlogd
	install -m 0755 $(MMLOGCTL) $(DESTDIR)$(BINDIR)/mmlogctl
	install -m 0755 $(MMLOGFWD) $(DESTDIR)$(BINDIR)/mmlog-forward
	install -m 0644 client/lib/mmlog.h $(DESTDIR)$(INCLUDEDIR)/mmlog.h
	install -m 0755 $(LIBSO) $(DESTDIR)$(LIBDIR)/libmmlogclient.so.$(SOVERSION)
	ln -sf libmmlogclient.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libmmlogclient.so
	install -m 0644 $(LIBA) $(DESTDIR)$(LIBDIR)/libmmlogclient.a
	# From the template: $(PCFILE) was made with the PREFIX of the build.
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(LIBVERSION)|g' \
	    client/lib/mmlogclient.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/mmlogclient.pc
	chmod 0644 $(DESTDIR)$(LIBDIR)/pkgconfig/mmlogclient.pc
	for m in $(MANPAGES); do \
	    install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/ || exit 1; done
	# Made here, like the .pc: a file in $(B) could hold another PREFIX.
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' systemd/mmlogd.service.in \
	    > $(DESTDIR)$(SYSTEMDUNITDIR)/mmlogd.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/mmlogd.service
	sed -e 's|@BINDIR@|$(BINDIR)|g' systemd/mmlog-forward@.service.in \
	    > $(DESTDIR)$(SYSTEMDUNITDIR)/mmlog-forward@.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/mmlog-forward@.service
	install -m 0644 systemd/mmlogd.socket $(INTAKE_UNITS) \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/
	install -m 0644 systemd/mmlogd.sysusers $(DESTDIR)$(SYSUSERSDIR)/mmlogd.conf
	install -m 0644 systemd/mmlogd.tmpfiles $(DESTDIR)$(TMPFILESDIR)/mmlogd.conf
	install -m 0644 client/ctl/mmlogctl.bash $(DESTDIR)$(BASHCOMPDIR)/mmlogctl
	install -m 0644 daemon/mmlogd.conf $(DESTDIR)$(DOCDIR)/mmlogd.conf.example

# Removes exactly what install put in place (directories only if empty).
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || true
