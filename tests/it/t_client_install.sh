#!/bin/bash
# make install DESTDIR=... PREFIX=/usr puts the header, both libraries,
# mmlogclient.pc and mmlog(3) in place; the shared library's soname is
# libmmlogclient.so.0 and it exports only mmlog_* symbols.  The README's
# example program ("Logging from C") builds against the installed copy
# with pkg-config --cflags --libs mmlogclient, runs against a test
# daemon and its entries are in the ring.
. "$(dirname "$0")/lib.sh"

REPO=$(cd "$(dirname "$0")/../.." && pwd)
ROOT=$T/root
command -v pkg-config >/dev/null || fail "pkg-config is not installed"
make -C "$REPO" -s B="$IT_BUILD" install DESTDIR="$ROOT" PREFIX=/usr \
    >"$T/install.log" 2>&1 || fail "make install: $(tail -n 5 "$T/install.log")"
for f in include/mmlog.h lib/libmmlogclient.so.0 lib/libmmlogclient.so \
    lib/libmmlogclient.a lib/pkgconfig/mmlogclient.pc share/man/man3/mmlog.3; do
	[ -e "$ROOT/usr/$f" ] || fail "make install did not install /usr/$f"
done
grep -qx 'prefix=/usr' "$ROOT/usr/lib/pkgconfig/mmlogclient.pc" ||
    fail "mmlogclient.pc: $(head -n 1 "$ROOT/usr/lib/pkgconfig/mmlogclient.pc")"
soname=$(readelf -d "$ROOT/usr/lib/libmmlogclient.so.0" |
    sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
assert_eq soname libmmlogclient.so.0 "$soname"
nm -D --defined-only "$ROOT/usr/lib/libmmlogclient.so.0" |
    awk '$3 != "MMLOG_0" && $3 !~ /^mmlog_/' >"$T/foreign"
[ -s "$T/foreign" ] && fail "exported besides mmlog_*: $(cat "$T/foreign")"
n=$(nm -D --defined-only "$ROOT/usr/lib/libmmlogclient.so.0" | grep -c ' mmlog_')
note "soname $soname, $n mmlog_* symbols and nothing else exported"

# The README's first C block under "Logging from C".
awk '/^## Logging from C/ { s = 1; next }
	s && /^```c/ { c = 1; next }
	c && /^```/ { exit }
	c { print }' "$REPO/README.md" >"$T/app.c"
[ -s "$T/app.c" ] || fail "no C example in the README"
export PKG_CONFIG_SYSROOT_DIR=$ROOT
export PKG_CONFIG_PATH=$ROOT/usr/lib/pkgconfig
export PKG_CONFIG_LIBDIR=$ROOT/usr/lib/pkgconfig	# nothing from the system
flags=$(pkg-config --cflags --libs mmlogclient) || fail "pkg-config mmlogclient"
note "pkg-config: $flags"
case $flags in *"$ROOT"*) ;; *) fail "pkg-config does not point into DESTDIR" ;; esac
san=
nm "$ROOT/usr/lib/libmmlogclient.a" 2>/dev/null | grep -q __asan &&
    san=-fsanitize=address,undefined
# shellcheck disable=SC2086
cc $san -o "$T/app" "$T/app.c" $flags 2>"$T/cc.err" ||
    fail "the README example does not build: $(head -n 5 "$T/cc.err")"
LD_LIBRARY_PATH=$ROOT/usr/lib ldd "$T/app" | grep -q "$ROOT/usr/lib/libmmlogclient.so.0" ||
    fail "the example is not linked to the installed library"

start_daemon --size 8M
LD_LIBRARY_PATH=$ROOT/usr/lib timeout -k 2 "$(tmo 20)" "$T/app" 2>"$T/app.err" ||
    fail "the example failed: $(cat "$T/app.err")"
entries | cut -f 2- >"$T/shown" || exit 1
pid=$(cut -f 3 "$T/shown" | head -n 1)
printf '%s\n' "6	myapp	$pid	started with 4 workers" \
    "5	myapp	$pid	order 17 saved" >"$T/want"
diff "$T/want" "$T/shown" >"$T/diff" || fail "entries differ: $(cat "$T/diff")"
stop_daemon
