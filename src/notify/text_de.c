/* Deutsche E-Mail-Texte (notify/text.h); {name} ist ein Platzhalter. Art,
 * Betroffenes und Zusammenfassung einer Warnmeldung kommen von den Regeln
 * und bleiben englisch. */
#include "notify/text.h"

const char *const mg_text_de[MG_TEXT_COUNT] = {
	[MG_TEXT_RESET_SUBJECT] = "medgate: Passwort zurücksetzen",
	[MG_TEXT_RESET_BODY] =
		"Für das medgate-Benutzerkonto {account} wurde das Zurücksetzen des Passworts "
		"angefordert.\n\n"
		"Um ein neues Passwort festzulegen, öffnen Sie innerhalb von {minutes} Minuten "
		"diesen Link:\n\n"
		"{link}\n\n"
		"Falls Sie das nicht waren, ignorieren Sie diese Nachricht; Ihr Passwort bleibt "
		"unverändert.\n",
	[MG_TEXT_ALERT_SUBJECT] = "[medgate] Warnmeldung ({severity}): {kind}",
	[MG_TEXT_ALERT_SUBJECT_REPEATED] = "[medgate] Warnmeldung ({severity}): {kind} (wiederholt)",
	[MG_TEXT_ALERT_BODY] =
		"medgate hat eine Warnmeldung ausgelöst.\n\n"
		"Warnmeldung:     {id}\n"
		"Art:             {kind}\n"
		"Schweregrad:     {severity}\n"
		"Betroffen:       {subject}\n"
		"Anzahl:          {count}\n"
		"Zuletzt:         {last}\n\n"
		"{summary}\n\n"
		"Bestätigen Sie sie oder eröffnen Sie einen Sicherheitsvorfall in der "
		"Weboberfläche:\n{url}\n",
	[MG_TEXT_SEVERITY_LOW] = "niedrig",
	[MG_TEXT_SEVERITY_MEDIUM] = "mittel",
	[MG_TEXT_SEVERITY_HIGH] = "hoch",
	[MG_TEXT_SEVERITY_CRITICAL] = "kritisch",
};
