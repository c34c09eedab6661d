# Writes OUTPUT: a C file defining `const char SYMBOL[]`, the bytes of the
# text file INPUT followed by a NUL, so data the program needs is compiled
# in and cannot go missing at run time. Refuses a NUL inside INPUT.
#   cmake -DINPUT=data/x.txt -DOUTPUT=generated/x.c -DSYMBOL=mg_x_text -P embed-text.cmake
foreach(var INPUT OUTPUT SYMBOL)
	if(NOT DEFINED ${var})
		message(FATAL_ERROR "embed-text.cmake: ${var} is not set")
	endif()
endforeach()
if(NOT SYMBOL MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
	message(FATAL_ERROR "embed-text.cmake: SYMBOL ${SYMBOL} is not a C name")
endif()
file(READ ${INPUT} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
string(FIND "${hex}" "0x00," nul)
if(NOT nul EQUAL -1)
	message(FATAL_ERROR "embed-text.cmake: ${INPUT} contains a NUL byte")
endif()
# Sixteen bytes a line keep the generated file readable.
string(REPEAT "0x..," 16 line)
string(REGEX REPLACE "(${line})" "\\1\n\t" hex "${hex}")
get_filename_component(name ${INPUT} NAME)
file(WRITE ${OUTPUT}.tmp "/* Generated from ${name} by scripts/embed-text.cmake; do not edit. */\n"
	"extern const char ${SYMBOL}[];\n"
	"const char ${SYMBOL}[] = {\n\t${hex}0\n};\n")
# Replace OUTPUT only when it changed, so an unchanged list rebuilds nothing.
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUTPUT}.tmp ${OUTPUT}
	RESULT_VARIABLE failed)
file(REMOVE ${OUTPUT}.tmp)
if(failed)
	message(FATAL_ERROR "embed-text.cmake: cannot write ${OUTPUT}")
endif()
