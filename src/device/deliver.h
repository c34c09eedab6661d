/* Delivering the queue to the gateway in order, one HTTPS POST per
 * measurement over one kept-alive connection, and what each answer means
 * for the queued file. */
#ifndef MG_DEVICE_DELIVER_H
#define MG_DEVICE_DELIVER_H

#include <stddef.h>

#include "device/http.h"
#include "device/queue.h"

#define MG_DEVICE_MEASUREMENTS_PATH	"/device/v1/measurements"
#define MG_DEVICE_DELIVERY_REASON_MAX	512

/* What an answer status means for the queued measurement. */
enum mg_device_outcome {
	MG_DEVICE_STORED,	/* 201, or 200 duplicate: remove it */
	MG_DEVICE_REJECTED,	/* 400, 413, 415: the measurement itself is bad; set aside */
	MG_DEVICE_RETRY,	/* anything else: keep it, stop, try later */
};

/* The outcome for HTTP status (pure; the table is in the .c file). */
enum mg_device_outcome mg_device_outcome_of(long status);

/* What one delivery pass did. */
struct mg_device_delivery {
	size_t delivered;	/* stored now (201) */
	size_t duplicates;	/* stored before (200 duplicate) */
	size_t rejected;	/* moved to rejected/ */
	size_t left;		/* still queued after the pass */
	char reason[MG_DEVICE_DELIVERY_REASON_MAX];	/* why it stopped, if left > 0 */
};

/* Send q's measurements in order to url (the full measurements URL) over
 * h until the queue is empty or one has to wait (connection failure, 5xx,
 * 429, 401, 403, ...). Prints one line per measurement on stdout, never
 * the patient id. Returns 0 (see *res for what happened) or < 0 for a
 * local failure (files), with *res still filled in. */
int mg_device_deliver(struct mg_device_queue *q, struct mg_device_http *h, const char *url,
		      struct mg_device_delivery *res);

#endif
