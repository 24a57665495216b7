#!/bin/sh
# `make install` into a DESTDIR, with directories given at make time and
# with configure's: omni-connector.pc must name the directories the files
# were installed to (prefix, libdir, includedir, plugindir), and the
# installed host must load the installed plugin.  Runs a nested make in the
# build tree (it rewrites packaging/omni-connector.pc there, then puts the
# configured one back).
set -eu
: "${top_builddir:?run me from make check}" "${top_srcdir:?}"
T=$(mktemp -d "${TMPDIR:-/tmp}/install-test.XXXXXX")
trap 'rm -rf "$T"' EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Not the parent make's flags or command-line variables (TESTS=, ...).
mk() {
  MAKEFLAGS='' MFLAGS='' MAKELEVEL='' ${MAKE:-make} -s \
    -C "$top_builddir" "$@" >"$T/make.log" 2>&1 ||
    { cat "$T/make.log" >&2; fail "make $*"; }
}

# pcvar FILE NAME: the value of variable NAME in the .pc FILE, with
# ${var} references expanded from the variables above it.
pcvar() {
  awk -v want="$2" -F= '
    /^[A-Za-z_][A-Za-z0-9_]*=/ {
      name = $1; val = substr($0, length(name) + 2)
      while (match(val, /\$\{[A-Za-z_][A-Za-z0-9_]*\}/)) {
        ref = substr(val, RSTART + 2, RLENGTH - 3)
        val = substr(val, 1, RSTART - 1) v[ref] substr(val, RSTART + RLENGTH)
      }
      v[name] = val
    }
    END { if (want in v) print v[want]; else exit 1 }' "$1"
}

# check DESTDIR PREFIX LIBDIR INCLUDEDIR PLUGINDIR: the installed files are
# where they should be and the .pc says so.
check() {
  d=$1 prefix=$2 libdir=$3 includedir=$4 plugindir=$5
  pc="$d$libdir/pkgconfig/omni-connector.pc"
  [ -f "$pc" ] || {
    (cd "$d" && find . -name '*.pc') >&2
    fail "no omni-connector.pc in $d$libdir/pkgconfig"
  }
  for v in prefix libdir includedir plugindir; do
    eval want=\$$v
    got=$(pcvar "$pc" $v) || fail "$pc has no $v"
    [ "$got" = "$want" ] || { cat "$pc" >&2; fail "$pc: $v=$got, expected $want"; }
  done
  grep -qx 'Cflags: -I${includedir}/omni' "$pc" || fail "$pc: Cflags"
  version=$(sed -n 's/^Version: //p' "$pc")
  want=$(sed -n 's/^PACKAGE_VERSION = //p' "$top_builddir/Makefile")
  [ -n "$version" ] && [ "$version" = "$want" ] ||
    fail "$pc: Version $version, expected $want"
  [ -f "$d$includedir/omni/omni-connector.h" ] ||
    fail "no header in $d$includedir/omni"
  [ -f "$d$plugindir/paperless_ngx.so" ] || fail "no plugin in $d$plugindir"
  if command -v pkg-config >/dev/null 2>&1; then
    got=$(PKG_CONFIG_PATH="$d$libdir/pkgconfig" PKG_CONFIG_LIBDIR= \
      pkg-config --variable=plugindir omni-connector)
    [ "$got" = "$plugindir" ] || fail "pkg-config plugindir: $got"
    got=$(PKG_CONFIG_PATH="$d$libdir/pkgconfig" PKG_CONFIG_LIBDIR= \
      pkg-config --cflags omni-connector)
    got=${got% } # pkg-config ends it with a space
    [ "$got" = "-I$includedir/omni" ] || fail "pkg-config --cflags: $got"
  fi
  # The installed host loads the installed plugin.
  "$d$prefix/bin/omni-connector-host" manifest \
    --plugin "$d$plugindir/paperless_ngx.so" >"$T/manifest" ||
    fail "installed host could not load the installed plugin"
  grep -q '"paperless_ngx"' "$T/manifest" || fail "manifest of $d"
}

# dirs [VAR=VALUE]...: "prefix|libdir|includedir|plugindir" as make sees
# them with these overrides (configure may have given libdir relative to
# the prefix, as Debian's multiarch ${prefix}/lib/<triplet> is).
dirs() {
  MAKEFLAGS='' MFLAGS='' MAKELEVEL='' ${MAKE:-make} -s \
    -C "$top_builddir" -f Makefile -f - print-dirs "$@" <<'EOF'
print-dirs:
	@echo "$(prefix)|$(libdir)|$(includedir)|$(plugindir)"
EOF
}

# check_dirs DESTDIR VARS: check with the directories dirs printed.
check_dirs() {
  IFS='|' read -r p l i d <<EOF
$2
EOF
  [ -n "$p" ] && [ -n "$d" ] || fail "could not read the directories: $2"
  check "$1" "$p" "$l" "$i" "$d"
}

# 1. prefix given at make time only: every directory configure derived
# from it moves with it (one configure gave as an absolute path, such as
# Debian's plugindir, stays).
p=/opt/omni-make-prefix
mk install DESTDIR="$T/d1" prefix="$p"
vars=$(dirs prefix="$p")
case $vars in "$p|"*) ;; *) fail "prefix is not $p: $vars" ;; esac
check_dirs "$T/d1" "$vars"

# 2. every directory given at make time.
p=/opt/omni-make-dirs
mk install DESTDIR="$T/d2" prefix="$p" libdir="$p/lib64" \
  includedir="$p/inc" plugindir="$p/plugins"
check "$T/d2" "$p" "$p/lib64" "$p/inc" "$p/plugins"

# 3. nothing at make time: configure's directories.
mk install DESTDIR="$T/d3"
vars=$(dirs)
check_dirs "$T/d3" "$vars"
l=$(echo "$vars" | cut -d'|' -f2)

# Leave the build tree's .pc as configure's (the rule also rewrote it).
cmp -s "$T/d3$l/pkgconfig/omni-connector.pc" \
  "$top_builddir/packaging/omni-connector.pc" ||
  fail "build tree's omni-connector.pc differs from configure's"
echo "ok: make install honours make-time and configure-time directories"
