/* Retry backoff: how long a loop waits after failures in a row before it
 * tries again. One policy for every retrying loop (outbox forwarders, the
 * syslog exporter, the device agent's deliveries). */
#ifndef MG_COMMON_BACKOFF_H
#define MG_COMMON_BACKOFF_H

#include <stdint.h>

#define MG_BACKOFF_FIRST_MS 1000 /* the wait after the first failure */

/* The wait in ms after failures + 1 failures in a row: MG_BACKOFF_FIRST_MS
 * doubled failures times, capped at max_ms. Pure, for tests and logs. */
int64_t mg_backoff_base_ms(int64_t failures, int64_t max_ms);

/* mg_backoff_base_ms plus up to a fifth more at random, so that peers that
 * failed together do not all come back at the same moment. */
int64_t mg_backoff_ms(int64_t failures, int64_t max_ms);

#endif
