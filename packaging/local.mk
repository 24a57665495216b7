# pkg-config file for plugin and host authors.
pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = packaging/omni-connector.pc
EXTRA_DIST += packaging/omni-connector.pc.in
EXTRA_DIST += packaging/build-deps.txt
