/* The emergency handbook's fixed content: what each alert kind means and
 * what to do, with this instance's commands filled in by handbook.c. Kept
 * apart from the code that writes the page, so the texts read as a list. */
#include "cli/handbook.h"

#include <stddef.h>

/* {ctl} in a text stands for this instance's "medgatectl -c CONF". */
static const struct handbook_play plays[] = {
	{ "login.failures.account", "high",
	  "Many failed sign-ins to one account: someone guesses its password, or its owner "
	  "forgot it.",
	  "Call the account's owner. If it was not them: {ctl} user disable NAME, reset the "
	  "password with {ctl} user reset-password NAME --password-file FILE, and open an "
	  "incident on the Alerts page." },
	{ "login.failures.address", "high",
	  "Many failed sign-ins from one address, to any accounts: password spraying.",
	  "Find the machine behind the address (IT service desk). Block it at the firewall; "
	  "check the audit trail for sign-ins that succeeded from it: {ctl} audit export "
	  "--since TIME." },
	{ "login.new_address", "medium",
	  "An administrative account signed in from an address it never used.",
	  "Ask the account's owner. If it was not them: {ctl} user disable NAME at once." },
	{ "activity.off_hours", "medium",
	  "An administrative account acted outside the configured working hours.",
	  "Ask the account's owner; review what it did on the Audit trail page." },
	{ "role.change", "medium",
	  "An account's roles changed, or an administrative account was created.",
	  "Confirm with the administrator who did it (the alert names the account). An "
	  "unexpected change: disable the account that made it and undo the change." },
	{ "access.membership", "medium",
	  "An account was made a member of a tenant (patient access), removed, suspended or "
	  "confirmed.",
	  "Confirm with the tenant administrator; patient access needs two people's acts." },
	{ "access.role_conflict", "high",
	  "An account holds roles that must never go together (made before the rule).",
	  "An administrator removes one of the roles on the Users page." },
	{ "data.erase", "medium (high for a tenant)",
	  "A patient's data or a whole tenant was erased for good (medgatectl patient erase or "
	  "tenant erase, or a restore that erased again what the erasure log lists).",
	  "Confirm with the operator named in the alert that the erasure was asked for (the "
	  "patient's request, the end of a contract). If not: keep the erasure log and the "
	  "backups, and open an incident; the data can only come back from a backup taken "
	  "before, restored without the erasure log." },
	{ "config.change", "medium",
	  "A run-time setting changed: second-factor roles or an interface switch.",
	  "Confirm with the administrator who did it; undo it on the Settings page if not "
	  "intended." },
	{ "store.tampered", "high",
	  "A measurement's sealed value does not open: it was changed in the database, or "
	  "copied there from another row, behind medgate's back. The measurement is not "
	  "shown and not forwarded (its outbox rows go dead with \"refused\").",
	  "Treat it as a break-in into the database host or its backups: open an incident, "
	  "keep the database as it is (copy it for the investigation), find who can write "
	  "to it (database accounts, backups restored, administrators), and restore the "
	  "measurement from a backup taken before the change ({ctl} backup verify FILE)." },
	{ "device.certificate", "high",
	  "A device port or MLLP connection with a certificate medgate does not accept: "
	  "another CA, expired, or none.",
	  "Find the sender's address; a device of this site needs enrolling again, anything "
	  "else is blocked at the firewall." },
	{ "device.revoked", "high", "A revoked device tries to send.",
	  "Find and take the device out of service; it stays revoked." },
	{ "device.blocked", "high", "A blocked device tries to send.",
	  "Check why it was blocked (Audit trail); unblock only when the cause is gone: "
	  "{ctl} device unblock ID." },
	{ "device.rate", "medium", "A device sends far more measurements than a device can.",
	  "Block it at once: {ctl} device block ID; then check the device on site." },
	{ "measurement.implausible", "medium",
	  "A value outside what a human body can measure arrived and was refused.",
	  "Check the device (calibration, wrong unit); block it if it keeps sending." },
	{ "measurement.jump", "medium",
	  "A patient's weight changed implausibly since the last measurement: a mix-up of "
	  "patients, or manipulation.",
	  "A clinician checks the patient's page; block the device if it was manipulated." },
	{ "audit.chain", "critical",
	  "The audit trail fails verification: records were changed or removed.",
	  "Do not restart or change anything. Run {ctl} audit verify, keep its output, call the "
	  "security contact and the vendor; the last good checkpoint and the syslog "
	  "collector hold the untouched records." },
	{ "emr.queue_age", "high",
	  "Measurements wait for the EMR longer than allowed: the EMR or the network is down.",
	  "{ctl} outbox status names the destination and its error; call the EMR team. Nothing "
	  "is lost: the queue is sent when the EMR is back." },
	{ "device.silent", "low", "An active device has not been heard from for a long time.",
	  "Check the device on site (power, network)." },
	{ "device.model_mismatch", "high",
	  "A device reports another model than it enrolled with: replaced or tampered with.",
	  "Check the device on site; block it until it is explained: {ctl} device block ID." },
	{ "device.firmware_below_minimum", "high",
	  "A device runs firmware below its model's minimum secure version ([devices] models), "
	  "or reports none: it may have known vulnerabilities.",
	  "Update it: import the maker's signed release ({ctl} firmware import) and run "
	  "medgate-device update on the device; block it meanwhile if the maker says the flaw "
	  "is exploited: {ctl} device block ID." },
	{ "device.certificate_expiry", "medium (high once expired)",
	  "A device's certificate ends soon (or has ended); it then can no longer send.",
	  "Renew it on the device: medgate-device reenroll --state DIR; an expired one is "
	  "enrolled again with a new token ({ctl} device token)." },
	{ "emr.connection_refused", "high",
	  "An EMR destination refuses the connection for a reason retrying will not fix: its "
	  "certificate is not trusted, the host name is wrong, or TLS is refused.",
	  "{ctl} outbox status shows the destination's last error; fix the certificate or "
	  "address with the EMR team. Measurements wait in the queue meanwhile." },
	{ "store.free_space", "high",
	  "Little free space is left where the store lives; when it is full, devices are "
	  "refused.",
	  "Free space or move the store with the IT service desk now; check the Health page." },
	{ "sbom.advisory", "high",
	  "A published advisory affects a component medgate is built from (an installed "
	  "library at a version before its fix).",
	  "{ctl} advisories list names the package and the fixed version; install the fixed "
	  "Debian package (apt upgrade) with the IT service desk, then restart medgated." },
	{ "sbom.update", "low (high for a security release)",
	  "The maker released a newer medgate; the signed release feed says what it fixes.",
	  "{ctl} update-check shows the fixes; plan the update with the maker's support." },
	{ "maintenance", "low",
	  "A service account asked for remote maintenance, or a grant was given, refused or "
	  "ended.",
	  "Check the request on the Maintenance page; end an unexpected grant at once: {ctl} "
	  "maintenance revoke --grant ID." },
};

const struct handbook_play *handbook_plays(size_t *count)
{
	*count = sizeof(plays) / sizeof(plays[0]);
	return plays;
}
