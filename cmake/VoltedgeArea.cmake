# Each area's public include directory exposes that area's folder alone (build/areas/<area>/<area> links to
# it), so `#include "db/pool.h"` compiles only in a target that links voltedge_db, directly or through a
# PUBLIC dependency. scripts/check-deps (a unit test) is stricter: a direct include needs a direct link.
function(voltedge_area_includes target area)
  set(root "${CMAKE_BINARY_DIR}/areas/${area}")
  file(MAKE_DIRECTORY "${root}")
  file(CREATE_LINK "${CMAKE_SOURCE_DIR}/${area}" "${root}/${area}" SYMBOLIC)
  target_include_directories(${target} PUBLIC "${root}")
endfunction()
