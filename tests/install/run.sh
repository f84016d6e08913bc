#!/usr/bin/env bash
# Install test: installs a built tree into a temporary prefix and uses it the
# way a program outside the tree would:
#   1. the installed files (header, libptsim.so with its SONAME, libptsim.a,
#      ptsim.pc, the CMake package, ptsim-replay, run on a shipped trace);
#   2. the header alone, as C11 (-pedantic) and as C++;
#   3. examples/ptsim_hello.c compiled with `pkg-config --cflags --libs ptsim`,
#      and with examples/Makefile, run against the installed libptsim.so;
#   4. the same linked against libptsim.a: with `pkg-config --static ptsim-static`,
#      and fully static (-static) with ptsim-static.pc and with ptsim.pc's
#      Libs.private;
#   5. Python's ctypes loading the installed libptsim.so.0;
#   6. a CMake project using find_package(ptsim): ptsim::ptsim and
#      ptsim::ptsim_static.
#
# Usage: tests/install/run.sh [BUILD_DIR]   (default: build, built already)
# Set PTSIM_INSTALL_TEST_KEEP=1 to keep the temporary directory.
set -euo pipefail
# Under pipefail, `cmd | grep -q` can fail when grep exits at its first
# match and cmd dies of SIGPIPE: grep >/dev/null reads everything instead.

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ptsim-install.XXXXXX")
if [ "${PTSIM_INSTALL_TEST_KEEP:-0}" = 1 ]; then
	echo "keeping $tmp"
else
	trap 'rm -rf "$tmp"' EXIT
fi
prefix=$tmp/prefix
CC=${CC:-cc}
CXX=${CXX:-c++}
cflags=(-std=gnu11 -O2 -Wall -Wextra -Werror)

step() { printf '\n--- install test: %s\n' "$*"; }
fail() {
	echo "install test FAILED: $*" >&2
	exit 1
}
# check_hello LOG: ptsim_hello ran both strategies to the end.
check_hello() {
	for s in none rcu; do
		grep "^strategy $s\$" "$1" >/dev/null || fail "ptsim_hello did not run strategy $s"
	done
	[ "$(grep -c 'ptsim_mm_check: consistent' "$1")" = 2 ] || fail "ptsim_hello: mm check output missing"
}
# run_hello NAME EXE [ENV...]: runs the program and checks its output, shown
# the first time (and on failure).
shown=0
run_hello() {
	local name=$1 exe=$2 rc=0
	shift 2
	env "$@" "$exe" >"$tmp/$name.log" 2>&1 || rc=$?
	if [ $shown = 0 ] || [ $rc != 0 ]; then
		cat "$tmp/$name.log"
		shown=1
	fi
	[ $rc = 0 ] || fail "$name exited with status $rc"
	check_hello "$tmp/$name.log"
	echo "$name: ran none and rcu, ok"
}
# links_shared EXE [ENV...]: whether EXE loads the installed libptsim.so.0.
links_shared() {
	local exe=$1
	shift
	env "$@" ldd "$exe" | grep "$libdir/libptsim.so.0" >/dev/null
}

step "cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" || {
	cat "$tmp/install.log"
	fail "cmake --install"
}
sed "s|$prefix|<prefix>|" "$tmp/install.log"

# GNUInstallDirs picks lib or lib/<multiarch> depending on the configured prefix.
pc=$(find "$prefix" -path '*/pkgconfig/ptsim.pc' | head -n 1)
[ -n "$pc" ] || fail "ptsim.pc not installed"
libdir=$(dirname "$(dirname "$pc")")
echo "libdir: ${libdir#"$prefix"/}"

step "installed files"
for h in ptsim.h version.h; do
	[ -f "$prefix/include/ptsim/$h" ] || fail "include/ptsim/$h not installed"
done
for f in libptsim.so libptsim.so.0 libptsim.a pkgconfig/ptsim.pc pkgconfig/ptsim-static.pc \
	cmake/ptsim/ptsimConfig.cmake \
	cmake/ptsim/ptsimConfigVersion.cmake cmake/ptsim/ptsimTargets.cmake; do
	[ -e "$libdir/$f" ] || fail "${libdir#"$prefix"/}/$f not installed"
done
soname=$(readelf -d "$libdir/libptsim.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = libptsim.so.0 ] || fail "SONAME is '$soname', expected libptsim.so.0"
echo "SONAME: $soname"
if [ -e "$build/tools/ptsim-replay" ]; then
	[ -x "$prefix/bin/ptsim-replay" ] || fail "bin/ptsim-replay not installed"
	if ldd "$prefix/bin/ptsim-replay" | grep 'not found' >/dev/null; then
		ldd "$prefix/bin/ptsim-replay"
		fail "installed ptsim-replay does not find its libraries"
	fi
	echo "bin/ptsim-replay: installed, libraries resolve"
	trace=$src/tests/traces/full_dontneed
	if [ -f "$trace.trace" ]; then
		"$prefix/bin/ptsim-replay" --strategy rcu <"$trace.trace" >"$tmp/replay.out" ||
			fail "installed ptsim-replay --strategy rcu failed"
		sed 's/ rss_kb=[0-9]*//' "$tmp/replay.out" | diff -u "$trace.expected" - ||
			fail "installed ptsim-replay: rcu differs from the kernel on full_dontneed"
		echo "bin/ptsim-replay --strategy rcu < full_dontneed.trace: matches the kernel's figures"
	fi
else
	echo "NOTE: this build has no tools/ptsim-replay; not checked"
fi
if [ -e "$build/tools/record/libptsim-record.so" ]; then
	[ -x "$prefix/bin/ptsim-record" ] || fail "bin/ptsim-record not installed"
	[ -e "$libdir/libptsim-record.so" ] || fail "${libdir#"$prefix"/}/libptsim-record.so not installed"
	"$prefix/bin/ptsim-record" -o "$tmp/true.trace" -- true ||
		fail "installed ptsim-record -- true failed"
	grep -q ' checkpoint start0 ' "$tmp/true.trace" ||
		fail "installed ptsim-record wrote no checkpoint (is /proc/self/status there?)"
	"$prefix/bin/ptsim-replay" --strategy rcu "$tmp/true.trace" >/dev/null ||
		fail "installed ptsim-replay cannot replay what the installed ptsim-record wrote"
	echo "bin/ptsim-record -- true: a trace that the installed ptsim-replay replays"
fi

step "the public header on its own (C11 -pedantic, C++)"
printf '#include <ptsim/ptsim.h>\n#include <ptsim/strategy.h>\nint main(void) { return ptsim_strategy_name(PTSIM_STRATEGY_NONE) == 0; }\n' \
	>"$tmp/header.c"
"$CC" -std=c11 -pedantic -Wall -Wextra -Werror -I"$prefix/include" -c "$tmp/header.c" -o "$tmp/header.o"
if command -v "$CXX" >/dev/null; then
	"$CXX" -x c++ -Wall -Wextra -Werror -I"$prefix/include" -c "$tmp/header.c" -o "$tmp/header_cxx.o"
fi
echo "ok"

export PKG_CONFIG_PATH="$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
step "pkg-config: $(pkg-config --modversion ptsim); cflags: $(pkg-config --cflags ptsim | sed "s|$prefix|<prefix>|g"); libs: $(pkg-config --libs ptsim | sed "s|$prefix|<prefix>|g")"
# shellcheck disable=SC2046 # word splitting of pkg-config output is intended
"$CC" "${cflags[@]}" -o "$tmp/hello" "$src/examples/ptsim_hello.c" $(pkg-config --cflags --libs ptsim)
links_shared "$tmp/hello" LD_LIBRARY_PATH="$libdir" || fail "hello does not load the installed libptsim.so.0"
run_hello hello "$tmp/hello" LD_LIBRARY_PATH="$libdir"

step "examples/Makefile, out of tree"
mkdir "$tmp/make"
cp "$src/examples/Makefile" "$src/examples/ptsim_hello.c" "$src/examples/three_actors.c" "$tmp/make/"
make -s -C "$tmp/make" CC="$CC"
run_hello make "$tmp/make/ptsim_hello" LD_LIBRARY_PATH="$libdir"

# not_shared EXE: EXE does not load libptsim.so.
not_shared() {
	if ldd "$1" 2>&1 | grep libptsim >/dev/null; then
		fail "$1 loads libptsim.so"
	fi
}
step "pkg-config --static ptsim-static: $(pkg-config --static --libs ptsim-static | sed "s|$prefix|<prefix>|g")"
# shellcheck disable=SC2046 # word splitting of pkg-config output is intended
"$CC" "${cflags[@]}" -o "$tmp/hello_static" "$src/examples/ptsim_hello.c" \
	$(pkg-config --cflags --static --libs ptsim-static)
not_shared "$tmp/hello_static"
run_hello hello_static "$tmp/hello_static"

step "fully static (-static) with ptsim-static.pc"
# shellcheck disable=SC2046
"$CC" "${cflags[@]}" -static -o "$tmp/hello_full_static" "$src/examples/ptsim_hello.c" \
	$(pkg-config --cflags --static --libs ptsim-static)
file "$tmp/hello_full_static" 2>/dev/null | grep 'statically linked' >/dev/null ||
	readelf -d "$tmp/hello_full_static" 2>&1 | grep 'no dynamic section' >/dev/null ||
	fail "hello_full_static is not statically linked"
run_hello hello_full_static "$tmp/hello_full_static"

step "fully static (-static) with ptsim.pc: $(pkg-config --static --libs ptsim | sed "s|$prefix|<prefix>|g")"
# -static makes the linker take libptsim.a for -lptsim; Libs.private has the rest.
# shellcheck disable=SC2046
"$CC" "${cflags[@]}" -static -o "$tmp/hello_static_pc" "$src/examples/ptsim_hello.c" \
	$(pkg-config --cflags --static --libs ptsim)
run_hello hello_static_pc "$tmp/hello_static_pc"

step "Python ctypes loads the installed libptsim.so.0 (dlopen)"
if command -v python3 >/dev/null; then
	python3 "$src/tests/link/test_ctypes.py" "$libdir/libptsim.so.0" "$(pkg-config --modversion ptsim)" ||
		fail "ctypes could not use the installed libptsim.so.0"
else
	echo "NOTE: no python3; not checked"
fi

for kind in shared static; do
	step "CMake find_package(ptsim), $kind library"
	on=OFF
	[ $kind = static ] && on=ON
	cmake -S "$src/examples" -B "$tmp/cmake-$kind" -DCMAKE_PREFIX_PATH="$prefix" \
		-DPTSIM_EXAMPLES_STATIC=$on -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$tmp/cmake-$kind.log" || {
		cat "$tmp/cmake-$kind.log"
		fail "configuring the find_package project"
	}
	found=$(sed -n 's/^ptsim_DIR:PATH=//p' "$tmp/cmake-$kind/CMakeCache.txt")
	case "$found" in
	"$prefix"/*) echo "ptsim_DIR=<prefix>/${found#"$prefix"/}" ;;
	*) fail "find_package(ptsim) found '$found', not the test prefix" ;;
	esac
	cmake --build "$tmp/cmake-$kind" >"$tmp/cmake-$kind-build.log" || {
		cat "$tmp/cmake-$kind-build.log"
		fail "building the find_package project"
	}
	# No LD_LIBRARY_PATH: CMake's build RPATH points at the imported library.
	if [ $kind = shared ]; then
		links_shared "$tmp/cmake-$kind/ptsim_hello" || fail "not linked to the installed libptsim.so.0"
	else
		not_shared "$tmp/cmake-$kind/ptsim_hello"
	fi
	run_hello "cmake-$kind" "$tmp/cmake-$kind/ptsim_hello"
done

step "strategy plugin built against the installed headers only (make, CMake), then loaded"
mkdir "$tmp/plugin"
cp "$src"/examples/strategy_plugin/{Makefile,plugin.c,plugin.h,rcu_ext.c,atomic_ext.c,rwsem_ext.c} "$tmp/plugin/"
make -s -C "$tmp/plugin" CC="$CC"
# shellcheck disable=SC2046
"$CC" "${cflags[@]}" -o "$tmp/plugin_load" "$src/tests/install/plugin_load.c" \
	$(pkg-config --cflags --libs ptsim) -ldl
LD_LIBRARY_PATH="$libdir" "$tmp/plugin_load" "$tmp/plugin/ptsim_strategy_plugin.so" ||
	fail "the make-built plugin did not run"
cmake -S "$src/examples/strategy_plugin" -B "$tmp/cmake-plugin" -DCMAKE_PREFIX_PATH="$prefix" \
	>"$tmp/cmake-plugin.log" && cmake --build "$tmp/cmake-plugin" >>"$tmp/cmake-plugin.log" || {
	cat "$tmp/cmake-plugin.log"
	fail "building the plugin with find_package(ptsim)"
}
LD_LIBRARY_PATH="$libdir" "$tmp/plugin_load" "$tmp/cmake-plugin/ptsim_strategy_plugin.so" ||
	fail "the CMake-built plugin did not run"

printf '\ninstall test: all passed\n'
