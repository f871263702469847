# Installs hiili to a staging prefix, then configures, builds and runs examples/cpp against it.
function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGV}")
  endif()
endfunction()
file(REMOVE_RECURSE "${STAGE_DIR}")
run(${CMAKE_COMMAND} --install "${BINARY_DIR}" --component hiili_dev --prefix "${STAGE_DIR}/prefix")
run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/examples/cpp" -B "${STAGE_DIR}/consumer"
    "-DCMAKE_PREFIX_PATH=${STAGE_DIR}/prefix" -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build "${STAGE_DIR}/consumer" -j 2)
run("${STAGE_DIR}/consumer/hiili_example")
