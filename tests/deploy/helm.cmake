# The Helm chart (infra/helm/voltedge) checked offline by scripts/check-helm, one test per tool, with the tools
# scripts/bootstrap.d/20-helm.sh installs (helm 3.22.0, kubeconform 0.8.0 with the Kubernetes 1.37 schemas,
# helm-unittest 1.1.2, checkov 3.3.30; promtool for the prometheus-adapter rules). The self-test feeds each check
# a broken chart or input and expects it to fail. A developer runs the same: scripts/check-helm [step].
foreach(step files lint kubeconform unittest checkov adapter)
  add_test(NAME check_helm_${step} COMMAND ${CMAKE_SOURCE_DIR}/scripts/check-helm ${step})
endforeach()
add_test(NAME check_helm_self_test COMMAND ${CMAKE_SOURCE_DIR}/scripts/check-helm --self-test)
set_tests_properties(check_helm_files check_helm_lint check_helm_kubeconform check_helm_unittest
                     check_helm_checkov check_helm_adapter check_helm_self_test
                     PROPERTIES LABELS unit TIMEOUT 300)
