#include "model/audit_words.h"

#include <stddef.h>
#include <string.h>

struct words {
	const char *code, *text;
};

/* Every action the gateway records about a patient (object "patient:ID"). */
static const struct words actions[] = {
	{ "patient.read", "looked at the patient's measurements" },
	{ "patient.create", "recorded the patient" },
	{ "patient.created", "recorded the patient" },
	{ "patient.update", "changed the patient's details" },
	{ "patient.adt", "received the patient's details from the hospital's system" },
	{ "patient.merge", "joined two records of the patient into one" },
	{ "patient.export", "copied out all of the patient's data" },
	{ "patient.erase", "erased the patient's data" },
	{ "patient.report", "printed a report of the patient's measurements" },
	{ "audit.patient_report", "listed who accessed the patient's data" },
	{ "measurement.move", "moved a measurement to or from the patient" },
	{ "measurement.entered_in_error", "marked a measurement as taken in error" },
	{ "measurement.assign", "assigned a measurement to the patient" },
};

static const struct words roles[] = {
	{ "clinician", "clinician (nurse or physician)" },
	{ "admin", "administrator" },
	{ "tenant-admin", "ward administrator" },
	{ "device-admin", "device administrator" },
	{ "security-officer", "security officer" },
	{ "service", "service technician" },
	{ "operator", "administrator at the gateway's console" },
	{ "device", "measuring device" },
	{ "system", "the gateway itself" },
};

static const struct words outcomes[] = {
	{ "success", "done" },
	{ "denied", "refused" },
	{ "failure", "failed" },
};

static const char *find(const struct words *w, size_t n, const char *code, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(w[i].code) == len && strncmp(w[i].code, code, len) == 0)
			return w[i].text;
	return NULL;
}

#define FIND(table, code, len) find(table, sizeof(table) / sizeof(table[0]), code, len)

const char *mg_audit_action_words(const char *action)
{
	return FIND(actions, action, strlen(action));
}

const char *mg_audit_role_words(const char *roles_text)
{
	const char *w = FIND(roles, roles_text, strcspn(roles_text, ","));

	return w != NULL ? w : "someone with another role";
}

const char *mg_audit_outcome_words(const char *outcome)
{
	const char *w = FIND(outcomes, outcome, strlen(outcome));

	return w != NULL ? w : "ended otherwise";
}
