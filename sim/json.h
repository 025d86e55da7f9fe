/* sim/json.h - the one JSON string writer hvsim uses (RFC 8259 escaping). */
#ifndef SIM_JSON_H
#define SIM_JSON_H

#include <stdio.h>

/* Writes s as a JSON string literal, quotes included; NULL writes null. */
void sim_json_str(FILE *f, const char *s);

#endif
