/* och-main.c: the command line of omni-connector-host.
 *
 *   omni-connector-host manifest --plugin PATH
 *   omni-connector-host check    --plugin PATH --config FILE
 *   omni-connector-host sync     --plugin PATH --config FILE --state FILE
 *                                --events FILE [--mode full|incremental]
 *   omni-connector-host status   --state FILE
 *
 * Other tools script against this: options and exit statuses only grow.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "och.h"

enum {
  OPT_PLUGIN = 1 << 0,
  OPT_CONFIG = 1 << 1,
  OPT_STATE = 1 << 2,
  OPT_EVENTS = 1 << 3,
  OPT_MODE = 1 << 4,
  OPT_CHECKPOINT = 1 << 5, /* --checkpoint-every / --checkpoint-seconds */
};

static const struct command {
  const char *name;
  int (*run) (const och_options *);
  unsigned required, allowed;
} commands[] = {
    {"manifest", och_cmd_manifest, OPT_PLUGIN, OPT_PLUGIN},
    {"check", och_cmd_check, OPT_PLUGIN | OPT_CONFIG, OPT_PLUGIN | OPT_CONFIG},
    {"sync", och_cmd_sync, OPT_PLUGIN | OPT_CONFIG | OPT_STATE | OPT_EVENTS,
     OPT_PLUGIN | OPT_CONFIG | OPT_STATE | OPT_EVENTS | OPT_MODE
         | OPT_CHECKPOINT},
    {"status", och_cmd_status, OPT_STATE, OPT_STATE},
};

static const char *const opt_names[]
    = {"--plugin", "--config", "--state",
       "--events", "--mode",   "--checkpoint-every/-seconds"};

static void
usage (FILE *f)
{
  fputs ("Usage:\n"
         "  " OCH_PROGRAM " manifest --plugin PATH\n"
         "  " OCH_PROGRAM " check    --plugin PATH --config FILE\n"
         "  " OCH_PROGRAM " sync     --plugin PATH --config FILE --state FILE"
         " --events FILE\n"
         "                               [--mode full|incremental]"
         " [--checkpoint-every N]\n"
         "                               [--checkpoint-seconds S]\n"
         "  " OCH_PROGRAM " status   --state FILE\n"
         "Options: -q/--quiet, -v/--verbose, -h/--help, -V/--version.\n"
         "Exit: 0 ok, 1 sync failed, 2 usage/configuration/plugin refused,\n"
         "      3 authentication refused, 130 stopped by a signal.\n"
         "See omni-connector-host(1).\n",
         f);
}

int
och_cmd_manifest (const och_options *o)
{
  och_plugin p;
  json_object *m;
  char err[OCH_ERRLEN];
  int rc = OCH_EXIT_USAGE;

  if (och_plugin_load (&p, o->plugin_path, err, sizeof err) == -1) {
    och_error ("%s", err);
    return OCH_EXIT_USAGE;
  }
  m = och_json_parse (p.desc.manifest_json, strlen (p.desc.manifest_json), err,
                      sizeof err);
  if (m == NULL || !json_object_is_type (m, json_type_object)) {
    och_error ("plugin %s refused: its manifest is not a JSON object%s%s",
               o->plugin_path, m == NULL ? ": " : "", m == NULL ? err : "");
    goto cleanup;
  }
  puts (json_object_to_json_string_ext (
      m, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
             | JSON_C_TO_STRING_NOSLASHESCAPE));
  rc = fflush (stdout) == 0 ? OCH_EXIT_OK : OCH_EXIT_FAILED;

cleanup:
  json_object_put (m);
  och_plugin_unload (&p);
  return rc;
}

/* A whole number in [min, max], or -1. */
static int
parse_int (const char *s, int64_t min, int64_t max, int64_t *out)
{
  char *end;
  long long v;

  errno = 0;
  v = strtoll (s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
    return -1;
  *out = v;
  return 0;
}

int
main (int argc, char **argv)
{
  static const struct option longopts[] = {
      {"plugin", required_argument, NULL, 'p'},
      {"config", required_argument, NULL, 'c'},
      {"state", required_argument, NULL, 's'},
      {"events", required_argument, NULL, 'e'},
      {"mode", required_argument, NULL, 'm'},
      {"checkpoint-every", required_argument, NULL, 'N'},
      {"checkpoint-seconds", required_argument, NULL, 'S'},
      {"quiet", no_argument, NULL, 'q'},
      {"verbose", no_argument, NULL, 'v'},
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, 'V'},
      {NULL, 0, NULL, 0},
  };
  och_options o;
  unsigned given = 0;
  const struct command *cmd = NULL;
  int c;

  memset (&o, 0, sizeof o);
  o.mode = OMNI_SYNC_INCREMENTAL;
  o.checkpoint_every = 500;
  o.checkpoint_seconds = 5;

  while ((c = getopt_long (argc, argv, "qvhV", longopts, NULL)) != -1) {
    switch (c) {
      case 'p':
        o.plugin_path = optarg;
        given |= OPT_PLUGIN;
        break;
      case 'c':
        o.config_path = optarg;
        given |= OPT_CONFIG;
        break;
      case 's':
        o.state_path = optarg;
        given |= OPT_STATE;
        break;
      case 'e':
        o.events_path = optarg;
        given |= OPT_EVENTS;
        break;
      case 'm':
        if (och_mode_parse (optarg, &o.mode) == -1) {
          och_error ("--mode must be full or incremental, not '%s'", optarg);
          return OCH_EXIT_USAGE;
        }
        o.mode_given = true;
        given |= OPT_MODE;
        break;
      case 'N':
        if (parse_int (optarg, 1, INT64_MAX, &o.checkpoint_every) == -1) {
          och_error ("--checkpoint-every needs a number of documents >= 1");
          return OCH_EXIT_USAGE;
        }
        given |= OPT_CHECKPOINT;
        break;
      case 'S': {
        char *end;
        errno = 0;
        o.checkpoint_seconds = strtod (optarg, &end);
        if (errno != 0 || end == optarg || *end != '\0'
            || !isfinite (o.checkpoint_seconds) || o.checkpoint_seconds < 0) {
          och_error ("--checkpoint-seconds needs a number of seconds >= 0");
          return OCH_EXIT_USAGE;
        }
        given |= OPT_CHECKPOINT;
        break;
      }
      case 'q':
        o.quiet = true;
        break;
      case 'v':
        o.verbose++;
        break;
      case 'h':
        usage (stdout);
        return OCH_EXIT_OK;
      case 'V':
        printf (OCH_PROGRAM " %s (connector ABI %d.%d)\n", PACKAGE_VERSION,
                OMNI_CONNECTOR_ABI_MAJOR, OMNI_CONNECTOR_ABI_MINOR);
        return OCH_EXIT_OK;
      default:
        usage (stderr);
        return OCH_EXIT_USAGE;
    }
  }
  if (optind != argc - 1) {
    och_error (optind >= argc ? "no command given (manifest, check, sync, "
                                "status); try --help"
                              : "one command expected; try --help");
    return OCH_EXIT_USAGE;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp (argv[optind], commands[i].name) == 0)
      cmd = &commands[i];
  if (cmd == NULL) {
    och_error ("unknown command '%s'; try --help", argv[optind]);
    return OCH_EXIT_USAGE;
  }
  for (size_t b = 0; b < sizeof opt_names / sizeof opt_names[0]; b++) {
    if ((cmd->required & (1u << b)) && !(given & (1u << b))) {
      och_error ("%s needs %s", cmd->name, opt_names[b]);
      return OCH_EXIT_USAGE;
    }
    if (!(cmd->allowed & (1u << b)) && (given & (1u << b))) {
      och_error ("%s does not take %s", cmd->name, opt_names[b]);
      return OCH_EXIT_USAGE;
    }
  }
  return cmd->run (&o);
}
