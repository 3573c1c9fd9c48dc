# Conformance tests against the reference npm libraries (ethers, @tradetrust-tt/tradetrust):
# every tests/conformance/*.test.js is one ctest, run with node's test runner against the real binary.
find_program(NODE_EXECUTABLE node)
if(NODE_EXECUTABLE)
  file(GLOB conformance_tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.test.js)
  foreach(test_file ${conformance_tests})
    get_filename_component(test_name ${test_file} NAME_WE)
    add_test(NAME conformance.${test_name}
             COMMAND ${NODE_EXECUTABLE} --test ${test_file}
             WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR})
    set_tests_properties(conformance.${test_name} PROPERTIES LABELS conformance TIMEOUT 600
      ENVIRONMENT "ONEBILL_BIN=$<TARGET_FILE:onebill>;ONEBILL_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
  endforeach()
endif()
