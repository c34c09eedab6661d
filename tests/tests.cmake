# Test registration: unit tests (cmocka), integration scripts against the
# real daemon, libFuzzer runs of a few seconds each, and source checks.

if(CMOCKA_FOUND)
	file(GLOB MG_UNIT_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/unit/test_*.c)
	# A suite split over several programs keeps what they share in
	# tests/unit/NAME_fixture.c, linked into test_NAME.c and every
	# test_NAME_*.c (tls_fixture.c into test_tls.c, test_tls_est.c, ...).
	file(GLOB MG_UNIT_FIXTURES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/unit/*_fixture.c)
	foreach(src ${MG_UNIT_TESTS})
		get_filename_component(name ${src} NAME_WE)
		set(fixtures "")
		foreach(fixture ${MG_UNIT_FIXTURES})
			get_filename_component(suite ${fixture} NAME_WE)
			string(REGEX REPLACE "_fixture$" "" suite ${suite})
			if(name MATCHES "^test_${suite}(_|$)")
				list(APPEND fixtures ${fixture})
			endif()
		endforeach()
		add_executable(${name} ${src} ${fixtures})
		target_link_libraries(${name} PRIVATE mgcore PkgConfig::CMOCKA)
		add_test(NAME unit/${name} COMMAND ${name})
		set_tests_properties(unit/${name} PROPERTIES TIMEOUT 120
			ENVIRONMENT "MG_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
	endforeach()
	# One storage suite, both back ends: the store suites run a second
	# time against a private PostgreSQL server that pg-run.sh starts and
	# stops around them (store_fixture.h reads MG_TEST_PG_CONNINFO).
	file(GLOB MG_STORE_SUITES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/unit/test_store*.c)
	list(APPEND MG_STORE_SUITES ${CMAKE_SOURCE_DIR}/tests/unit/test_audit.c)
	foreach(src ${MG_STORE_SUITES})
		get_filename_component(name ${src} NAME_WE)
		add_test(NAME unit-pg/${name}
			COMMAND bash ${CMAKE_SOURCE_DIR}/tests/pg/pg-run.sh $<TARGET_FILE:${name}>)
		set_tests_properties(unit-pg/${name} PROPERTIES TIMEOUT 300
			ENVIRONMENT "MG_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
	endforeach()
endif()

set(MG_TEST_ENV
	"MG_BIN=${CMAKE_BINARY_DIR}"
	"MG_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
	"ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86"
	"UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=87")

file(GLOB MG_INTEGRATION_TESTS CONFIGURE_DEPENDS
	${CMAKE_SOURCE_DIR}/tests/integration/test_*.sh)
list(FILTER MG_INTEGRATION_TESTS EXCLUDE REGEX "/test_pg_[^/]*\\.sh$")
foreach(script ${MG_INTEGRATION_TESTS})
	get_filename_component(name ${script} NAME_WE)
	add_test(NAME integration/${name} COMMAND bash ${script})
	# 77: the script cannot run here (test_store_full needs root to mount).
	set_tests_properties(integration/${name} PROPERTIES TIMEOUT 600
		ENVIRONMENT "${MG_TEST_ENV}" SKIP_RETURN_CODE 77)
endforeach()

# The storage-heavy scripts again, on PostgreSQL: lib.sh's mg_init makes
# each instance a database of its own on the private server pg-run.sh
# starts around the script. test_pg_*.sh need the server anyway.
set(MG_PG_INTEGRATION_TESTS ingest durability access permissions separation audit_events audit_tamper
	emr_faults enrol password_reset device_e2e detect_attacks detect_rules audit_syslog
	device_renewal backup decommission firmware patient_rights keys)
foreach(name ${MG_PG_INTEGRATION_TESTS})
	add_test(NAME integration-pg/test_${name}
		COMMAND bash ${CMAKE_SOURCE_DIR}/tests/pg/pg-run.sh
			bash ${CMAKE_SOURCE_DIR}/tests/integration/test_${name}.sh)
	set_tests_properties(integration-pg/test_${name} PROPERTIES TIMEOUT 600
		ENVIRONMENT "${MG_TEST_ENV};MG_TEST_STORAGE=postgresql")
endforeach()
# Two gateways behind HAProxy, one killed at random moments.
add_test(NAME integration-pg/test_pg_haproxy
	COMMAND bash ${CMAKE_SOURCE_DIR}/tests/pg/pg-run.sh
		bash ${CMAKE_SOURCE_DIR}/tests/integration/test_pg_haproxy.sh)
set_tests_properties(integration-pg/test_pg_haproxy PROPERTIES TIMEOUT 600
	ENVIRONMENT "${MG_TEST_ENV};MG_TEST_STORAGE=postgresql")
# TLS to the database: the private server requires it, the gateway checks
# its certificate (sslmode=verify-full).
add_test(NAME integration-pg/test_ingest_tls
	COMMAND bash ${CMAKE_SOURCE_DIR}/tests/pg/pg-run.sh
		bash ${CMAKE_SOURCE_DIR}/tests/integration/test_ingest.sh)
set_tests_properties(integration-pg/test_ingest_tls PROPERTIES TIMEOUT 600
	ENVIRONMENT "${MG_TEST_ENV};MG_TEST_STORAGE=postgresql;MG_TEST_PG_TLS=1")
# Each tampering reloads the trail through psql: fewer of them on PostgreSQL.
set_property(TEST integration-pg/test_audit_tamper APPEND PROPERTY ENVIRONMENT
	"MG_AUDIT_TAMPER_COUNT=300")

if(MG_FUZZ)
	file(GLOB MG_FUZZERS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/fuzz/fuzz_*.c)
	foreach(src ${MG_FUZZERS})
		get_filename_component(name ${src} NAME_WE)
		add_executable(${name} ${src})
		target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
		target_link_options(${name} PRIVATE -fsanitize=fuzzer)
		target_link_libraries(${name} PRIVATE mgcore)
		string(REGEX REPLACE "^fuzz_" "" corpus ${name})
		add_test(NAME fuzz/${name} COMMAND bash ${CMAKE_SOURCE_DIR}/fuzz/run.sh
			$<TARGET_FILE:${name}> ${CMAKE_SOURCE_DIR}/fuzz/corpora/${corpus})
		# MG_FUZZ_SECONDS comes from the environment ctest runs in.
		set_tests_properties(fuzz/${name} PROPERTIES TIMEOUT 300)
	endforeach()
endif()

add_test(NAME source/banned-functions
	COMMAND bash ${CMAKE_SOURCE_DIR}/scripts/check-banned.sh ${CMAKE_SOURCE_DIR})

# No file under src/ includes a header from a layer above its own
# (docs/internals/layers.md).
add_test(NAME source/layers
	COMMAND python3 ${CMAKE_SOURCE_DIR}/scripts/check-layers.py ${CMAKE_SOURCE_DIR})

# Every language of the web interface has every text the code uses, with
# the same placeholders (docs/web.md, "Languages"); --self-test proves each
# kind of gap is caught.
add_test(NAME source/i18n-complete
	COMMAND python3 ${CMAKE_SOURCE_DIR}/scripts/check-i18n.py ${CMAKE_SOURCE_DIR} --self-test)

# docs/configuration.md is generated from the key table; it must match.
add_test(NAME source/configuration-doc-current
	COMMAND bash -c "diff -u '${CMAKE_SOURCE_DIR}/docs/configuration.md' <('$<TARGET_FILE:medgatectl>' config-reference)")

# docs/openapi.yaml documents every route with the role the code requires.
add_test(NAME source/openapi-routes
	COMMAND python3 ${CMAKE_SOURCE_DIR}/scripts/check-openapi.py $<TARGET_FILE:medgatectl>
		${CMAKE_SOURCE_DIR}/docs/openapi.yaml)

# README.md and docs/ stand on their own: links resolve inside the tree.
add_test(NAME source/docs-self-contained
	COMMAND python3 ${CMAKE_SOURCE_DIR}/scripts/check-doc-links.py ${CMAKE_SOURCE_DIR})

# Packaging (docs/install.md): the man pages are lint-clean and name what
# the programs do, the systemd units score 2.0 or better, the example
# configuration is what init writes, and the Debian package is built,
# installed, run, removed and purged on this machine (a release build:
# minutes; it refuses to touch a machine with instances of its own).
add_test(NAME package/man
	COMMAND python3 ${CMAKE_SOURCE_DIR}/tests/package/check_man.py ${CMAKE_SOURCE_DIR}
		${CMAKE_BINARY_DIR})
add_test(NAME package/systemd-security
	COMMAND bash ${CMAKE_SOURCE_DIR}/tests/package/check_systemd_security.sh ${CMAKE_BINARY_DIR})
add_test(NAME package/example-conf
	COMMAND bash ${CMAKE_SOURCE_DIR}/tests/package/check_example_conf.sh ${CMAKE_SOURCE_DIR}
		$<TARGET_FILE:medgatectl>)
add_test(NAME package/deb
	COMMAND bash ${CMAKE_SOURCE_DIR}/tests/package/test_deb.sh ${CMAKE_SOURCE_DIR})
set_tests_properties(package/man package/systemd-security package/example-conf package/deb
	PROPERTIES SKIP_RETURN_CODE 77)
set_tests_properties(package/deb PROPERTIES TIMEOUT 900 RUN_SERIAL TRUE)
