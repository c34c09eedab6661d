/* Shared by the files of src/detect/ only. */
#ifndef MG_DETECT_INTERNAL_H
#define MG_DETECT_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "detect/detect.h"
#include "notify/mail.h"

#define COUNTER_KEY_MAX	80
#define COUNTERS	1024	/* failed-login windows kept per kind */
#define RATE_SLOTS	4096	/* devices tracked for the rate rule */
#define STORED_MAX	4096	/* measurements waiting for the jump rule */
#define MAIL_BODY_MAX	1024	/* an alert's e-mail */

/* Failures of one key (an account, an address) in a fixed window. */
struct counter {
	char key[COUNTER_KEY_MAX];
	int64_t start_ms;
	unsigned count;
};

struct rate_slot {
	int64_t device_id;	/* 0: free */
	int64_t window_ms;	/* start of the minute counted */
	unsigned count;
};

struct stored {
	int64_t measurement_id, device_id, tenant_id;
	double weight;		/* body_weight in kg */
};

struct mg_detector {
	const struct mg_config *cfg;
	struct mg_store *store;
	struct mg_keyring *keys;
	struct mg_mailer *mailer;	/* NULL: no e-mail */
	unsigned hours_from, hours_to;		/* [detect] admin_hours */
	char recipients[MG_MAIL_RECIPIENTS_MAX][MG_MAIL_ADDRESS_MAX + 1];
	size_t nrecipients;
	char holder[96];			/* this process, for leases */

	pthread_mutex_t lock;			/* everything below it */
	pthread_cond_t wake;
	bool stopping;
	bool started;
	pthread_t thread;

	struct stored stored[STORED_MAX];	/* a ring */
	size_t stored_head, stored_n;
	unsigned long stored_dropped;

	pthread_mutex_t rate_lock;
	struct rate_slot rates[RATE_SLOTS];

	/* The detector thread's own. */
	struct counter accounts[COUNTERS], addresses[COUNTERS];
	int64_t cursor;				/* last audit seq judged */
	int64_t next_scan_ms, next_verify_ms;
};

/* Judge one audit record (rules.c); on the detector thread. */
void detect_record(struct mg_detector *d, const struct mg_audit_record *rec);

/* The periodic scans and the jump rule (scan.c); on the detector thread. */
void detect_scan(struct mg_detector *d, int64_t now_ms);
void detect_verify(struct mg_detector *d);
void detect_jump(struct mg_detector *d, const struct stored *m);

/* Whether n is 1, 10, 100, 1000, ...: the counts that are told. */
bool detect_count_told(int64_t n);

#endif
