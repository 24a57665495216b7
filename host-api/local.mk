# The public ABI header, installed for host and plugin authors.
omniincludedir = $(includedir)/omni
omniinclude_HEADERS = host-api/omni-connector.h
