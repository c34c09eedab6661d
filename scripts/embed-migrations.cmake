# Writes OUT: a C file with every migration in FILES (sorted by their
# number prefix) as an array of {version, name, sql}.
string(REPLACE "|" ";" FILES "${FILES}")
list(SORT FILES)
set(body "")
set(count 0)
foreach(f ${FILES})
	get_filename_component(name ${f} NAME_WE)
	string(REGEX MATCH "^[0-9]+" version ${name})
	if(NOT version)
		message(FATAL_ERROR "migration ${f} has no number prefix")
	endif()
	math(EXPR version "${version} + 0")
	file(READ ${f} sql HEX)
	string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," sql "${sql}")
	string(APPEND body "static const char m${count}[] = {${sql} 0};\n")
	list(APPEND entries "{${version}, \"${name}\", m${count}}")
	math(EXPR count "${count} + 1")
endforeach()
string(JOIN ",\n\t" table ${entries})
file(WRITE ${OUT} "/* Generated from the migration files; do not edit. */\n"
	"#include \"store/migration.h\"\n${body}\n"
	"const struct mg_migration ${PREFIX}_migrations[] = {\n\t${table}\n};\n"
	"const unsigned ${PREFIX}_migrations_count = ${count};\n")
