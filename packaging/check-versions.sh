#!/bin/sh
# The Debian changelog, the RPM spec and its changelog carry configure's
# PACKAGE_VERSION: a release that bumps one must bump them all.
set -eu
: "${top_srcdir:?}" "${top_builddir:?}"

version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")
deb=$(sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' "$top_srcdir/packaging/debian/changelog")
spec="$top_srcdir/packaging/rpm/omni-connector-paperless.spec"
rpm_version=$(sed -n 's/^Version:[[:space:]]*//p' "$spec")
rpm_changelog=$(sed -n '/^%changelog/{n;p;q;}' "$spec")

rc=0
check() {
  if [ "$2" = "$3" ]; then
    echo "ok: $1 is $3"
  else
    echo "FAIL: $1 is '$2', configure says '$3'"
    rc=1
  fi
}
check "debian/changelog's upstream version" "${deb%-*}" "$version"
check "the spec's Version" "$rpm_version" "$version"
check "the spec's latest %changelog entry" \
  "$(echo "$rpm_changelog" | sed -n 's/.* - \([^-]*\)-[^-]*$/\1/p')" "$version"
exit "$rc"
