#!/bin/bash
# CI for the packages (issue 7), called by .ci/run after the main build; it
# also runs on its own, from anywhere in the repository, as root on Debian
# bookworm.  It builds in a copy of the tree under a temporary directory,
# so nothing is written inside the repository, and it leaves the machine's
# packages as it found them (our packages purged, even on failure):
#   1. `make deb` (tests run with the hardened Debian build flags), lintian;
#   2. installs the three packages with apt-get and, against the installed
#      files only: builds the example plugin with pkg-config and loads it,
#      then runs omni-connector-host manifest, check and a full sync of the
#      installed plugin against the installed fake-paperless;
#   3. `make rpm` (rpmbuild, test suite skipped: step 1 ran it).
# OMNI_PACKAGING_CHECK=0 skips the test suite in step 1 too.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
jobs=2
packages=(omni-connector-paperless omni-connector-dev omni-connector-host)

section() { printf '\n==== packaging: %s ====\n' "$*"; }
die() {
  echo "packaging: FAIL: $*" >&2
  exit 1
}

work=$(mktemp -d /tmp/omni-packaging.XXXXXX)
fake_pid=
installed=
cleanup() {
  local rc=$?
  if [ -n "$fake_pid" ]; then
    kill "$fake_pid" 2>/dev/null || true
    wait "$fake_pid" 2>/dev/null || true
  fi
  if [ -n "$installed" ]; then
    apt-get purge -y -qq "${packages[@]}" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

section "install packaging tools"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2046
apt-get install -y -qq --no-install-recommends $(cat packaging/build-deps.txt) \
  debhelper dpkg-dev lintian rpm xz-utils >/dev/null

section "copy the tree to $work/src"
mkdir "$work/src"
if git rev-parse --git-dir >/dev/null 2>&1; then
  # Tracked files and new ones not ignored, without other builds' trees.
  git ls-files -z --cached --others --exclude-standard -- \
    ':(exclude)_build*' |
    tar --null --ignore-failed-read -T - -cf - | tar -C "$work/src" -xf -
else
  cp -a . "$work/src"
  rm -rf "$work"/src/_build*
fi
cd "$work/src"
autoreconf -fi >/dev/null 2>&1 || { autoreconf -fi; exit 1; }
mkdir "$work/build"
cd "$work/build"
"$work/src/configure" -q

section "make deb"
deb_options="parallel=$jobs"
[ "${OMNI_PACKAGING_CHECK:-1}" = 0 ] && deb_options="$deb_options nocheck"
start=$SECONDS
make deb DEB_BUILD_OPTIONS="$deb_options" >"$work/deb.log" 2>&1 ||
  { cat "$work/deb.log"; die "make deb"; }
grep -E '^# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):' "$work/deb.log" || true
echo "built in $((SECONDS - start)) s:"
ls -1 packaging/*.deb
debs=()
for p in "${packages[@]}"; do
  debs+=("$(ls "$work"/build/packaging/"${p}"_*.deb)")
done

section "lintian"
lintian --version
# Info tags are shown, errors and warnings fail; overrides are in
# packaging/debian/*.lintian-overrides, each with its reason (not with
# --show-overrides: lintian then counts overridden tags as failures).
lintian -I --fail-on error,warning packaging/*.changes || die "lintian"
echo "lintian: no errors or warnings"

section "install the packages"
installed=1
apt-get install -y -qq "${debs[@]}" >/dev/null
dpkg -l "${packages[@]}" | tail -n 3
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
plugindir=$(pkg-config --variable=plugindir omni-connector)
plugin="$plugindir/paperless_ngx.so"
echo "pkg-config --cflags omni-connector: $(pkg-config --cflags omni-connector)"
echo "pkg-config --variable=plugindir omni-connector: $plugindir"
[ "$plugindir" = "/usr/lib/$multiarch/omni/connectors" ] || die "plugindir"
[ -f /usr/include/omni/omni-connector.h ] || die "no header"
[ -f "/usr/lib/$multiarch/pkgconfig/omni-connector.pc" ] || die "no .pc"
[ -f "$plugin" ] || die "no plugin at $plugin"
for m in omni-connector-host fake-paperless; do
  [ -f "/usr/share/man/man1/$m.1.gz" ] || die "no man page for $m"
done
! dpkg -L "${packages[@]}" | grep '\.la$' || die ".la files installed"

section "example plugin, built with pkg-config only"
cp -R "$top/packaging/example-plugin" "$work/example"
make -C "$work/example" CFLAGS='-O2 -g -Werror'
make -C "$work/example" install DESTDIR="$work/stage"
[ -f "$work/stage$plugindir/hello.so" ] || die "example plugin install"
omni-connector-host manifest --plugin "$work/example/hello.so" >"$work/out"
cat "$work/out"
grep -q '"name": *"hello"' "$work/out" || die "example manifest"

section "installed host + installed plugin + installed fake-paperless"
corpus="$top/tests/data/sample-corpus.json"
fake-paperless --corpus "$corpus" --port-file "$work/port" \
  >"$work/fake.log" 2>&1 &
fake_pid=$!
for _ in $(seq 1 100); do
  [ -s "$work/port" ] && break
  sleep 0.1
done
[ -s "$work/port" ] || { cat "$work/fake.log"; die "fake-paperless did not start"; }
port=$(cat "$work/port")
token=$(sed -n '/"server": *{/,/}/s/.*"token": *"\([^"]*\)".*/\1/p' "$corpus")
[ -n "$token" ] || die "no server.token in $corpus"
(
  umask 077
  printf '{"source_id": "ci", "source_config": {"base_url": "http://127.0.0.1:%s"}, "credentials": {"api_key": "%s"}}\n' \
    "$port" "$token" >"$work/config.json"
)
och() {
  echo "\$ omni-connector-host $*"
  omni-connector-host "$@" || die "omni-connector-host $1 exited $?"
}
och manifest --plugin "$plugin" >"$work/out"
grep -q '"name"' "$work/out" || die "manifest has no name"
head -n 5 "$work/out"
och check --plugin "$plugin" --config "$work/config.json"
och sync --plugin "$plugin" --config "$work/config.json" \
  --state "$work/state.json" --events "$work/events.jsonl" --mode full
created=$(grep -c '"type":"document_created"' "$work/events.jsonl" || true)
lines=$(wc -l <"$work/events.jsonl")
echo "events: $lines lines, $created document_created"
[ "$created" -gt 0 ] || die "the full sync wrote no document_created event"
och sync --plugin "$plugin" --config "$work/config.json" \
  --state "$work/state.json" --events "$work/events.jsonl" --mode incremental
och status --state "$work/state.json"
kill "$fake_pid"
wait "$fake_pid" 2>/dev/null || true
fake_pid=

section "purge the packages"
apt-get purge -y -qq "${packages[@]}" >/dev/null
installed=
! dpkg -l "${packages[@]}" 2>/dev/null | grep -q '^ii' || die "still installed"

section "make rpm"
start=$SECONDS
make rpm RPMBUILD_FLAGS='--without check' >"$work/rpm.log" 2>&1 ||
  { cat "$work/rpm.log"; die "make rpm"; }
echo "built in $((SECONDS - start)) s:"
libdir=$(rpm --eval '%{_libdir}')
for r in packaging/*.rpm; do
  echo "-- $r"
  rpm -qp --requires "$r" 2>/dev/null | grep -v '^rpmlib(' | sed 's/^/   requires: /'
  rpm -qlp "$r" 2>/dev/null | sed 's/^/   /'
done
rpm -qlp packaging/omni-connector-paperless-[0-9]*.rpm 2>/dev/null |
  grep -qx "$libdir/omni/connectors/paperless_ngx.so" || die "rpm: plugin path"
! rpm -qlp packaging/*.rpm 2>/dev/null | grep '\.la$' || die "rpm: .la files"

echo
echo "packaging: all passed"
