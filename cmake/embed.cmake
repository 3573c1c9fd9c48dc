# onebill_embed(TARGET BASE DIR FILES f1 f2 ...): compiles the files (paths relative to DIR) into TARGET,
# readable through api/embedded.h (embedded_files(), find_embedded("/path")). Regenerated when a file
# changes, so the binary always serves what the tree holds; nothing is read from disk at run time.
function(onebill_embed target)
  cmake_parse_arguments(EMBED "" "BASE" "FILES" ${ARGN})
  set(output "${CMAKE_CURRENT_BINARY_DIR}/${target}_embedded.cpp")
  set(inputs "")
  foreach(file IN LISTS EMBED_FILES)
    list(APPEND inputs "${EMBED_BASE}/${file}")
  endforeach()
  string(REPLACE ";" "\\;" files_argument "${EMBED_FILES}")
  add_custom_command(
    OUTPUT "${output}"
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${output} -DBASE=${EMBED_BASE} "-DFILES=${files_argument}"
            -P ${PROJECT_SOURCE_DIR}/cmake/embed_generate.cmake
    DEPENDS ${inputs} ${PROJECT_SOURCE_DIR}/cmake/embed_generate.cmake
    COMMENT "Embedding ${target} assets"
    VERBATIM)
  target_sources(${target} PRIVATE "${output}")
endfunction()
