# Id sets and checkpoint codec.
plugin_libopl_la_SOURCES += plugin/opl-idset.c plugin/opl-checkpoint.c
