/* English e-mail texts (notify/text.h); {name} is a placeholder. */
#include "notify/text.h"

const char *const mg_text_en[MG_TEXT_COUNT] = {
	[MG_TEXT_RESET_SUBJECT] = "medgate password reset",
	[MG_TEXT_RESET_BODY] =
		"Someone asked to reset the medgate password of account {account}.\n\n"
		"To choose a new password, open this link within {minutes} minutes:\n\n"
		"{link}\n\n"
		"If it was not you, ignore this message; your password stays as it is.\n",
	[MG_TEXT_ALERT_SUBJECT] = "[medgate] {severity} alert: {kind}",
	[MG_TEXT_ALERT_SUBJECT_REPEATED] = "[medgate] {severity} alert: {kind} (repeated)",
	[MG_TEXT_ALERT_BODY] =
		"medgate raised an alert.\n\n"
		"Alert:    {id}\n"
		"Kind:     {kind}\n"
		"Severity: {severity}\n"
		"Subject:  {subject}\n"
		"Count:    {count}\n"
		"Last:     {last}\n\n"
		"{summary}\n\n"
		"Acknowledge it or open an incident in the web interface:\n{url}\n",
	[MG_TEXT_SEVERITY_LOW] = "low",
	[MG_TEXT_SEVERITY_MEDIUM] = "medium",
	[MG_TEXT_SEVERITY_HIGH] = "high",
	[MG_TEXT_SEVERITY_CRITICAL] = "critical",
};
