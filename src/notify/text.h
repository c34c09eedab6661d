/* The texts of medgate's e-mails in each language: one table per language
 * (text_en.c, text_de.c), each message a template with {name}
 * placeholders, filled by mg_text_fill. A recipient gets its own language
 * when the gateway knows it, else [mail] language. Adding a language is
 * adding its file, its line in mg_text_languages (text.c) and its code in
 * the key's choices; tests/unit/test_text.c fails on a message missing
 * from a language or on placeholders that differ from English. */
#ifndef MG_NOTIFY_TEXT_H
#define MG_NOTIFY_TEXT_H

#include <stddef.h>

enum mg_text_id {
	MG_TEXT_RESET_SUBJECT,	/* password reset mail: subject */
	MG_TEXT_RESET_BODY,	/* {account} {minutes} {link} */
	MG_TEXT_ALERT_SUBJECT,	/* {severity} {kind} */
	MG_TEXT_ALERT_SUBJECT_REPEATED,	/* {severity} {kind} */
	MG_TEXT_ALERT_BODY,	/* {id} {kind} {severity} {subject} {count} {last} {summary} {url} */
	MG_TEXT_SEVERITY_LOW,	/* the severities' words in subject and body */
	MG_TEXT_SEVERITY_MEDIUM,
	MG_TEXT_SEVERITY_HIGH,
	MG_TEXT_SEVERITY_CRITICAL,
	MG_TEXT_COUNT
};

struct mg_text_language {
	const char *code;	/* "en", "de": [mail] language */
	const char *const *texts;	/* MG_TEXT_COUNT templates */
};

extern const char *const mg_text_en[MG_TEXT_COUNT];
extern const char *const mg_text_de[MG_TEXT_COUNT];
extern const struct mg_text_language mg_text_languages[];
extern const size_t mg_text_languages_count;

/* The template of id in language code; English for an unknown code or a
 * text the language lacks. */
const char *mg_text(const char *code, enum mg_text_id id);

/* A placeholder's value for mg_text_fill. */
struct mg_text_arg {
	const char *name;
	const char *value;
};

/* Write template into out (size bytes) with each {name} replaced by its
 * value from args. Returns 0; MG_ERR_INVALID for a placeholder args lacks
 * or an unclosed brace; MG_ERR_LIMIT when out is too small (out then
 * holds "" ). */
int mg_text_fill(char *out, size_t size, const char *template, const struct mg_text_arg *args,
		 size_t nargs);

#endif
