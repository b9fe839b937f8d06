# The image, Compose and release checks (docker/Dockerfile, docker-compose.yml, make release); no Docker engine
# runs here, so each is checked by the tools that do (scripts/check-image, check-compose, check-release say how;
# each also feeds itself a known-bad input). Their tools come from scripts/bootstrap.d/10-image.sh (.venv-image,
# cosign). The image and release checks read the binary this build made.
add_test(NAME deploy_image_check COMMAND ${CMAKE_SOURCE_DIR}/scripts/check-image ${CMAKE_BINARY_DIR}/voltedge)
add_test(NAME deploy_compose_check COMMAND ${CMAKE_SOURCE_DIR}/scripts/check-compose)
add_test(NAME deploy_release_check COMMAND ${CMAKE_SOURCE_DIR}/scripts/check-release ${CMAKE_BINARY_DIR}/voltedge)
set_tests_properties(deploy_image_check PROPERTIES LABELS unit TIMEOUT 120)
set_tests_properties(deploy_compose_check PROPERTIES LABELS unit TIMEOUT 120)
# Copies and signs the ~190 MB binary: a few seconds, more when the machine is busy.
set_tests_properties(deploy_release_check PROPERTIES LABELS unit TIMEOUT 300)
