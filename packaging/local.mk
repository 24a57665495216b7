# pkg-config file for plugin and host authors.  Written by make, not by
# configure, so that directories given at make time (`make install
# prefix=/x`, or libdir=, includedir=, plugindir=) are the ones it names:
# the rule runs on every make (like a FORCE target) and replaces the file
# only when its text changes.  The values are written expanded.
pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = packaging/omni-connector.pc
EXTRA_DIST += packaging/omni-connector.pc.in
CLEANFILES += packaging/omni-connector.pc packaging/omni-connector.pc.tmp
edit_pc = sed \
	-e 's|@prefix[@]|$(prefix)|g' \
	-e 's|@exec_prefix[@]|$(exec_prefix)|g' \
	-e 's|@libdir[@]|$(libdir)|g' \
	-e 's|@includedir[@]|$(includedir)|g' \
	-e 's|@plugindir[@]|$(plugindir)|g' \
	-e 's|@PACKAGE_VERSION[@]|$(PACKAGE_VERSION)|g'
packaging/omni-connector.pc: $(srcdir)/packaging/omni-connector.pc.in pc-always
	@$(MKDIR_P) packaging
	@rm -f $@.tmp
	@$(edit_pc) $(srcdir)/packaging/omni-connector.pc.in >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else \
	  echo "  GEN      $@"; mv -f $@.tmp $@; fi
pc-always:
.PHONY: pc-always
EXTRA_DIST += packaging/build-deps.txt

# ---- Debian and RPM packages ---------------------------------------------
# Both are built from the `make dist` tarball, unpacked under packaging/ in
# the build directory, and leave their packages in packaging/:
#   make deb   dpkg-buildpackage $(DPKG_BUILDPACKAGE_FLAGS), with
#              packaging/debian copied to the unpacked tree's debian/
#   make rpm   rpmbuild -bb $(RPMBUILD_FLAGS) packaging/rpm/*.spec; on a
#              system whose rpm database does not know rpm itself (Debian)
#              build dependencies cannot be checked, so --nodeps is added.
# The version in debian/changelog and in the spec must be PACKAGE_VERSION
# (tested by packaging/check-versions.sh).
PACKAGING_DEBIAN = \
	packaging/debian/changelog \
	packaging/debian/control \
	packaging/debian/copyright \
	packaging/debian/rules \
	packaging/debian/source/format \
	packaging/debian/omni-connector-dev.install \
	packaging/debian/omni-connector-dev.lintian-overrides \
	packaging/debian/omni-connector-host.install \
	packaging/debian/omni-connector-host.lintian-overrides \
	packaging/debian/omni-connector-paperless.install \
	packaging/debian/omni-connector-paperless.lintian-overrides
PACKAGING_RPM_SPEC = packaging/rpm/omni-connector-paperless.spec
EXTRA_DIST += $(PACKAGING_DEBIAN) $(PACKAGING_RPM_SPEC) packaging/README.md \
	packaging/example-plugin/Makefile packaging/example-plugin/hello.c

DPKG_BUILDPACKAGE_FLAGS = -us -uc -b
RPMBUILD_FLAGS =

deb:
	$(MAKE) $(AM_MAKEFLAGS) dist
	rm -rf packaging/deb-build && $(MKDIR_P) packaging/deb-build
	xz -dc $(distdir).tar.xz | (cd packaging/deb-build && tar -xf -)
	cp $(distdir).tar.xz packaging/deb-build/$(PACKAGE)_$(VERSION).orig.tar.xz
	cp -R packaging/deb-build/$(distdir)/packaging/debian \
	  packaging/deb-build/$(distdir)/debian
	cd packaging/deb-build/$(distdir) && \
	  dpkg-buildpackage $(DPKG_BUILDPACKAGE_FLAGS)
	rm -rf packaging/deb-build/$(distdir)
	mv -f packaging/deb-build/*.deb packaging/deb-build/*.changes \
	  packaging/deb-build/*.buildinfo packaging/
	rm -rf packaging/deb-build
	@ls -1 packaging/*.deb

rpm:
	$(MAKE) $(AM_MAKEFLAGS) dist
	rm -rf packaging/rpm-build
	$(MKDIR_P) packaging/rpm-build/SOURCES
	cp $(distdir).tar.xz packaging/rpm-build/SOURCES/
	nodeps=; rpm -q rpm >/dev/null 2>&1 || nodeps=--nodeps; \
	rpmbuild -bb --define '_topdir $(abs_builddir)/packaging/rpm-build' \
	  $$nodeps $(RPMBUILD_FLAGS) $(srcdir)/$(PACKAGING_RPM_SPEC)
	mv -f packaging/rpm-build/RPMS/*/*.rpm packaging/
	rm -rf packaging/rpm-build
	@ls -1 packaging/*.rpm

.PHONY: deb rpm

clean-local: clean-local-packaging
clean-local-packaging:
	rm -rf packaging/deb-build packaging/rpm-build
	rm -f packaging/*.deb packaging/*.ddeb packaging/*.rpm \
	  packaging/*.changes packaging/*.buildinfo
.PHONY: clean-local-packaging

# ---- tests -----------------------------------------------------------------
# The package versions follow configure's; the example plugin still builds
# with nothing but pkg-config (against the source tree's header) and loads.
PACKAGING_TESTS = \
	packaging/check-versions.sh \
	packaging/example-plugin.sh
TESTS += $(PACKAGING_TESTS)
EXTRA_DIST += $(PACKAGING_TESTS)
