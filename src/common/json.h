/* jansson set-up shared by the programs. */
#ifndef MG_COMMON_JSON_H
#define MG_COMMON_JSON_H

/* Make jansson wipe every block it frees: parsed bodies hold patient
 * identifiers, which must not linger in freed memory. Call once at start,
 * before any JSON is handled. */
void mg_json_init(void);

#endif
