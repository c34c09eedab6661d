/* The audit trail in words a patient can read ("who accessed my data",
 * GDPR Art. 15): what an action did, what a role is, how it ended. The
 * trail keeps its codes; these are for people. English here; the
 * interface's languages translate them like every other text. */
#ifndef MG_MODEL_AUDIT_WORDS_H
#define MG_MODEL_AUDIT_WORDS_H

/* What action did, as the rest of a sentence "<person> <words>": "looked at
 * the patient's measurements". An action without words of its own gets
 * "did something else with the patient's data (<action>)"-like text from
 * the caller; this returns NULL for it. */
const char *mg_audit_action_words(const char *action);

/* The role of roles text ("clinician", "admin,tenant-admin", "operator",
 * "device", "system"): the first one's words, "clinician (nurse or
 * physician)", "administrator", ...; never NULL. */
const char *mg_audit_role_words(const char *roles);

/* "done", "refused", "failed"; never NULL. */
const char *mg_audit_outcome_words(const char *outcome);

#endif
