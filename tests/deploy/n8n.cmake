# The n8n flows (n8n/), checked without n8n: n8n is optional glue and its 1.7 GB install is not part of make test
# (make test-n8n runs the flows themselves). The self-test feeds known-bad flows that the check must reject.
add_test(NAME n8n_flows COMMAND ${CMAKE_SOURCE_DIR}/scripts/check-n8n-flows)
add_test(NAME n8n_flows_selftest COMMAND ${CMAKE_SOURCE_DIR}/scripts/check-n8n-flows --self-test)
set_tests_properties(n8n_flows n8n_flows_selftest PROPERTIES LABELS unit TIMEOUT 60)
