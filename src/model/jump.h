/* An implausible jump (docs/ward.md): a change of a quantity between two
 * measurements that is larger, in percent of the earlier value, than the
 * body can do in the time between them (e.g. weight 5 % within 24 h): a
 * measurement of the wrong patient, a device fault or something the
 * clinician must see. Shown to the clinician on the patient's page and in
 * the ward list, not only as a security alert. */
#ifndef MG_MODEL_JUMP_H
#define MG_MODEL_JUMP_H

#include <stdbool.h>
#include <stdint.h>

/* Whether a change of percent (signed) of quantity from a value measured
 * at earlier_ms to one measured at later_ms is a jump: |percent| above the
 * quantity's threshold and the two within its window. Quantities without
 * a threshold never jump. */
bool mg_jump_is(const char *quantity, double percent, int64_t earlier_ms, int64_t later_ms);

#endif
