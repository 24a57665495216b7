/* cppcheck.h: definitions cppcheck cannot take from the real headers
 * (json-c's iteration macro uses declarations cppcheck misparses). */
#define json_object_object_foreach(obj, key, val)                             \
  for (char *key = 0; key;)                                                   \
    for (struct json_object *val = 0; val;)
