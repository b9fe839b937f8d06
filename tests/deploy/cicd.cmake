# CI/CD (issue 16): the workflows of .github/workflows, by scripts/check-workflows (tools from
# scripts/bootstrap.d/30-cicd.sh): actionlint with ShellCheck on every run block, no expression inside a run
# block, actions pinned by SHA; and the CI workflow's lint job run by act on this host (not its test jobs: they
# run `make test`, which runs this). The self-test proves each rule rejects a workflow that breaks it.
add_test(NAME check_workflows COMMAND ${CMAKE_SOURCE_DIR}/scripts/check-workflows)
add_test(NAME check_workflows_self_test COMMAND ${CMAKE_SOURCE_DIR}/scripts/check-workflows --self-test)
set_tests_properties(check_workflows PROPERTIES LABELS unit TIMEOUT 300)
set_tests_properties(check_workflows_self_test PROPERTIES LABELS unit TIMEOUT 60)
