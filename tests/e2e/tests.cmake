# End-to-end tests drive the real `onebill` binary as separate processes over real HTTP and LevelDB:
# every tests/e2e/*.test.js is one ctest (node's test runner; helpers in tests/e2e/lib/).
find_program(NODE_EXECUTABLE node)
if(NODE_EXECUTABLE)
  file(GLOB e2e_tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.test.js)
  foreach(test_file ${e2e_tests})
    get_filename_component(test_name ${test_file} NAME_WE)
    add_test(NAME e2e.${test_name}
             COMMAND ${NODE_EXECUTABLE} --test ${test_file}
             WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR})
    set_tests_properties(e2e.${test_name} PROPERTIES LABELS e2e TIMEOUT 900
      ENVIRONMENT "ONEBILL_BIN=$<TARGET_FILE:onebill>;ONEBILL_SOURCE_DIR=${CMAKE_SOURCE_DIR};NODE_PATH=${CMAKE_SOURCE_DIR}/tests/conformance/node_modules")
  endforeach()
endif()
